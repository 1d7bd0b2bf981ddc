/**
 * SimulatedReplicaSet's own semantics, checked on the wire: elections, topologyVersion, reconfig,
 * replication lag, the errors of a stepping-down primary, retryable-write records, rollback.
 */
import { randomUUID } from 'node:crypto';
import { Binary, Long, ObjectId, type Document, type Timestamp } from 'bson';
import { afterEach, describe, expect, it } from 'vitest';
import { OpMsgFlags } from '../../../src/net/wire-protocol.js';
import {
  SimulatedReplicaSet,
  SimulatorClosedError,
  SimulatorTimeoutError,
  type SimulatedReplicaSetOptions,
} from '../../../src/testing/index.js';
import { RawClient } from './raw-client.js';

let rs: SimulatedReplicaSet | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await rs?.close();
  rs = undefined;
});

async function start(options: SimulatedReplicaSetOptions = {}): Promise<SimulatedReplicaSet> {
  rs = await SimulatedReplicaSet.start(options);
  return rs;
}

async function connect(address: string | undefined): Promise<RawClient> {
  if (address === undefined) throw new Error('no address');
  const client = await RawClient.connect(address);
  clients.push(client);
  return client;
}

async function hello(address: string | undefined): Promise<Document> {
  const client = await connect(address);
  return (await client.command({ hello: 1 })).document;
}

function session(): { id: Binary } {
  return { id: new Binary(Buffer.from(randomUUID().replace(/-/g, ''), 'hex'), 4) };
}

/** An insert of { _id: 1 } into test.c in a new session, as a retryable write (txnNumber 1); `fields` override. */
function retryableInsert(fields: Document = {}): Document {
  return {
    insert: 'c',
    documents: [{ _id: 1 }],
    $db: 'test',
    lsid: session(),
    txnNumber: Long.fromNumber(1),
    ...fields,
  };
}

