/**
 * Indexes on the simulator through the official driver: unique enforcement with mongod's E11000
 * (keyPattern, keyValue, message), createIndexes' names and conflicts, listIndexes, dropIndexes,
 * hints, and indexes that replicate and survive failover.
 */
import type { MongoClient } from 'mongodb';
import {
  MongoBulkWriteError,
  MongoServerError,
  type Collection,
  type Document,
  type ServerDescriptionChangedEvent,
} from 'mongodb';
import { describe, expect, it } from 'vitest';
import { driverOnReplicaSet, failure, nextEvent } from './driver-client.js';

const start = driverOnReplicaSet();

/** Test documents have numeric ids. */
type Row = Document & { _id: number };

function collection(driver: MongoClient, name: string): Collection<Row> {
  return driver.db('app').collection<Row>(name);
}

async function usersWithUniqueEmail(driver: MongoClient): Promise<Collection<Row>> {
  const users = collection(driver, 'users');
  expect(await users.createIndex({ email: 1 }, { unique: true })).toBe('email_1');
  return users;
}

describe('unique indexes', () => {
  it('refuse a duplicate insert with E11000, keyPattern and keyValue', async () => {
    const [, driver] = await start();
    const users = await usersWithUniqueEmail(driver);
    await users.insertOne({ _id: 1, email: 'ada@example.com' });
    const error = await failure(users.insertOne({ _id: 2, email: 'ada@example.com' }), MongoServerError);
    expect(error.code).toBe(11000);
    expect(error.message).toBe(
      'E11000 duplicate key error collection: app.users index: email_1 dup key: { email: "ada@example.com" }',
    );
    expect(error['keyPattern']).toEqual({ email: 1 });
    expect(error['keyValue']).toEqual({ email: 'ada@example.com' });
    expect(await users.countDocuments()).toBe(1);
  });

  it('stop an ordered insertMany at the first duplicate and let an unordered one go on', async () => {
    const [, driver] = await start();
    const users = await usersWithUniqueEmail(driver);
    const docs = [
      { _id: 1, email: 'a' },
      { _id: 2, email: 'a' },
      { _id: 3, email: 'b' },
    ];
    const ordered = await failure(users.insertMany(docs), MongoBulkWriteError);
    expect(ordered.insertedCount).toBe(1);
    expect(ordered.writeErrors).toMatchObject([{ index: 1, code: 11000 }]);
    await users.deleteMany({});
    const unordered = await failure(users.insertMany(docs, { ordered: false }), MongoBulkWriteError);
    expect(unordered.insertedCount).toBe(2);
    expect((await users.find().sort({ _id: 1 }).toArray()).map((u) => u._id)).toEqual([1, 3]);
  });

  it('apply to updates, upserts, replacements and findAndModify', async () => {
    const [, driver] = await start();
    const users = await usersWithUniqueEmail(driver);
    await users.insertMany([
      { _id: 1, email: 'a' },
      { _id: 2, email: 'b' },
    ]);
    const update = await failure(users.updateOne({ _id: 2 }, { $set: { email: 'a' } }), MongoServerError);
    expect(update.code).toBe(11000);
    expect(update['keyValue']).toEqual({ email: 'a' });
    const upsert = await failure(
      users.updateOne({ _id: 3 }, { $set: { email: 'b' } }, { upsert: true }),
      MongoServerError,
    );
    expect(upsert.code).toBe(11000);
    const replace = await failure(users.replaceOne({ _id: 1 }, { email: 'b' }), MongoServerError);
    expect(replace.code).toBe(11000);
    const findAndModify = await failure(
      users.findOneAndUpdate({ _id: 1 }, { $set: { email: 'b' } }),
      MongoServerError,
    );
    expect(findAndModify.code).toBe(11000);
    expect(findAndModify['keyPattern']).toEqual({ email: 1 });
    expect(await users.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, email: 'a' },
      { _id: 2, email: 'b' },
    ]);
  });

  it('let sparse and partial indexes skip the documents they leave out', async () => {
    const [, driver] = await start();
    const people = collection(driver, 'people');
    await people.createIndex({ nick: 1 }, { unique: true, sparse: true });
    await people.createIndex({ code: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await people.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3, code: 'x' }, { _id: 4, code: 'x' }]);
    await people.insertOne({ _id: 5, code: 'x', active: true });
    const error = await failure(people.insertOne({ _id: 6, code: 'x', active: true }), MongoServerError);
    expect(error.message).toContain('index: code_1 dup key: { code: "x" }');
    const nick = await failure(
      people.insertMany([
        { _id: 7, nick: 'n' },
        { _id: 8, nick: 'n' },
      ]),
      MongoBulkWriteError,
    );
    expect(nick.writeErrors).toMatchObject([{ index: 1, code: 11000 }]);
  });

  it('hold inside a transaction and for what a committed transaction wrote', async () => {
    const [, driver] = await start();
    const users = await usersWithUniqueEmail(driver);
    await users.insertOne({ _id: 1, email: 'a' });
    const session = driver.startSession();
    try {
      // A duplicate inside a transaction fails (and, as on mongod, aborts the transaction).
      session.startTransaction();
      await users.insertOne({ _id: 2, email: 'b' }, { session });
      const inside = await failure(users.insertOne({ _id: 3, email: 'a' }, { session }), MongoServerError);
      expect(inside.code).toBe(11000);
      await session.abortTransaction();
      await session.withTransaction(async () => {
        await users.insertOne({ _id: 4, email: 'c' }, { session });
      });
    } finally {
      await session.endSession();
    }
    const after = await failure(users.insertOne({ _id: 5, email: 'c' }), MongoServerError);
    expect(after['keyValue']).toEqual({ email: 'c' });
    expect((await users.find().sort({ _id: 1 }).toArray()).map((user) => user._id)).toEqual([1, 4]);
  });

  it('cannot be built over existing duplicates', async () => {
    const [, driver] = await start();
    const users = collection(driver, 'users');
    await users.insertMany([
      { _id: 1, email: 'a' },
      { _id: 2, email: 'a' },
    ]);
    const error = await failure(users.createIndex({ email: 1 }, { unique: true }), MongoServerError);
    expect(error.code).toBe(11000);
    expect((await users.indexes()).map((index) => index.name)).toEqual(['_id_']);
  });

  it('replicate with the oplog and hold on the new primary after a step-down and a kill', async () => {
    const [set, driver] = await start();
    const users = await usersWithUniqueEmail(driver);
    await users.insertOne({ _id: 1, email: 'a' });
    const first = set.primary;
    await set.stepDown();
    expect(set.primary).not.toBe(first);
    expect((await failure(users.insertOne({ _id: 2, email: 'a' }), MongoServerError)).code).toBe(11000);
    const second = set.primary;
    if (second === undefined) throw new Error('no primary after the step-down');
    const elected = set.waitFor('primaryElected');
    // Write only once the driver knows the new primary: a write sent while it still has the killed
    // one gets a network error the driver may not retry (it marked the server Unknown already).
    const driverSeesNewPrimary = nextEvent<ServerDescriptionChangedEvent>(
      driver,
      'serverDescriptionChanged',
      (event) => event.address !== second && event.newDescription.type === 'RSPrimary',
    );
    await set.kill(second);
    await elected;
    await driverSeesNewPrimary;
    expect((await failure(users.insertOne({ _id: 3, email: 'a' }), MongoServerError)).code).toBe(11000);
    expect((await users.indexes()).map((index) => index.name)).toEqual(['_id_', 'email_1']);
  });
});

