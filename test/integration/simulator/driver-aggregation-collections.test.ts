/**
 * Aggregations across collections, collection commands and the rest of what applications send,
 * through the official driver against the simulator: $lookup, $graphLookup, $unionWith, $out and
 * $merge (whose writes replicate), renameCollection, listCollections, validators, collation and
 * `let`, client.bulkWrite (8.0), and unknown commands and stages (errors naming them, connection
 * kept).
 */
import type { MongoClient } from 'mongodb';
import { MongoClientBulkWriteError, ReadPreference, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { SIMULATED_SERVER_VERSION } from '../../../src/testing/index.js';
import { driverOnReplicaSet, failure } from './driver-client.js';

const startSet = driverOnReplicaSet();

async function start(): Promise<MongoClient> {
  const [, client] = await startSet();
  return client;
}

type Row = Document & { _id: number };

async function shop(driver: MongoClient): Promise<void> {
  const db = driver.db('shop');
  await db.collection<Row>('users').insertMany([
    { _id: 1, name: 'ada', boss: null },
    { _id: 2, name: 'bob', boss: 1 },
    { _id: 3, name: 'cy', boss: 2 },
  ]);
  await db.collection<Row>('orders').insertMany([
    { _id: 10, user: 1, total: 5 },
    { _id: 11, user: 1, total: 7 },
    { _id: 12, user: 3, total: 1 },
  ]);
}

describe('aggregation across collections', () => {
  it('$lookup by equality and by pipeline with let', async () => {
    const driver = await start();
    await shop(driver);
    const users = driver.db('shop').collection('users');
    const byEquality = await users
      .aggregate([
        { $lookup: { from: 'orders', localField: '_id', foreignField: 'user', as: 'orders' } },
        { $project: { _id: 1, n: { $size: '$orders' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(byEquality).toEqual([
      { _id: 1, n: 2 },
      { _id: 2, n: 0 },
      { _id: 3, n: 1 },
    ]);
    const byPipeline = await users
      .aggregate([
        { $match: { _id: 1 } },
        {
          $lookup: {
            from: 'orders',
            let: { id: '$_id' },
            pipeline: [
              { $match: { $expr: { $eq: ['$user', '$$id'] } } },
              { $group: { _id: null, sum: { $sum: '$total' } } },
            ],
            as: 'spent',
          },
        },
      ])
      .toArray();
    expect(byPipeline[0]?.['spent']).toEqual([{ _id: null, sum: 12 }]);
  });

  it('$graphLookup and $unionWith read the other collection', async () => {
    const driver = await start();
    await shop(driver);
    const users = driver.db('shop').collection('users');
    const [cy] = await users
      .aggregate([
        { $match: { _id: 3 } },
        {
          $graphLookup: {
            from: 'users',
            startWith: '$boss',
            connectFromField: 'boss',
            connectToField: '_id',
            as: 'chain',
          },
        },
      ])
      .toArray();
    expect((cy?.['chain'] as Row[]).map((user) => user._id).sort()).toEqual([1, 2]);
    const union = await users
      .aggregate([
        { $project: { _id: 1 } },
        { $unionWith: { coll: 'orders', pipeline: [{ $project: { _id: 1 } }] } },
      ])
      .toArray();
    expect(union.map((row) => row['_id'])).toEqual([1, 2, 3, 10, 11, 12]);
  });

  it('$out sent to a secondary reads there and writes through the primary, as mongod 5.0+', async () => {
    const [set, driver] = await startSet();
    await shop(driver);
    const db = driver.db('shop');
    const secondaries = new Set(set.secondaries);
    const servedBy: string[] = [];
    set.on('command', (event) => {
      if (event.commandName === 'aggregate') servedBy.push(event.address);
    });
    await db
      .collection('orders')
      .aggregate([{ $match: { user: 1 } }, { $out: 'ones' }], { readPreference: ReadPreference.SECONDARY })
      .toArray();
    expect(servedBy.length).toBe(1);
    expect(secondaries.has(servedBy[0] ?? '')).toBe(true);
    expect(await db.collection('ones').countDocuments()).toBe(2);
  });

  it('$out and $merge write through the primary and replicate', async () => {
    const driver = await start();
    await shop(driver);
    const db = driver.db('shop');
    await db
      .collection('orders')
      .aggregate([
        { $group: { _id: '$user', total: { $sum: '$total' } } },
        { $sort: { _id: 1 } },
        { $out: 'totals' },
      ])
      .toArray();
    await db
      .collection('users')
      .aggregate([
        { $project: { name: 1 } },
        { $merge: { into: 'totals', whenMatched: 'merge', whenNotMatched: 'insert' } },
      ])
      .toArray();
    const fromSecondary = await db
      .collection('totals')
      .find({}, { readPreference: ReadPreference.SECONDARY })
      .sort({ _id: 1 })
      .toArray();
    expect(fromSecondary).toEqual([
      { _id: 1, total: 12, name: 'ada' },
      { _id: 2, name: 'bob' },
      { _id: 3, total: 1, name: 'cy' },
    ]);
    const failed = await failure(
      db
        .aggregate([{ $documents: [{ _id: 2 }] }, { $merge: { into: 'totals', whenMatched: 'fail' } }])
        .toArray(),
    );
    expect([failed.code, failed['keyPattern'], failed['keyValue']]).toEqual([11000, { _id: 1 }, { _id: 2 }]);
  });

  it('names the stages it does not run', async () => {
    const driver = await start();
    const coll = driver.db('shop').collection('users');
    const unsupported = await failure(coll.aggregate([{ $indexStats: {} }]).toArray());
    expect(unsupported.message).toContain('$indexStats');
    const unknown = await failure(coll.aggregate([{ $frobnicate: {} }]).toArray());
    expect([unknown.code, unknown.message]).toEqual([
      40324,
      "Unrecognized pipeline stage name: '$frobnicate'",
    ]);
  });
});

describe('collection commands', () => {
  it('renameCollection moves documents and indexes; refuses a missing source or an existing target', async () => {
    const driver = await start();
    await shop(driver);
    const db = driver.db('shop');
    await db.collection('orders').createIndex({ user: 1 });
    await db.renameCollection('orders', 'purchases');
    expect(await db.collection('purchases').countDocuments()).toBe(3);
    expect((await db.collection('purchases').indexes()).map((index) => index.name)).toEqual([
      '_id_',
      'user_1',
    ]);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    expect(names).toEqual(['purchases', 'users']);
    expect((await failure(db.renameCollection('orders', 'x'))).code).toBe(26);
    expect((await failure(db.renameCollection('purchases', 'users'))).code).toBe(48);
    await db.renameCollection('purchases', 'users', { dropTarget: true });
    expect(await db.collection('users').countDocuments()).toBe(3);
  });

  it('listCollections filters; a validator refuses bad documents unless bypassed', async () => {
    const driver = await start();
    const db = driver.db('shop');
    await db.createCollection('items', { validator: { price: { $gte: 0 } } });
    await db.createCollection('notes');
    const filtered = await db.listCollections({ name: 'items' }).toArray();
    expect(filtered).toMatchObject([
      { name: 'items', type: 'collection', options: { validator: { price: { $gte: 0 } } } },
    ]);
    const items = db.collection<Row>('items');
    const refused = await failure(items.insertOne({ _id: 1, price: -1 }));
    expect([refused.code, refused.codeName]).toEqual([121, 'DocumentValidationFailure']);
    await items.insertOne({ _id: 2, price: -1 }, { bypassDocumentValidation: true });
    expect(await items.countDocuments()).toBe(1);
  });

  it('reads views through their pipeline and refuses writes to them', async () => {
    const driver = await start();
    await shop(driver);
    const db = driver.db('shop');
    await db.createCollection('bigOrders', {
      viewOn: 'orders',
      pipeline: [{ $match: { total: { $gt: 2 } } }],
    });
    const view = db.collection<Row>('bigOrders');
    expect(await view.estimatedDocumentCount()).toBe(2);
    expect((await view.find().sort({ _id: 1 }).toArray()).map((order) => order._id)).toEqual([10, 11]);
    const [info] = await db.listCollections({ name: 'bigOrders' }).toArray();
    expect(info).toMatchObject({ type: 'view', options: { viewOn: 'orders' } });
    const refused = await failure(view.insertOne({ _id: 99, total: 100 }));
    expect([refused.code, refused.codeName]).toEqual([166, 'CommandNotSupportedOnView']);
  });

  it('caps a capped collection, the same on every member, and reports it in $collStats', async () => {
    const driver = await start();
    const db = driver.db('shop');
    await db.createCollection('log', { capped: true, size: 4096, max: 3 });
    const log = db.collection<Row>('log');
    for (let i = 1; i <= 5; i++) await log.insertOne({ _id: i });
    expect((await log.find().toArray()).map((row) => row._id)).toEqual([3, 4, 5]);
    const secondary = await log.find({}, { readPreference: ReadPreference.SECONDARY }).toArray();
    expect(secondary.map((row) => row._id)).toEqual([3, 4, 5]);
    const [stats] = await log
      .aggregate([
        { $collStats: { storageStats: {} } },
        {
          $project: {
            capped: '$storageStats.capped',
            maxSize: '$storageStats.maxSize',
            count: '$storageStats.count',
          },
        },
      ])
      .toArray();
    expect(stats).toMatchObject({ capped: true, maxSize: 4096, count: 3 });
  });

  it('honours collation strength 2 and let variables', async () => {
    const driver = await start();
    const words = driver.db('shop').collection<Row>('words');
    await words.insertMany([
      { _id: 1, w: 'ping' },
      { _id: 2, w: 'PING' },
      { _id: 3, w: 'pong' },
    ]);
    expect(await words.countDocuments({ w: 'Ping' }, { collation: { locale: 'en', strength: 2 } })).toBe(2);
    expect(await words.countDocuments({ w: 'Ping' })).toBe(0);
    const found = await words.find({ $expr: { $eq: ['$_id', '$$id'] } }, { let: { id: 3 } }).toArray();
    expect(found).toEqual([{ _id: 3, w: 'pong' }]);
    const accents = await failure(words.countDocuments({}, { collation: { locale: 'fr', strength: 1 } }));
    expect(accents.message).toContain('collation strength 1');
  });
});

describe('what else applications send', () => {
  it('declares 8.0 and runs client.bulkWrite across namespaces', async () => {
    const driver = await start();
    const info = await driver.db('admin').command({ buildInfo: 1 });
    expect(info['version']).toBe(SIMULATED_SERVER_VERSION);
    const result = await driver.bulkWrite<{ 'shop.a': Row; 'shop.b': Row }>(
      [
        { namespace: 'shop.a', name: 'insertOne', document: { _id: 1 } },
        {
          namespace: 'shop.b',
          name: 'updateOne',
          filter: { _id: 5 },
          update: { $set: { v: 1 } },
          upsert: true,
        },
        { namespace: 'shop.a', name: 'deleteMany', filter: {} },
      ],
      { verboseResults: true },
    );
    expect([result.insertedCount, result.upsertedCount, result.deletedCount]).toEqual([1, 1, 1]);
    expect(result.updateResults?.get(1)?.upsertedId).toBe(5);
    const error = await driver
      .bulkWrite<{ 'shop.b': Row }>([
        { namespace: 'shop.b', name: 'insertOne', document: { _id: 5 } },
        { namespace: 'shop.b', name: 'insertOne', document: { _id: 6 } },
      ])
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(MongoClientBulkWriteError);
    expect((error as MongoClientBulkWriteError).writeErrors.get(0)?.code).toBe(11000);
    expect(await driver.db('shop').collection<Row>('b').countDocuments()).toBe(1);
  });

  it('answers an unknown command with CommandNotFound and keeps the connection', async () => {
    const driver = await start();
    const db = driver.db('shop');
    const error = await failure(db.command({ frobnicate: 1 }));
    expect([error.code, error.codeName, error.message]).toEqual([
      59,
      'CommandNotFound',
      "no such command: 'frobnicate'",
    ]);
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
  });
});