describe('elections', () => {
  it('elects the highest priority, then the lowest address, deterministically', async () => {
    const set = await start({ members: 4, priorities: [1, 5, 3, 3] });
    expect(set.primary).toBe(set.members[1]);
    const sortedThirdAndFourth = [set.members[2] ?? '', set.members[3] ?? ''].sort(
      (a, b) => Number(a.split(':')[1]) - Number(b.split(':')[1]),
    );
    expect(await set.stepDown()).toBe(sortedThirdAndFourth[0]);
  });

  it('raises term and electionId at each election; every change bumps every topologyVersion', async () => {
    const set = await start();
    const before = await hello(set.primary);
    expect(before['electionId']).toEqual(new ObjectId('7fffffff0000000000000001'));
    const counters = await Promise.all(
      set.members.map(async (m) => (await hello(m))['topologyVersion']['counter'] as number),
    );
    const newPrimary = await set.stepDown();
    expect(set.term).toBe(2);
    const after = await hello(newPrimary);
    expect(after['electionId']).toEqual(new ObjectId('7fffffff0000000000000002'));
    expect(after['isWritablePrimary']).toBe(true);
    // Step-down, then election: two changes each.
    for (const [index, member] of set.members.entries()) {
      expect((await hello(member))['topologyVersion']['counter']).toBe((counters[index] ?? 0) + 2);
    }
  });

  it('wakes an awaitable hello at once when the topology changes', async () => {
    const set = await start();
    const secondary = set.secondaries[0];
    const client = await connect(secondary);
    const first = (await client.command({ hello: 1 })).document;
    const waiting = client.command({
      hello: 1,
      topologyVersion: first['topologyVersion'],
      maxAwaitTimeMS: 600_000,
    });
    await set.waitFor('command', (e) => e.address === secondary && e.awaitable);
    const stepped = set.stepDown();
    const woken = (await waiting).document;
    expect(woken['topologyVersion']['counter']).toBe(first['topologyVersion']['counter'] + 1);
    expect(woken['primary']).toBeUndefined();
    await stepped;
  });

  it('kill(primary) elects after electionDelayMS with autoElect; restart brings it back as a secondary', async () => {
    const set = await start();
    const old = set.primary ?? '';
    const lost = set.waitFor('primaryLost');
    const elected = set.waitFor('primaryElected');
    await set.kill(old);
    expect(await lost).toEqual({ address: old, reason: 'killed' });
    expect(set.primary).toBeUndefined();
    const { address } = await elected;
    expect(address).not.toBe(old);
    await set.restart(old);
    expect(set.memberState(old).role).toBe('SECONDARY');
    expect((await hello(old))['primary']).toBe(address);
  });

  it('without autoElect the set keeps a dead primary until elect() is called', async () => {
    const set = await start({ autoElect: false });
    const old = set.primary ?? '';
    await set.kill(old);
    expect(set.primary).toBe(old);
    expect((await hello(set.secondaries[0]))['primary']).toBe(old);
    const chosen = set.secondaries[1] ?? '';
    expect(await set.elect(chosen)).toBe(chosen);
    expect(set.primary).toBe(chosen);
  });

  it('no election without a majority of votes; waitForPrimary times out clearly', async () => {
    const set = await start();
    const [a, b] = set.secondaries;
    await set.kill(a ?? '');
    await set.kill(b ?? '');
    await set.kill(set.primary ?? '');
    await expect(set.waitForPrimary({ timeoutMS: 50 })).rejects.toBeInstanceOf(SimulatorTimeoutError);
    await expect(set.elect()).rejects.toThrow(/majority/);
    const elected = set.waitFor('primaryElected');
    await set.restart(a ?? '');
    await set.restart(b ?? '');
    expect([a, b]).toContain((await elected).address);
  });

  it('stepDown() refuses when no other member could win', async () => {
    const set = await start({ members: [{}, { priority: 0 }, { arbiterOnly: true }] });
    await expect(set.stepDown()).rejects.toThrow(/no electable secondary/);
    expect(set.primary).toBe(set.members[0]);
  });

  it('replSetStepDown and replSetGetStatus work over the wire', async () => {
    const set = await start();
    const old = set.primary;
    const client = await connect(old);
    const elected = set.waitFor('primaryElected');
    expect((await client.command({ replSetStepDown: 60 })).document['ok']).toBe(1);
    const { address } = await elected;
    const status = (await client.command({ replSetGetStatus: 1 })).document;
    expect(status['myState']).toBe(2);
    const states = (status['members'] as Document[]).map((m) => [m['name'], m['stateStr']]);
    expect(states).toContainEqual([address, 'PRIMARY']);
    const secondaryClient = await connect(set.secondaries.find((m) => m !== old));
    const refused = (await secondaryClient.command({ replSetStepDown: 60 })).document;
    expect(refused).toMatchObject({ ok: 0, code: 10107 });
  });

  it('replSetFreeze: 0 unfreezes a secondary; the primary refuses; a positive freeze is named unsupported', async () => {
    const set = await start();
    const secondary = await connect(set.secondaries[0]);
    expect((await secondary.command({ replSetFreeze: 0 })).document).toMatchObject({ ok: 1 });
    const primary = await connect(set.primary);
    expect((await primary.command({ replSetFreeze: 0 })).document).toMatchObject({
      ok: 0,
      code: 135,
      codeName: 'NotSecondary',
    });
    const positive = (await secondary.command({ replSetFreeze: 30 })).document;
    expect(positive).toMatchObject({ ok: 0, code: 238 });
    expect(String(positive['errmsg'])).toContain('replSetFreeze');
  });
});

