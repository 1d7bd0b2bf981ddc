/**
 * Fail points you can paste into your project: make the next command fail the way a real server
 * fails it (a dropped connection, an error code, a slow reply) and check what the application
 * sees, against a simulated replica set, without a mongod and without a sleep.
 *
 * Run: npx vitest run --root examples
 *
 * In your project, import from 'waspnest/testing' instead of '../src/testing/index.js'.
 */
import { MongoClient, type Collection } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedReplicaSet } from '../src/testing/index.js';

interface Order {
  _id: number;
  item: string;
}

describe('orders under injected failures', () => {
  let rs: SimulatedReplicaSet;
  let client: MongoClient;
  let orders: Collection<Order>;

  beforeEach(async () => {
    rs = await SimulatedReplicaSet.start({ members: 3 });
    client = new MongoClient(rs.uri, { serverSelectionTimeoutMS: 5000 });
    orders = client.db('shop').collection<Order>('orders');
  });

  afterEach(async () => {
    await client.close();
    await rs.close();
  });

  it('stores an order once when the connection drops during its insert', async () => {
    // The next insert loses its connection before any reply; the driver retries it once.
    const failPoint = rs.failCommand({ commands: ['insert'], times: 1, closeConnection: true });

    await orders.insertOne({ _id: 1, item: 'tea' });

    expect(failPoint.hits).toBe(1);
    expect(await orders.find().toArray()).toEqual([{ _id: 1, item: 'tea' }]);
  });

  it('reports a failure that outlasts the retry, with the code and labels the server gave', async () => {
    // The same through the wire, as the drivers' own spec tests set it on a real mongod.
    await client.db('admin').command({
      configureFailPoint: 'failCommand',
      mode: { times: 2 },
      data: { failCommands: ['insert'], errorCode: 91 }, // ShutdownInProgress, twice
    });

    const failure = orders.insertOne({ _id: 2, item: 'coffee' });

    await expect(failure).rejects.toMatchObject({
      code: 91,
      errorLabels: expect.arrayContaining(['RetryableWriteError']) as unknown,
    });
    expect(await orders.countDocuments()).toBe(0);
  });

  it('sees a slow read held by the server before its reply arrives', async () => {
    await orders.insertOne({ _id: 3, item: 'cocoa' });
    rs.failCommand({ commands: ['find'], times: 1, blockMS: 200 });
    const held = rs.waitFor('failPoint'); // emitted when the server starts holding the find

    const read = orders.findOne({ _id: 3 });

    expect(await held).toMatchObject({ commandName: 'find', blockMS: 200 });
    expect(await read).toEqual({ _id: 3, item: 'cocoa' });
  });
});
