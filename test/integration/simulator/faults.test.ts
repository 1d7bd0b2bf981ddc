import * as net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WireProtocolError } from '../../../src/errors.js';
import { decodeMessage, FrameReader, OpCode } from '../../../src/net/wire-protocol.js';
import { SIMULATED_SERVER_VERSION, SimulatedReplicaSet } from '../../../src/testing/index.js';
import { RawClient } from './raw-client.js';

let rs: SimulatedReplicaSet;
let address: string;
const clients: RawClient[] = [];

async function connect(): Promise<RawClient> {
  const client = await RawClient.connect(address);
  clients.push(client);
  return client;
}

/** Resolves with the error code of a connection attempt that fails. */
function connectError(target: string): Promise<string> {
  const colon = target.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.slice(0, colon), port: Number(target.slice(colon + 1)) });
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error('connected, expected a refusal'));
    });
    socket.once('error', (error: Error & { code?: string }) => resolve(error.code ?? error.message));
  });
}

beforeEach(async () => {
  rs = await SimulatedReplicaSet.start({ members: 3 });
  // A secondary: killing the primary would start an election (electionDelayMS later) that may land
  // after the restart and bump the restarted member's topologyVersion. The primary is the member
  // with the lowest port, so members[1] was the primary in about one run in three.
  address = rs.secondaries[0] ?? '';
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await rs.close();
});

describe('faults', () => {
  it('reset: the connection is reset instead of answered', async () => {
    const fault = rs.fault(address, { kind: 'reset', commands: ['ping'], times: 1 });
    const client = await connect();
    client.sendCommand({ ping: 1 });
    const closed = await client.closed;
    expect(closed.errorCode).toBe('ECONNRESET');
    expect(client.received.length).toBe(0);
    expect(fault.hits).toBe(1);
    expect(fault.active).toBe(false);
    // Spent after one hit: the next connection is answered.
    const next = await connect();
    expect((await next.command({ ping: 1 })).document['ok']).toBe(1);
  });

  it('refuse: new connections are refused, open ones keep working, clear() listens again', async () => {
    const open = await connect();
    const fault = rs.fault(address, { kind: 'refuse' });
    expect(await connectError(address)).toBe('ECONNREFUSED');
    expect((await open.command({ ping: 1 })).document['ok']).toBe(1);
    await fault.clear();
    const next = await connect();
    expect((await next.command({ ping: 1 })).document['ok']).toBe(1);
  });

  it('hang: the matching command is never answered while others are', async () => {
    const fault = rs.fault(address, { kind: 'hang', commands: ['ping'] });
    const client = await connect();
    client.sendCommand({ ping: 1 });
    await fault.triggered;
    const { document } = await client.command({ buildInfo: 1 });
    expect(document['version']).toBe(SIMULATED_SERVER_VERSION);
    expect(client.pending).toBe(0);
    expect(rs.commandCount(address, 'ping')).toBe(1);
  });

  it('slow: the reply comes after the delay, behind a later command on another connection', async () => {
    const fault = rs.fault(address, { kind: 'slow', delayMS: 1_000, commands: ['ping'], times: 1 });
    const slow = await connect();
    const fast = await connect();
    const slowReply = slow.command({ ping: 1 });
    await fault.triggered;
    const order: string[] = [];
    const fastReply = fast.command({ ping: 1 }).then((reply) => {
      order.push('fast');
      return reply;
    });
    const late = slowReply.then((reply) => {
      order.push('slow');
      return reply;
    });
    await Promise.all([fastReply, late]);
    expect(order).toEqual(['fast', 'slow']);
    expect((await late).document['ok']).toBe(1);
  });

  it('truncatedFrame: half of the frame, then the connection closes', async () => {
    rs.fault(address, { kind: 'truncatedFrame', commands: ['ping'] });
    const client = await connect();
    client.sendCommand({ ping: 1 });
    await client.closed;
    const declared = client.received.readInt32LE(0);
    expect(client.received.length).toBe(Math.floor(declared / 2));
    expect(client.received.readInt32LE(12)).toBe(OpCode.OP_MSG);
    const reader = new FrameReader();
    expect(reader.push(client.received)).toEqual([]);
    expect(reader.buffered).toBe(client.received.length);
  });

  it('wrongLength: the header carries the asked-for length', async () => {
    rs.fault(address, { kind: 'wrongLength', commands: ['ping'], times: 1 });
    const client = await connect();
    client.sendCommand({ ping: 1 });
    await client.bytes(16);
    expect(client.received.readInt32LE(0)).toBe(12);
    expect(client.received.readInt32LE(12)).toBe(OpCode.OP_MSG);
    expect(() => new FrameReader().push(client.received)).toThrow(WireProtocolError);

    rs.fault(address, { kind: 'wrongLength', length: 1_000_000_000, commands: ['ping'], times: 1 });
    const other = await connect();
    other.sendCommand({ ping: 1 });
    await other.bytes(16);
    expect(other.received.readInt32LE(0)).toBe(1_000_000_000);
    expect(() => new FrameReader().push(other.received)).toThrow(/exceeds maxMessageSizeBytes/);
  });

  it('garbage: the given bytes instead of a reply', async () => {
    rs.fault(address, { kind: 'garbage', commands: ['ping'], times: 1 });
    const client = await connect();
    client.sendCommand({ ping: 1 });
    const expected = Buffer.from('this is not a MongoDB wire protocol message\n', 'ascii');
    await client.bytes(expected.length);
    expect(client.received).toEqual(expected);

    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]);
    rs.fault(address, { kind: 'garbage', bytes, times: 1 });
    const other = await connect();
    other.sendCommand({ ping: 1 });
    await other.bytes(bytes.length);
    expect(other.received).toEqual(bytes);
  });

  it('malformedHello: hello answered with a malformed document, other commands untouched', async () => {
    const fault = rs.fault(address, { kind: 'malformedHello' });
    const client = await connect();
    expect((await client.command({ ping: 1 })).document['ok']).toBe(1);
    const hello = await client.command({ hello: 1 });
    expect(hello.document).toMatchObject({ ok: 1, hosts: 42, setVersion: 'x', setName: 'rs0' });
    const legacy = await client.legacyCommand({ isMaster: 1 });
    expect(legacy.documents[0]).toMatchObject({ hosts: 42, setVersion: 'x' });
    expect(fault.hits).toBe(2);

    await rs.clearFaults(address);
    rs.fault(address, { kind: 'malformedHello', fields: { setName: 7, maxWireVersion: 'new' }, times: 1 });
    const custom = await client.command({ hello: 1 });
    expect(custom.document).toMatchObject({ setName: 7, maxWireVersion: 'new' });
    const healthy = await client.command({ hello: 1 });
    expect(healthy.document['setName']).toBe('rs0');
  });

  it('faults hit the replies of a streaming hello too', async () => {
    const client = await connect();
    const first = await client.command({ hello: 1 });
    const fault = rs.fault(address, { kind: 'reset', commands: ['hello'] });
    client.sendCommand(
      { hello: 1, topologyVersion: first.document['topologyVersion'], maxAwaitTimeMS: 60_000 },
      { flags: 1 << 16 },
    );
    await rs.stepDown();
    expect((await client.closed).errorCode).toBe('ECONNRESET');
    expect(fault.hits).toBe(1);
  });

  it('emits a fault event and counts only the commands it names', async () => {
    rs.fault(address, { kind: 'malformedHello', commands: ['isMaster'], times: 1 });
    const event = rs.waitFor('fault');
    const client = await connect();
    const hello = await client.command({ hello: 1 });
    expect(hello.document['hosts']).toEqual(rs.members);
    const legacy = await client.command({ isMaster: 1 });
    expect(legacy.document['hosts']).toBe(42);
    expect(await event).toEqual({ address, kind: 'malformedHello', commandName: 'isMaster' });
  });

  it('rejects invalid fault specs with a clear error', () => {
    expect(() => rs.fault(address, { kind: 'slow', delayMS: -1 })).toThrow(/delayMS/);
    expect(() => rs.fault(address, { kind: 'hang', times: 0 })).toThrow(/positive integer/);
    expect(() => rs.fault('127.0.0.1:1', { kind: 'hang' })).toThrow(
      /not a server of this simulated replica set/,
    );
  });
});