describe('membership', () => {
  it('reports passives, arbiters and hidden members as mongod does', async () => {
    const set = await start({
      members: [{ tags: { dc: 'east' } }, { priority: 0 }, { hidden: true }, { arbiterOnly: true }],
    });
    const [primary, passive, hidden, arbiter] = set.members;
    const fromPrimary = await hello(primary);
    expect(fromPrimary).toMatchObject({
      hosts: [primary],
      passives: [passive],
      arbiters: [arbiter],
      tags: { dc: 'east' },
    });
    expect(await hello(passive)).toMatchObject({ passive: true, secondary: true });
    expect(await hello(hidden)).toMatchObject({ hidden: true, secondary: true, hosts: [primary] });
    const fromArbiter = await hello(arbiter);
    expect(fromArbiter).toMatchObject({ arbiterOnly: true, secondary: false, isWritablePrimary: false });
    expect(fromArbiter['lastWrite']).toBeUndefined();
  });

  it('addMember, reconfigure and removeMember bump setVersion and the hosts list', async () => {
    const set = await start();
    const added = set.waitFor('memberAdded');
    const address = await set.addMember({ tags: { dc: 'west' } });
    expect((await added).address).toBe(address);
    expect(set.setVersion).toBe(2);
    const fromPrimary = await hello(set.primary);
    expect(fromPrimary['hosts']).toContain(address);
    expect(fromPrimary['setVersion']).toBe(2);
    expect(await hello(address)).toMatchObject({ secondary: true, tags: { dc: 'west' }, setVersion: 2 });

    set.reconfigure(address, { priority: 0, tags: { dc: 'north' } });
    expect(set.setVersion).toBe(3);
    expect((await hello(set.primary))['passives']).toEqual([address]);

    await set.removeMember(address);
    expect(set.setVersion).toBe(4);
    expect(set.members).not.toContain(address);
    expect((await hello(set.primary))['hosts']).not.toContain(address);
    expect(() => set.memberState(address)).toThrow(/not a server/);
  });

  it('a removed member kept running answers hello without a set name', async () => {
    const set = await start();
    const removed = set.secondaries[0] ?? '';
    await set.removeMember(removed, { keepRunning: true });
    const reply = await hello(removed);
    expect(reply['setName']).toBeUndefined();
    expect(reply).toMatchObject({ isreplicaset: true, secondary: false, isWritablePrimary: false, ok: 1 });
  });

  it('refuses to remove the primary', async () => {
    const set = await start();
    await expect(set.removeMember(set.primary ?? '')).rejects.toThrow(/step it down/);
  });

  it('a new member syncs the data already written', async () => {
    const set = await start();
    const client = await connect(set.primary);
    await client.command({ insert: 'c', documents: [{ _id: 1 }, { _id: 2 }], $db: 'test' });
    const address = await set.addMember();
    const member = await connect(address);
    const found = await member.command({ find: 'c', $db: 'test', $readPreference: { mode: 'secondary' } });
    expect(found.document['cursor']['firstBatch']).toEqual([{ _id: 1 }, { _id: 2 }]);
  });
});