describe('index commands', () => {
  it('name indexes by their keys, list them with their options, and refuse conflicts as mongod', async () => {
    const [, driver] = await start();
    const things = collection(driver, 'things');
    expect(
      await things.createIndexes([
        { key: { a: 1, b: -1 } },
        { key: { loc: '2dsphere' } },
        { key: { at: 1 }, expireAfterSeconds: 60 },
      ]),
    ).toEqual(['a_1_b_-1', 'loc_2dsphere', 'at_1']);
    expect(await things.indexes()).toEqual([
      { v: 2, key: { _id: 1 }, name: '_id_' },
      { v: 2, key: { a: 1, b: -1 }, name: 'a_1_b_-1' },
      { v: 2, key: { loc: '2dsphere' }, name: 'loc_2dsphere' },
      { v: 2, key: { at: 1 }, name: 'at_1', expireAfterSeconds: 60 },
    ]);
    // The same index again is no change.
    expect(await things.createIndex({ a: 1, b: -1 })).toBe('a_1_b_-1');
    const sameName = await failure(things.createIndex({ a: -1 }, { name: 'a_1_b_-1' }), MongoServerError);
    expect([sameName.code, sameName.codeName]).toEqual([86, 'IndexKeySpecsConflict']);
    const sameKey = await failure(things.createIndex({ a: 1, b: -1 }, { name: 'other' }), MongoServerError);
    expect([sameKey.code, sameKey.codeName]).toEqual([85, 'IndexOptionsConflict']);
    const options = await failure(things.createIndex({ at: 1 }, { expireAfterSeconds: 5 }), MongoServerError);
    expect(options.code).toBe(85);
    const plugin = await failure(things.createIndex({ a: 'nope' } as never), MongoServerError);
    expect(plugin.code).toBe(67);
  });

  it('drop by name, by key, by list and all; a missing index is IndexNotFound', async () => {
    const [, driver] = await start();
    const things = collection(driver, 'things');
    await things.createIndexes([{ key: { a: 1 } }, { key: { b: 1 } }, { key: { c: 1 } }, { key: { d: 1 } }]);
    await things.dropIndex('a_1');
    await things.dropIndex({ b: 1 } as never);
    await driver.db('app').command({ dropIndexes: 'things', index: ['c_1'] });
    expect((await things.indexes()).map((index) => index.name)).toEqual(['_id_', 'd_1']);
    const missing = await failure(things.dropIndex('a_1'), MongoServerError);
    expect([missing.code, missing.codeName]).toEqual([27, 'IndexNotFound']);
    const idIndex = await failure(things.dropIndex('_id_'), MongoServerError);
    expect(idIndex.code).toBe(72);
    await things.dropIndexes();
    expect((await things.indexes()).map((index) => index.name)).toEqual(['_id_']);
    const noCollection = await failure(collection(driver, 'none').indexes(), MongoServerError);
    expect(noCollection.code).toBe(26);
  });

  it('refuse a hint that names no index, in reads and in writes', async () => {
    const [, driver] = await start();
    const things = collection(driver, 'things');
    await things.insertOne({ _id: 1, a: 1 });
    await things.createIndex({ a: 1 });
    expect(await things.find({ a: 1 }).hint('a_1').toArray()).toEqual([{ _id: 1, a: 1 }]);
    expect(await things.find({ a: 1 }).hint({ a: 1 }).toArray()).toHaveLength(1);
    const find = await failure(things.find({}).hint('nope').toArray(), MongoServerError);
    expect([find.code, find.message]).toEqual([2, 'hint provided does not correspond to an existing index']);
    const count = await failure(things.countDocuments({}, { hint: { b: 1 } }), MongoServerError);
    expect(count.code).toBe(2);
    const update = await failure(
      things.updateOne({ a: 1 }, { $set: { b: 1 } }, { hint: 'nope' }),
      MongoServerError,
    );
    expect(update.code).toBe(2);
  });
});