describe('kill, restart and partition on the wire', () => {
  it('kill closes open connections and refuses new ones; restart is a new process on the same port', async () => {
    const client = await connect();
    const before = await client.command({ hello: 1 });
    await rs.kill(address);
    expect((await client.closed).errorCode).toBeNull();
    expect(client.received.length).toBe(client.received.readInt32LE(0));
    expect(await connectError(address)).toBe('ECONNREFUSED');
    await rs.restart(address);
    const again = await connect();
    const after = await again.command({ hello: 1 });
    expect(after.document['me']).toBe(address);
    expect(
      after.document['topologyVersion']['processId'].equals(before.document['topologyVersion']['processId']),
    ).toBe(false);
    expect(after.document['topologyVersion']['counter']).toBe(0);
  });

  it('kill with reset: true resets open connections', async () => {
    const client = await connect();
    await client.command({ ping: 1 });
    await rs.kill(address, { reset: true });
    expect((await client.closed).errorCode).toBe('ECONNRESET');
    expect(await connectError(address)).toBe('ECONNREFUSED');
  });

  it('a partitioned server accepts and reads but never answers; heal answers new requests', async () => {
    const client = await connect();
    rs.partition(address);
    const seen = rs.waitFor('command', (event) => event.address === address && event.commandName === 'ping');
    client.sendCommand({ ping: 1 });
    await seen;
    const fresh = await connect();
    const seenHello = rs.waitFor(
      'command',
      (event) => event.address === address && event.commandName === 'hello',
    );
    fresh.sendCommand({ hello: 1 });
    await seenHello;
    rs.heal(address);
    const { document } = await fresh.command({ buildInfo: 1 });
    expect(document['ok']).toBe(1);
    expect(client.pending).toBe(0);
    expect(client.received.length).toBe(0);
    const messages = decodeMessage(fresh.received.subarray(0, fresh.received.readInt32LE(0)));
    expect(messages.kind === 'msg' && messages.document['version']).toBe(SIMULATED_SERVER_VERSION);
  });
});