describe('writes, reads and failover errors', () => {
  it('a secondary refuses writes (labelled for retryable writes) and reads without secondaryOk', async () => {
    const set = await start();
    const client = await connect(set.secondaries[0]);
    const plain = (await client.command({ insert: 'c', documents: [{ _id: 1 }], $db: 'test' })).document;
    expect(plain).toMatchObject({ ok: 0, code: 10107, codeName: 'NotWritablePrimary' });
    expect(plain['errorLabels']).toBeUndefined();
    expect(plain['topologyVersion']).toBeDefined();
    const retryable = (await client.command(retryableInsert())).document;
    expect(retryable).toMatchObject({ ok: 0, code: 10107, errorLabels: ['RetryableWriteError'] });
    const read = (await client.command({ find: 'c', $db: 'test' })).document;
    expect(read).toMatchObject({ ok: 0, code: 13435, codeName: 'NotPrimaryNoSecondaryOk' });
    const secondaryOk = (
      await client.command({ find: 'c', $db: 'test', $readPreference: { mode: 'secondaryPreferred' } })
    ).document;
    expect(secondaryOk['ok']).toBe(1);
  });

  it('a write received by a primary that steps down before running it fails with InterruptedDueToReplStateChange', async () => {
    const set = await start();
    const primary = set.primary ?? '';
    set.setLatency(primary, 50);
    const client = await connect(primary);
    const received = set.waitFor('command', (e) => e.address === primary && e.commandName === 'insert');
    const reply = client.command(retryableInsert());
    await received;
    const stepped = set.stepDown();
    const { document } = await reply;
    expect(document).toMatchObject({
      ok: 0,
      code: 11602,
      codeName: 'InterruptedDueToReplStateChange',
      errorLabels: ['RetryableWriteError'],
    });
    expect(document['topologyVersion']).toBeDefined();
    await stepped;
  });

  it('records retryable writes: a retry returns the first reply, an older txnNumber is refused', async () => {
    const set = await start();
    const client = await connect(set.primary);
    const write = retryableInsert({ txnNumber: Long.fromNumber(5) });
    const first = (await client.command(write)).document;
    const retry = (await client.command(write)).document;
    expect(first).toMatchObject({ ok: 1, n: 1 });
    expect(retry).toMatchObject({ ok: 1, n: 1 });
    expect(retry['writeErrors']).toBeUndefined();
    const older = (await client.command({ ...write, txnNumber: Long.fromNumber(4) })).document;
    expect(older).toMatchObject({ ok: 0, code: 225, codeName: 'TransactionTooOld' });
    // The record replicated: the retry after a failover is also answered from it.
    const newPrimary = await set.stepDown();
    const elsewhere = await connect(newPrimary);
    expect((await elsewhere.command(write)).document).toMatchObject({ ok: 1, n: 1 });
    const count = (await elsewhere.command({ count: 'c', $db: 'test' })).document;
    expect(count['n']).toBe(1);
  });

  it("answers a transaction's bad options with mongod's codes", async () => {
    const set = await start();
    const client = await connect(set.primary);
    const lsid = session();
    const autocommitTrue = (await client.command(retryableInsert({ lsid, autocommit: true }))).document;
    expect(autocommitTrue).toMatchObject({ ok: 0, code: 72, codeName: 'InvalidOptions' });
    const noAutocommit = (await client.command(retryableInsert({ lsid, startTransaction: true }))).document;
    expect(noAutocommit).toMatchObject({ ok: 0, code: 72, codeName: 'InvalidOptions' });
    const count = (
      await client.command({
        count: 'c',
        $db: 'test',
        lsid,
        txnNumber: Long.fromNumber(2),
        startTransaction: true,
        autocommit: false,
      })
    ).document;
    expect(count).toMatchObject({ ok: 0, code: 263, codeName: 'OperationNotSupportedInTransaction' });
    expect(count['errorLabels']).toBeUndefined();
    // The failed first command aborted the transaction: its commit is NoSuchTransaction, transient.
    const commit = (
      await client.command({
        commitTransaction: 1,
        $db: 'admin',
        lsid,
        txnNumber: Long.fromNumber(2),
        autocommit: false,
      })
    ).document;
    expect(commit).toMatchObject({
      ok: 0,
      code: 251,
      codeName: 'NoSuchTransaction',
      errorLabels: ['TransientTransactionError'],
    });
    const started = (
      await client.command(
        retryableInsert({ lsid, txnNumber: Long.fromNumber(3), startTransaction: true, autocommit: false }),
      )
    ).document;
    expect(started).toMatchObject({ ok: 1, n: 1 });
    const older = (
      await client.command(retryableInsert({ lsid, txnNumber: Long.fromNumber(2), autocommit: false }))
    ).document;
    expect(older).toMatchObject({ ok: 0, code: 225, codeName: 'TransactionTooOld' });
  });

  it('answers with $clusterTime and operationTime', async () => {
    const set = await start();
    const client = await connect(set.primary);
    const reply = (await client.command({ insert: 'c', documents: [{ a: 1 }], $db: 'test' })).document;
    expect(reply['$clusterTime']['clusterTime']).toBeDefined();
    expect(reply['operationTime']).toEqual(reply['$clusterTime']['clusterTime']);
  });
});

