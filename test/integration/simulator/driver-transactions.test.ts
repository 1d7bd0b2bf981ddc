/**
 * Multi-document transactions through the official driver: commit, isolation, write conflicts
 * retried by withTransaction, aborts by a step-down, an unknown commit result after a crash, and
 * pinning to a mongos.
 */
import {
  Long,
  MongoClient,
  UUID,
  MongoServerError,
  type ClientSession,
  type MongoClientOptions,
} from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedReplicaSet, SimulatedShardedCluster } from '../../../src/testing/index.js';
import { driverClientOptions } from './driver-client.js';
import { RawClient } from './raw-client.js';

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function replicaSet(options: MongoClientOptions = {}): Promise<[SimulatedReplicaSet, MongoClient]> {
  const rs = await SimulatedReplicaSet.start();
  cleanups.push(() => rs.close());
  const client = new MongoClient(rs.uri, { ...driverClientOptions, ...options });
  cleanups.push(() => client.close());
  await client.connect();
  return [rs, client];
}

function startSession(client: MongoClient): ClientSession {
  const session = client.startSession();
  cleanups.push(() => session.endSession());
  return session;
}

interface Item {
  _id: number;
  v?: number;
}

describe('transactions on SimulatedReplicaSet', () => {
  it('withTransaction commits two writes, which appear together, on secondaries too', async () => {
    const [rs, client] = await replicaSet();
    const items = client.db('app').collection<Item>('items');
    const session = startSession(client);
    await session.withTransaction(async () => {
      await items.insertOne({ _id: 1 }, { session });
      await items.insertOne({ _id: 2 }, { session });
    });
    expect(await items.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 1 }, { _id: 2 }]);
    const secondary = new MongoClient(rs.directUri(rs.secondaries[0] ?? ''), {
      ...driverClientOptions,
      readPreference: 'secondaryPreferred',
    });
    cleanups.push(() => secondary.close());
    expect(await secondary.db('app').collection('items').countDocuments()).toBe(2);
  });

  it('a change stream sees a committed transaction at once, each event with its lsid and txnNumber', async () => {
    const [, client] = await replicaSet();
    const items = client.db('app').collection<Item>('items');
    const stream = items.watch();
    cleanups.push(() => stream.close());
    expect(await stream.tryNext()).toBeNull(); // the stream is open (the driver opens it lazily)
    const session = startSession(client);
    session.startTransaction();
    await items.insertOne({ _id: 1 }, { session });
    await items.insertOne({ _id: 2 }, { session });
    await session.commitTransaction();
    const events = [await stream.next(), await stream.next()] as unknown as Array<{
      documentKey: { _id: number };
      clusterTime: unknown;
      lsid: { id: unknown };
      txnNumber: unknown;
    }>;
    expect(events.map((event) => event.documentKey._id)).toEqual([1, 2]);
    expect(events[0]?.clusterTime).toEqual(events[1]?.clusterTime);
    for (const event of events) {
      expect(event.lsid.id).toEqual(session.id?.id);
      expect(event.txnNumber).toBe(1);
    }
  });

  it('isolates: others see nothing until commit; the transaction reads its own writes and its snapshot', async () => {
    const [, client] = await replicaSet();
    const items = client.db('app').collection<Item>('items');
    await items.insertOne({ _id: 0, v: 0 });
    const session = startSession(client);
    session.startTransaction();
    await items.insertOne({ _id: 1 }, { session });
    expect(await items.countDocuments({}, { session })).toBe(2);
    expect(await items.countDocuments()).toBe(1);
    // A plain write after the transaction's snapshot is not visible to it.
    await items.insertOne({ _id: 2 });
    expect(await items.find({}, { session }).toArray()).toEqual([{ _id: 0, v: 0 }, { _id: 1 }]);
    await session.commitTransaction();
    expect(await items.countDocuments()).toBe(3);
  });

  it('a write conflict is a TransientTransactionError that withTransaction retries', async () => {
    const [, client] = await replicaSet();
    const items = client.db('app').collection<Item>('items');
    await items.insertOne({ _id: 1, v: 0 });
    const holder = startSession(client);
    holder.startTransaction();
    await items.updateOne({ _id: 1 }, { $inc: { v: 10 } }, { session: holder });

    const session = startSession(client);
    const errors: unknown[] = [];
    let attempts = 0;
    await session.withTransaction(async () => {
      attempts++;
      // The second attempt runs after the other transaction committed: no conflict any more.
      if (attempts === 2) await holder.commitTransaction();
      try {
        await items.updateOne({ _id: 1 }, { $inc: { v: 1 } }, { session });
      } catch (error) {
        errors.push(error);
        throw error;
      }
    });
    expect(attempts).toBe(2);
    expect(errors).toHaveLength(1);
    const conflict = errors[0] as MongoServerError;
    expect(conflict.code).toBe(112);
    expect(conflict.codeName).toBe('WriteConflict');
    expect(conflict.hasErrorLabel('TransientTransactionError')).toBe(true);
    expect(await items.findOne({ _id: 1 })).toEqual({ _id: 1, v: 11 });
  });

  it('a plain write to a document a transaction holds waits for its commit', async () => {
    const [rs, client] = await replicaSet();
    const items = client.db('app').collection<Item>('items');
    await items.insertOne({ _id: 1, v: 0 });
    const session = startSession(client);
    session.startTransaction();
    await items.updateOne({ _id: 1 }, { $set: { v: 1 } }, { session });
    const received = rs.waitFor('command', (e) => e.commandName === 'update');
    const plain = items.updateOne({ _id: 1 }, { $inc: { v: 100 } });
    await received;
    await session.commitTransaction();
    await plain;
    expect(await items.findOne({ _id: 1 })).toEqual({ _id: 1, v: 101 });
  });

  it('a step-down aborts the open transaction; withTransaction retries it on the new primary', async () => {
    const [rs, client] = await replicaSet();
    const items = client.db('app').collection<Item>('items');
    const session = startSession(client);
    const labels: boolean[] = [];
    let attempts = 0;
    await session.withTransaction(async () => {
      attempts++;
      await items.insertOne({ _id: 1 }, { session });
      if (attempts === 1) await rs.stepDown();
      try {
        await items.insertOne({ _id: 2 }, { session });
      } catch (error) {
        labels.push(error instanceof MongoServerError && error.hasErrorLabel('TransientTransactionError'));
        throw error;
      }
    });
    expect(attempts).toBe(2);
    expect(labels).toEqual([true]);
    expect(await items.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 1 }, { _id: 2 }]);
  });

  it('a primary killed during commit gives UnknownTransactionCommitResult; the retried commit succeeds once', async () => {
    const [rs, client] = await replicaSet();
    const items = client.db('app').collection<Item>('items');
    const session = startSession(client);
    session.startTransaction();
    await items.insertOne({ _id: 1 }, { session });
    const primary = rs.primary ?? '';
    // The commit runs (and replicates) but its reply never leaves: then the process dies. The
    // driver retries the commit once by itself; that reply is lost too, so the error shows.
    const hang = rs.fault(primary, { kind: 'hang', commands: ['commitTransaction'], times: 1 });
    for (const secondary of rs.secondaries) {
      rs.fault(secondary, { kind: 'reset', commands: ['commitTransaction'], times: 1 });
    }
    const commit = session.commitTransaction();
    await hang.triggered;
    await rs.kill(primary);
    const error = await commit.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as MongoServerError).hasErrorLabel('UnknownTransactionCommitResult')).toBe(true);
    await session.commitTransaction();
    expect(await items.find().toArray()).toEqual([{ _id: 1 }]);
  });

  it('a retried commitTransaction is idempotent; commit or abort of an unknown transaction is NoSuchTransaction', async () => {
    const [rs, client] = await replicaSet();
    const raw = await RawClient.connect(rs.primary ?? '');
    cleanups.push(() => raw.close());
    const lsid = { id: new UUID() };
    const txn = { lsid, txnNumber: Long.fromNumber(1), autocommit: false };
    const insert = { insert: 'items', documents: [{ _id: 1 }], $db: 'app', ...txn, startTransaction: true };
    expect((await raw.command(insert)).document).toMatchObject({ ok: 1, n: 1 });
    const commit = { commitTransaction: 1, $db: 'admin', ...txn };
    expect((await raw.command(commit)).document).toMatchObject({ ok: 1 });
    expect((await raw.command(commit)).document).toMatchObject({ ok: 1 });
    expect(await client.db('app').collection('items').countDocuments()).toBe(1);
    const unknown = { ...txn, txnNumber: Long.fromNumber(7) };
    for (const command of [
      { commitTransaction: 1, $db: 'admin', ...unknown },
      { abortTransaction: 1, $db: 'admin', ...unknown },
    ]) {
      expect((await raw.command(command)).document).toMatchObject({
        ok: 0,
        code: 251,
        codeName: 'NoSuchTransaction',
        errorLabels: ['TransientTransactionError'],
      });
    }
  });

  it('a write error (E11000) inside a transaction aborts it; unique values hold across transactions; a held plain write times out', async () => {
    const [rs, client] = await replicaSet();
    await client.db('app').collection<Item>('items').insertOne({ _id: 1 });
    const raw = await RawClient.connect(rs.primary ?? '');
    cleanups.push(() => raw.close());
    const txn = { lsid: { id: new UUID() }, txnNumber: Long.fromNumber(1), autocommit: false };
    const duplicate = (
      await raw.command({
        insert: 'items',
        documents: [{ _id: 1 }],
        $db: 'app',
        ...txn,
        startTransaction: true,
      })
    ).document;
    expect(duplicate).toMatchObject({ ok: 1, n: 0, writeErrors: [{ index: 0, code: 11000 }] });
    expect((await raw.command({ commitTransaction: 1, $db: 'admin', ...txn })).document).toMatchObject({
      ok: 0,
      codeName: 'NoSuchTransaction',
    });

    // The same for a unique secondary index (E11000 on `email`).
    const items = client.db('app').collection<Item & { email?: string }>('items');
    await items.createIndex({ email: 1 }, { unique: true });
    await items.insertOne({ _id: 2, email: 'a@example.com' });
    const unique = { lsid: { id: new UUID() }, txnNumber: Long.fromNumber(1), autocommit: false };
    const clash = (
      await raw.command({
        insert: 'items',
        documents: [{ _id: 3, email: 'a@example.com' }],
        $db: 'app',
        ...unique,
        startTransaction: true,
      })
    ).document;
    expect(clash).toMatchObject({
      ok: 1,
      n: 0,
      writeErrors: [{ code: 11000, keyValue: { email: 'a@example.com' } }],
    });
    expect((await raw.command({ commitTransaction: 1, $db: 'admin', ...unique })).document).toMatchObject({
      ok: 0,
      codeName: 'NoSuchTransaction',
    });

    // Two transactions take the same unique value under different _ids: the second commit conflicts.
    const first = { lsid: { id: new UUID() }, txnNumber: Long.fromNumber(1), autocommit: false };
    const second = { lsid: { id: new UUID() }, txnNumber: Long.fromNumber(1), autocommit: false };
    for (const [txn, _id] of [
      [first, 10],
      [second, 11],
    ] as const) {
      const insert = { insert: 'items', documents: [{ _id, email: 'b@example.com' }], $db: 'app' };
      expect((await raw.command({ ...insert, ...txn, startTransaction: true })).document).toMatchObject({
        n: 1,
      });
    }
    expect((await raw.command({ commitTransaction: 1, $db: 'admin', ...first })).document).toMatchObject({
      ok: 1,
    });
    expect((await raw.command({ commitTransaction: 1, $db: 'admin', ...second })).document).toMatchObject({
      ok: 0,
      codeName: 'WriteConflict',
      errorLabels: ['TransientTransactionError'],
    });
    expect(await items.countDocuments({ email: 'b@example.com' })).toBe(1);

    const holder = { lsid: { id: new UUID() }, txnNumber: Long.fromNumber(1), autocommit: false };
    const update = { update: 'items', updates: [{ q: { _id: 1 }, u: { $set: { v: 1 } } }], $db: 'app' };
    expect((await raw.command({ ...update, ...holder, startTransaction: true })).document).toMatchObject({
      ok: 1,
      nModified: 1,
    });
    const held = (await raw.command({ ...update, maxTimeMS: 50 })).document;
    expect(held).toMatchObject({ ok: 0, code: 50, codeName: 'MaxTimeMSExpired' });
    // A retryable write with a newer txnNumber on the same session aborts its open transaction
    // (releasing the document); the session has moved on, so the old commit is too old.
    const retryable = { ...update, lsid: holder.lsid, txnNumber: Long.fromNumber(2) };
    expect((await raw.command(retryable)).document).toMatchObject({ ok: 1, nModified: 1 });
    expect((await raw.command({ commitTransaction: 1, $db: 'admin', ...holder })).document).toMatchObject({
      ok: 0,
      codeName: 'TransactionTooOld',
    });
  });
});

