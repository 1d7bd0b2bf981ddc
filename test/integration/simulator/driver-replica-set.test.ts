/**
 * The official `mongodb` driver against SimulatedReplicaSet: what an application sees through a
 * real client, on the happy path and through failovers.
 */
import {
  MongoClient,
  MongoNetworkTimeoutError,
  MongoServerError,
  type CommandFailedEvent,
  type MongoClientOptions,
  type ServerHeartbeatSucceededEvent,
  type TopologyDescriptionChangedEvent,
} from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { SimulatedReplicaSet } from '../../../src/testing/index.js';
import {
  driverClientOptions,
  driverOnReplicaSet,
  nextEvent,
  partitionClientOptions,
  serverBecomes,
} from './driver-client.js';

const clientOptions: MongoClientOptions = { ...driverClientOptions, retryWrites: true };

const startSet = driverOnReplicaSet();

/** A set and a driver client with command monitoring on. */
function start(
  options: Parameters<typeof SimulatedReplicaSet.start>[0] = {},
  driverOptions: MongoClientOptions = clientOptions,
): Promise<[SimulatedReplicaSet, MongoClient]> {
  return startSet(options, { ...driverOptions, monitorCommands: true });
}

describe('official driver against SimulatedReplicaSet', () => {
  it('reaches ReplicaSetWithPrimary and follows a step-down through the streaming protocol', async () => {
    const [set, driver] = await start();
    const streams = new Map<string, number>();
    set.on('command', (event) => {
      if (event.awaitable && event.exhaustAllowed)
        streams.set(event.address, (streams.get(event.address) ?? 0) + 1);
    });
    const streaming = Promise.all(
      set.members.map((address) =>
        set.waitFor('command', (e) => e.address === address && e.awaitable && e.exhaustAllowed),
      ),
    );
    const withPrimary = nextEvent<TopologyDescriptionChangedEvent>(
      driver,
      'topologyDescriptionChanged',
      (event) => event.newDescription.type === 'ReplicaSetWithPrimary',
    );
    await driver.connect();
    expect((await withPrimary).newDescription.setName).toBe('rs0');
    await streaming;
    const awaitableHellos = new Map(streams);

    // After a step-down every member streams a reply (moreToCome) without being asked again.
    const streamed = new Set<string>();
    const everyMemberStreamed = new Promise<void>((resolve) => {
      driver.on('serverHeartbeatSucceeded', (event: ServerHeartbeatSucceededEvent) => {
        if (event.awaited) streamed.add(event.connectionId);
        if (streamed.size === set.members.length) resolve();
      });
    });
    const oldPrimary = set.primary;
    const newPrimary = await set.stepDown();
    const seen = await serverBecomes(driver, 'RSPrimary', newPrimary);
    expect(seen.newDescription.electionId?.toHexString()).toBe('7fffffff0000000000000002');
    await everyMemberStreamed;
    expect(oldPrimary).not.toBe(newPrimary);
    expect(streams).toEqual(awaitableHellos);
    expect([...streams.keys()].sort()).toEqual([...set.members].sort());
  });

  it('inserts, finds, updates, deletes, counts and aggregates', async () => {
    const [set, driver] = await start();
    await driver.connect();
    const items = driver
      .db('shop')
      .collection<{ _id?: unknown; sku: string; qty: number; tags?: string[] }>('items');
    await items.insertOne({ sku: 'a', qty: 1 });
    await items.insertMany([
      { sku: 'b', qty: 5, tags: ['x'] },
      { sku: 'c', qty: 10, tags: ['x', 'y'] },
      { sku: 'd', qty: 7 },
      { sku: 'e', qty: 3 },
    ]);
    const sorted = await items
      .find({ qty: { $gte: 3 } }, { projection: { _id: 0, sku: 1 } })
      .sort({ qty: -1 })
      .toArray();
    expect(sorted).toEqual([{ sku: 'c' }, { sku: 'd' }, { sku: 'b' }, { sku: 'e' }]);
    const page = await items.find({}).sort({ sku: 1 }).skip(1).limit(2).toArray();
    expect(page.map((item) => item.sku)).toEqual(['b', 'c']);
    // Small batches: the cursor needs getMore, then is exhausted.
    const batched = await items.find({}, { batchSize: 2 }).toArray();
    expect(batched).toHaveLength(5);
    const cursor = items.find({}, { batchSize: 2 });
    await cursor.next();
    await cursor.close();
    expect(set.commandCount(set.primary ?? '', 'getMore')).toBe(2);
    expect(set.commandCount(set.primary ?? '', 'killCursors')).toBe(1);

    expect(await items.updateOne({ sku: 'a' }, { $set: { qty: 2 }, $push: { tags: 'new' } })).toMatchObject({
      matchedCount: 1,
      modifiedCount: 1,
    });
    expect(await items.updateMany({ tags: 'x' }, { $inc: { qty: 100 } })).toMatchObject({
      matchedCount: 2,
      modifiedCount: 2,
    });
    const upsert = await items.updateOne({ sku: 'z' }, { $set: { qty: 0 } }, { upsert: true });
    expect(upsert.upsertedCount).toBe(1);
    expect(await items.findOne({ sku: 'z' }, { projection: { _id: 0 } })).toEqual({ sku: 'z', qty: 0 });
    const before = await items.findOneAndUpdate(
      { sku: 'b' },
      { $set: { qty: 1 } },
      { returnDocument: 'before' },
    );
    expect(before?.qty).toBe(105);
    expect(await items.distinct('tags')).toEqual(expect.arrayContaining(['x', 'y', 'new']));

    expect(await items.countDocuments()).toBe(6);
    expect(await items.countDocuments({ qty: { $gt: 50 } })).toBe(1);
    expect(await items.estimatedDocumentCount()).toBe(6);
    const grouped = await items
      .aggregate([{ $match: { qty: { $lt: 10 } } }, { $group: { _id: null, total: { $sum: '$qty' } } }])
      .toArray();
    expect(grouped).toEqual([{ _id: null, total: 2 + 1 + 7 + 3 + 0 }]);

    expect((await items.deleteOne({ sku: 'z' })).deletedCount).toBe(1);
    expect((await items.deleteMany({ qty: { $lt: 5 } })).deletedCount).toBe(3);
    expect(await items.countDocuments()).toBe(2);

    const named = driver.db('shop').collection<{ _id: string }>('named');
    await named.insertOne({ _id: 'same' });
    const duplicate = await named.insertOne({ _id: 'same' }).catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(MongoServerError);
    expect((duplicate as MongoServerError).code).toBe(11000);

    const names = (await driver.db('shop').listCollections({}, { nameOnly: true }).toArray()).map(
      (c) => c.name,
    );
    expect(names.sort()).toEqual(['items', 'named']);
    await items.createIndex({ sku: 1 });
    await driver.db('shop').dropDatabase();
    expect(await items.countDocuments()).toBe(0);
  });

  it('reads from a secondary with readPreference secondary once writes replicated', async () => {
    const [set, driver] = await start();
    await driver.connect();
    const writes = driver.db('app').collection('events');
    await writes.insertOne({ n: 1 }, { writeConcern: { w: 'majority' } });
    const reads = driver.db('app', { readPreference: 'secondary' }).collection('events');
    const served = nextEvent<{ address: string; commandName: string }>(
      driver,
      'commandSucceeded',
      (e) => e.commandName === 'find',
    );
    expect(await reads.countDocuments({}, {})).toBe(1);
    const found = await reads.find({}).toArray();
    expect(found).toHaveLength(1);
    const event = await served;
    expect(set.secondaries).toContain(event.address);
  });

  it('keeps writing across stepDown() with retryable writes: nothing lost, nothing doubled', async () => {
    const [set, driver] = await start();
    await driver.connect();
    const orders = driver.db('app').collection<{ _id: number }>('orders');
    const failures: CommandFailedEvent[] = [];
    driver.on('commandFailed', (event: CommandFailedEvent) => failures.push(event));
    const oldPrimary = set.primary;
    for (let i = 0; i < 10; i++) await orders.insertOne({ _id: i });
    // The driver still believes the old primary is primary: its next write gets NotWritablePrimary
    // (labelled RetryableWriteError) and is retried on the new primary.
    const newPrimary = await set.stepDown();
    expect(newPrimary).not.toBe(oldPrimary);
    for (let i = 10; i < 20; i++) await orders.insertOne({ _id: i });
    const ids = (await orders.find({}).sort({ _id: 1 }).toArray()).map((doc) => doc._id);
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const notPrimary = failures.filter((event) => (event.failure as { code?: number }).code === 10107);
    expect(notPrimary.length).toBeLessThanOrEqual(1);
    expect(set.commandCount(newPrimary, 'insert')).toBeGreaterThanOrEqual(10);
  });

  it('a write whose reply was lost is retried on the new primary and not applied twice', async () => {
    const [set, driver] = await start();
    await driver.connect();
    const orders = driver.db('app').collection<{ _id: number; v?: number }>('orders');
    await orders.insertOne({ _id: 0 });
    const oldPrimary = set.primary ?? '';
    // The insert runs on the primary (and replicates), its reply is lost, the primary steps down:
    // the driver retries on the new primary, which has the session's record and does not insert
    // again (a second insert would fail with a duplicate key).
    const lostInsert = set.fault(oldPrimary, { kind: 'reset', commands: ['insert'], times: 1 });
    set.once('fault', () => void set.stepDown().catch(() => undefined));
    await orders.insertOne({ _id: 1 });
    expect(lostInsert.hits).toBe(1);
    const elected = await set.waitForPrimary();
    expect(elected).not.toBe(oldPrimary);
    expect(set.commandCount(elected, 'insert')).toBe(1);
    // A non-idempotent update whose reply is lost: applied twice it would leave v = 2.
    const lostUpdate = set.fault(elected, { kind: 'reset', commands: ['update'], times: 1 });
    await orders.updateOne({ _id: 1 }, { $inc: { v: 1 } });
    expect(lostUpdate.hits).toBe(1);
    expect(set.commandCount(elected, 'update')).toBe(2);
    expect(await orders.find({}).sort({ _id: 1 }).toArray()).toEqual([{ _id: 0 }, { _id: 1, v: 1 }]);
  });

  it('kill(primary): connections reset, the set elects, the driver moves to the new primary', async () => {
    const [set, driver] = await start();
    await driver.connect();
    const orders = driver.db('app').collection<{ _id: number }>('orders');
    await orders.insertOne({ _id: 1 });
    const killed = set.primary ?? '';
    const unknown = serverBecomes(driver, 'Unknown', killed);
    const elected = set.waitFor('primaryElected');
    await set.kill(killed);
    const { address: newPrimary } = await elected;
    await unknown;
    await orders.insertOne({ _id: 2 });
    expect(await orders.countDocuments()).toBe(2);
    expect(set.commandCount(newPrimary, 'insert')).toBeGreaterThanOrEqual(1);
    // Back as a secondary, caught up.
    const back = serverBecomes(driver, 'RSSecondary', killed);
    await set.restart(killed);
    await back;
    expect(set.memberState(killed).applied).toBe(set.memberState(newPrimary).applied);
  });

  it('partition: the driver marks the silent member Unknown after its timeout, and back after heal', async () => {
    const [set, driver] = await start({}, { ...partitionClientOptions, retryWrites: true });
    await driver.connect();
    await driver.db('app').command({ ping: 1 });
    const silent = set.secondaries[0] ?? '';
    const unknown = serverBecomes(driver, 'Unknown', silent);
    set.partition(silent);
    const marked = await unknown;
    expect(marked.newDescription.error).toBeInstanceOf(MongoNetworkTimeoutError);
    expect(marked.newDescription.error?.message).toMatch(/timed out/);
    const healed = serverBecomes(driver, 'RSSecondary', silent);
    set.heal(silent);
    await healed;
  });

  it('partition(primary): the set elects and writes continue on the new primary', async () => {
    const [set, driver] = await start();
    await driver.connect();
    const orders = driver.db('app').collection<{ _id: number }>('orders');
    await orders.insertOne({ _id: 1 });
    const old = set.primary ?? '';
    const elected = set.waitFor('primaryElected');
    set.partition(old);
    const { address } = await elected;
    expect(address).not.toBe(old);
    // The driver learns of the new primary from the other members' streams at once.
    await serverBecomes(driver, 'RSPrimary', address);
    await orders.insertOne({ _id: 2 });
    expect(await orders.countDocuments()).toBe(2);
  });

  it('a secondary refuses writes with NotWritablePrimary and the RetryableWriteError label', async () => {
    const [set] = await start();
    const secondary = set.secondaries[0] ?? '';
    const direct = new MongoClient(set.directUri(secondary), { ...clientOptions, retryWrites: false });
    try {
      const error = await direct
        .db('app')
        .collection('orders')
        .insertOne({ _id: 1 } as never)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MongoServerError);
      expect((error as MongoServerError).code).toBe(10107);
    } finally {
      await direct.close();
    }
  });
});