describe('replication', () => {
  it('a lagging secondary shows an older lastWrite until it applies the write', async () => {
    const set = await start();
    const lagging = set.secondaries[0] ?? '';
    // A lag far longer than the test: the write is applied when the test lowers it, never by itself.
    set.setReplicationLag(lagging, 3_600_000);
    const primaryClient = await connect(set.primary);
    const lastWrite = async (address: string | undefined) =>
      (await hello(address))['lastWrite'] as { opTime: { ts: Timestamp }; lastWriteDate: Date };
    await primaryClient.command({ insert: 'c', documents: [{ _id: 1 }], $db: 'test' });
    const primaryWrite = await lastWrite(set.primary);
    const stale = await lastWrite(lagging);
    expect(stale.opTime.ts.comp(primaryWrite.opTime.ts)).toBe(-1); // older: behind in the oplog
    expect(stale.lastWriteDate.getTime()).toBeLessThanOrEqual(primaryWrite.lastWriteDate.getTime());
    expect(set.memberState(lagging).applied).toBeLessThan(set.memberState(set.primary ?? '').applied);
    const replicated = set.waitFor('replicated', (e) => e.address === lagging);
    set.setReplicationLag(lagging, 0);
    const event = await replicated;
    expect(event.lastWriteDate).toEqual(primaryWrite.lastWriteDate);
    expect(await lastWrite(lagging)).toEqual(primaryWrite);
  });

  it('w: majority waits for a majority; wtimeout reports WriteConcernFailed', async () => {
    const set = await start();
    const [a, b] = set.secondaries;
    set.setReplicationLag(a ?? '', 60_000);
    set.setReplicationLag(b ?? '', 30);
    const client = await connect(set.primary);
    const majority = (
      await client.command({
        insert: 'c',
        documents: [{ _id: 1 }],
        $db: 'test',
        writeConcern: { w: 'majority' },
      })
    ).document;
    expect(majority).toMatchObject({ ok: 1, n: 1 });
    expect(majority['writeConcernError']).toBeUndefined();
    expect(set.memberState(b ?? '').applied).toBe(set.memberState(set.primary ?? '').applied);
    const all = (
      await client.command({
        insert: 'c',
        documents: [{ _id: 2 }],
        $db: 'test',
        writeConcern: { w: 3, wtimeout: 20 },
      })
    ).document;
    expect(all).toMatchObject({
      ok: 1,
      n: 1,
      writeConcernError: { code: 64, codeName: 'WriteConcernFailed' },
    });
  });

  it('writes no reachable member has are rolled back at failover; their holder resyncs', async () => {
    const set = await start();
    const old = set.primary ?? '';
    for (const secondary of set.secondaries) set.setReplicationLag(secondary, 600_000);
    const client = await connect(old);
    await client.command({ insert: 'c', documents: [{ _id: 'lost' }], $db: 'test' });
    const elected = set.waitFor('primaryElected');
    await set.kill(old);
    const { address } = await elected;
    const fresh = await connect(address);
    expect((await fresh.command({ count: 'c', $db: 'test' })).document['n']).toBe(0);
    await fresh.command({ insert: 'c', documents: [{ _id: 'kept' }], $db: 'test' });
    await set.restart(old);
    const back = await connect(old);
    const found = await back.command({ find: 'c', $db: 'test', $readPreference: { mode: 'secondary' } });
    expect(found.document['cursor']['firstBatch']).toEqual([{ _id: 'kept' }]);
  });
});

describe('lifecycle', () => {
  it('close() is idempotent and controls used afterwards throw a clear error', async () => {
    const set = await start();
    const address = set.primary ?? '';
    const pending = set.waitFor('primaryElected');
    await Promise.all([set.close(), set.close()]);
    await expect(pending).rejects.toBeInstanceOf(SimulatorClosedError);
    await expect(set.kill(address)).rejects.toBeInstanceOf(SimulatorClosedError);
    expect(() => set.partition(address)).toThrow(SimulatorClosedError);
    await expect(set.stepDown()).rejects.toBeInstanceOf(SimulatorClosedError);
  });

  it('validates options', async () => {
    await expect(SimulatedReplicaSet.start({ members: 0 })).rejects.toThrow(/members/);
    await expect(SimulatedReplicaSet.start({ members: [{ hidden: true, priority: 1 }] })).rejects.toThrow(
      /hidden/,
    );
    await expect(SimulatedReplicaSet.start({ electionDelayMS: -1 })).rejects.toThrow(/electionDelayMS/);
  });

  it('streams exhaust replies to several clients at once', async () => {
    const set = await start();
    const address = set.primary ?? '';
    const watchers = await Promise.all([connect(address), connect(address), connect(address)]);
    const versions = await Promise.all(
      watchers.map(async (w) => (await w.command({ hello: 1 })).document['topologyVersion']),
    );
    watchers.forEach((watcher, index) =>
      watcher.sendCommand(
        { hello: 1, topologyVersion: versions[index], maxAwaitTimeMS: 600_000 },
        { flags: OpMsgFlags.exhaustAllowed },
      ),
    );
    await set.stepDown();
    const replies = await Promise.all(watchers.map((w) => w.nextMessage()));
    for (const reply of replies)
      expect(reply).toMatchObject({ kind: 'msg', document: { isWritablePrimary: false } });
  });
});
