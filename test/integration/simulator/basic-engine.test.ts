/** Without mingo the kit still serves the happy path, and names the missing package for the rest. */
import { MongoClient, MongoServerError } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedReplicaSet } from '../../../src/testing/index.js';

let rs: SimulatedReplicaSet | undefined;
let client: MongoClient | undefined;

afterEach(async () => {
  await client?.close();
  await rs?.close();
  client = undefined;
  rs = undefined;
});

describe("queryEngine: 'basic'", () => {
  it('inserts, finds by equality, updates with $set/$inc, counts and deletes', async () => {
    rs = await SimulatedReplicaSet.start({ queryEngine: 'basic' });
    client = new MongoClient(rs.uri, { serverSelectionTimeoutMS: 5_000 });
    const items = client.db('app').collection<{ _id: number; kind: string; n?: number }>('items');
    await items.insertMany([
      { _id: 1, kind: 'a' },
      { _id: 2, kind: 'b' },
      { _id: 3, kind: 'a' },
    ]);
    expect((await items.find({ kind: 'a' }).toArray()).map((d) => d._id)).toEqual([1, 3]);
    await items.updateMany({ kind: 'a' }, { $set: { n: 1 } });
    await items.updateOne({ _id: 1 }, { $inc: { n: 41 } });
    expect(await items.findOne({ _id: 1 })).toEqual({ _id: 1, kind: 'a', n: 42 });
    expect(await items.countDocuments({ kind: 'a' })).toBe(2);
    expect((await items.deleteMany({ kind: 'b' })).deletedCount).toBe(1);
    expect(await items.countDocuments()).toBe(2);
  });

  it('answers what it cannot evaluate with an error that names mingo', async () => {
    rs = await SimulatedReplicaSet.start({ queryEngine: 'basic' });
    client = new MongoClient(rs.uri, { serverSelectionTimeoutMS: 5_000 });
    const items = client.db('app').collection('items');
    const error = await items
      .find({ n: { $gt: 1 } })
      .toArray()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(238);
    expect((error as MongoServerError).message).toMatch(/mingo/);
  });
});
