import { Long, ObjectId } from 'bson';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeOpMsg, OpMsgFlags } from '../../../src/net/wire-protocol.js';
import {
  SIMULATED_MAX_WIRE_VERSION,
  SIMULATED_SERVER_VERSION,
  SimulatedReplicaSet,
} from '../../../src/testing/index.js';
import { RawClient } from './raw-client.js';

let rs: SimulatedReplicaSet;
const clients: RawClient[] = [];

async function connect(address: string): Promise<RawClient> {
  const client = await RawClient.connect(address);
  clients.push(client);
  return client;
}

function primaryOf(set: SimulatedReplicaSet): string {
  const primary = set.primary;
  if (primary === undefined) throw new Error('no primary');
  return primary;
}

beforeEach(async () => {
  rs = await SimulatedReplicaSet.start({ members: 3 });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await rs.close();
});

describe('wire server: protocol', () => {
  it('answers hello over OP_MSG with the replica-set fields a driver needs', async () => {
    const client = await connect(primaryOf(rs));
    const { document: hello } = await client.command({ hello: 1, helloOk: true });
    expect(hello).toMatchObject({
      ok: 1,
      helloOk: true,
      isWritablePrimary: true,
      secondary: false,
      setName: 'rs0',
      setVersion: 1,
      primary: rs.primary,
      me: rs.primary,
      hosts: rs.members,
      minWireVersion: 0,
      maxWireVersion: SIMULATED_MAX_WIRE_VERSION,
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      logicalSessionTimeoutMinutes: 30,
    });
    expect(hello['electionId']).toBeInstanceOf(ObjectId);
    expect(hello['topologyVersion']['processId']).toBeInstanceOf(ObjectId);
    expect(typeof hello['topologyVersion']['counter']).toBe('number');
    expect(hello['lastWrite']['lastWriteDate']).toBeInstanceOf(Date);
    expect(hello['localTime']).toBeInstanceOf(Date);
    expect(typeof hello['connectionId']).toBe('number');
    expect(hello['$clusterTime']['clusterTime']).toBeDefined();
  });

  it('answers a legacy OP_QUERY isMaster with an OP_REPLY using the legacy field name', async () => {
    const client = await connect(primaryOf(rs));
    const reply = await client.legacyCommand({ isMaster: 1, helloOk: true });
    expect(reply.documents).toHaveLength(1);
    expect(reply.documents[0]).toMatchObject({ ok: 1, ismaster: true, helloOk: true, setName: 'rs0' });
    expect(reply.documents[0]?.['isWritablePrimary']).toBeUndefined();
  });

  it('accepts a $query-wrapped legacy hello and refuses other OP_QUERY commands as mongod 6+ does', async () => {
    const client = await connect(primaryOf(rs));
    const wrapped = await client.legacyCommand({
      $query: { hello: 1 },
      $readPreference: { mode: 'primary' },
    });
    expect(wrapped.documents[0]).toMatchObject({ ok: 1, isWritablePrimary: true });
    const find = await client.legacyCommand({ find: 'c' }, 'test.$cmd');
    expect(find.documents[0]).toMatchObject({ ok: 0, code: 352, codeName: 'UnsupportedOpQueryCommand' });
  });

  it('answers an unknown command with CommandNotFound', async () => {
    const client = await connect(primaryOf(rs));
    const { document } = await client.command({ frobnicate: 1 });
    expect(document).toMatchObject({
      ok: 0,
      code: 59,
      codeName: 'CommandNotFound',
      errmsg: "no such command: 'frobnicate'",
    });
  });

  it('requires $db on OP_MSG', async () => {
    const client = await connect(primaryOf(rs));
    client.write(encodeOpMsg({ requestId: 1, document: { ping: 1 } }));
    const reply = await client.nextMessage();
    expect(reply.kind === 'msg' && reply.document).toMatchObject({ ok: 0, code: 40571 });
  });

  it('accepts a message with a checksum', async () => {
    const client = await connect(primaryOf(rs));
    const { document } = await client.command({ ping: 1 }, { checksum: true });
    expect(document['ok']).toBe(1);
  });

  it('does not answer a request sent with moreToCome', async () => {
    const client = await connect(primaryOf(rs));
    client.sendCommand({ ping: 1 }, { flags: OpMsgFlags.moreToCome });
    const { document } = await client.command({ buildInfo: 1 });
    expect(document['version']).toBe(SIMULATED_SERVER_VERSION);
    expect(client.pending).toBe(0);
    expect(rs.commandCount(primaryOf(rs), 'ping')).toBe(1);
  });

  it('closes the connection on an unknown opcode', async () => {
    const client = await connect(primaryOf(rs));
    const frame = Buffer.from(encodeOpMsg({ requestId: 1, document: { ping: 1, $db: 'admin' } }));
    frame.writeInt32LE(9999, 12);
    client.write(frame);
    // Closed (FIN) without a reply, as mongod does; not reset, and not left open.
    expect(await client.closed).toEqual({ errorCode: null });
    expect(client.received.length).toBe(0);
  });

  it('closes the connection on a frame length it cannot accept', async () => {
    const client = await connect(primaryOf(rs));
    const header = Buffer.alloc(16);
    header.writeInt32LE(100_000_000, 0);
    client.write(header);
    await client.closed;
    expect(client.received.length).toBe(0);
  });

  it('serves many clients at once', async () => {
    const all = await Promise.all(
      rs.members.flatMap((address) => [connect(address), connect(address), connect(address)]),
    );
    const replies = await Promise.all(all.map((client) => client.command({ ping: 1 })));
    expect(replies.every((reply) => reply.document['ok'] === 1)).toBe(true);
    const ids = new Set(
      await Promise.all(
        all.map(async (client) => (await client.command({ hello: 1 })).document['connectionId']),
      ),
    );
    expect(ids.size).toBeGreaterThan(1);
  });

  it('streams an awaitable hello with moreToCome, one reply per topology change', async () => {
    const address = primaryOf(rs);
    const client = await connect(address);
    const first = await client.command({ hello: 1 });
    const topologyVersion = first.document['topologyVersion'] as { processId: ObjectId; counter: number };
    const requestId = client.sendCommand(
      {
        hello: 1,
        topologyVersion: {
          processId: topologyVersion.processId,
          counter: Long.fromNumber(topologyVersion.counter),
        },
        maxAwaitTimeMS: 60_000,
      },
      { flags: OpMsgFlags.exhaustAllowed },
    );
    // Nothing changed yet, so nothing is sent until the step-down.
    const stepDown = rs.stepDown();
    const lost = await client.nextMessage();
    expect(lost.kind).toBe('msg');
    if (lost.kind !== 'msg') return;
    expect(lost.responseTo).toBe(requestId);
    expect(lost.flags & OpMsgFlags.moreToCome).toBe(OpMsgFlags.moreToCome);
    expect(lost.document['isWritablePrimary']).toBe(false);
    expect(lost.document['topologyVersion']['counter']).toBeGreaterThan(topologyVersion.counter);
    await stepDown;
    const elected = await client.nextMessage();
    if (elected.kind !== 'msg') throw new Error('expected OP_MSG');
    // Each streamed reply answers the previous one.
    expect(elected.responseTo).toBe(lost.requestId);
    expect(elected.flags & OpMsgFlags.moreToCome).toBe(OpMsgFlags.moreToCome);
    expect(elected.document['primary']).toBe(rs.primary);
    expect(elected.document['topologyVersion']['counter']).toBeGreaterThan(
      lost.document['topologyVersion']['counter'],
    );
    expect(rs.commandCount(address, 'hello')).toBe(2);
  });

  it('answers an awaitable hello when maxAwaitTimeMS passes without a change', async () => {
    const client = await connect(primaryOf(rs));
    const first = await client.command({ hello: 1 });
    const topologyVersion = first.document['topologyVersion'] as { processId: ObjectId; counter: number };
    const reply = await client.command({ hello: 1, topologyVersion, maxAwaitTimeMS: 20 });
    expect(reply.document['topologyVersion']).toEqual(topologyVersion);
    expect(reply.flags & OpMsgFlags.moreToCome).toBe(0);
  });

  it('answers an awaitable hello at once when the topologyVersion is stale', async () => {
    const client = await connect(primaryOf(rs));
    const reply = await client.command({
      hello: 1,
      topologyVersion: { processId: new ObjectId(), counter: Long.fromNumber(0) },
      maxAwaitTimeMS: 60_000,
    });
    expect(reply.document['ok']).toBe(1);
  });
});