describe('transactions on SimulatedShardedCluster', () => {
  it('pins a transaction to one mongos; another mongos does not know it', async () => {
    const cluster = await SimulatedShardedCluster.start({ mongos: 2 });
    cleanups.push(() => cluster.close());
    const client = new MongoClient(cluster.uri, driverClientOptions);
    cleanups.push(() => client.close());
    await client.connect();
    const items = client.db('app').collection<Item>('items');
    const routersUsed = new Set<string>();
    const record = (event: { address: string; commandName: string }): void => {
      if (['insert', 'aggregate'].includes(event.commandName)) routersUsed.add(event.address);
    };
    cluster.on('command', record);
    const session = startSession(client);
    session.startTransaction();
    for (let i = 0; i < 6; i++) await items.insertOne({ _id: i }, { session });
    expect(await items.countDocuments({}, { session })).toBe(6);
    expect(routersUsed.size).toBe(1);
    const [pinned] = [...routersUsed];
    const other = cluster.routers.find((address) => address !== pinned) ?? '';

    cluster.off('command', record);
    const raw = await RawClient.connect(other);
    cleanups.push(() => raw.close());
    const elsewhere = (
      await raw.command({
        insert: 'items',
        documents: [{ _id: 99 }],
        $db: 'app',
        lsid: session.id,
        txnNumber: session.serverSession?.txnNumber,
        autocommit: false,
      })
    ).document;
    expect(elsewhere).toMatchObject({
      ok: 0,
      code: 251,
      codeName: 'NoSuchTransaction',
      errorLabels: ['TransientTransactionError'],
    });

    const commits: string[] = [];
    cluster.on('command', (event) => {
      if (event.commandName === 'commitTransaction') commits.push(event.address);
    });
    await session.commitTransaction();
    expect(commits).toEqual([pinned]);
    expect(await items.countDocuments()).toBe(6);
    // Once committed, any router answers a retried commit (it recovers the decision).
    const retried = (
      await raw.command({
        commitTransaction: 1,
        $db: 'admin',
        lsid: session.id,
        txnNumber: session.serverSession?.txnNumber,
        autocommit: false,
      })
    ).document;
    expect(retried).toMatchObject({ ok: 1, recoveryToken: { recoveryShardId: 'shard0' } });
  });
});
