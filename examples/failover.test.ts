/**
 * A failover test you can paste into your project: an application that uses the official
 * driver keeps working when the primary steps down or crashes, checked against a simulated
 * replica set in milliseconds, without a mongod and without a sleep.
 *
 * Run: npx vitest run --root examples
 *
 * In your project, import from 'waspnest/testing' and 'waspnest' instead of '../src/...'.
 */
import { MongoClient, type Collection } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Topology, type PrimaryChangedEvent } from '../src/index.js';
import { watchMongoClient } from '../src/adapters/mongo-client.js';
import { SimulatedReplicaSet } from '../src/testing/index.js';

interface Order {
  _id: number;
  item: string;
}

describe('orders survive a failover', () => {
  let rs: SimulatedReplicaSet;
  let client: MongoClient;
  let orders: Collection<Order>;

  beforeEach(async () => {
    rs = await SimulatedReplicaSet.start({ members: 3 });
    client = new MongoClient(rs.uri, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    orders = client.db('shop').collection<Order>('orders');
  });

  afterEach(async () => {
    await client.close();
    await rs.close();
  });

  it('keeps writing across a step-down (retryable writes)', async () => {
    await orders.insertOne({ _id: 1, item: 'tea' });
    const newPrimary = await rs.stepDown();

    await orders.insertOne({ _id: 2, item: 'coffee' });

    expect(await orders.countDocuments()).toBe(2);
    expect(rs.commandCount(newPrimary, 'insert')).toBeGreaterThan(0);
  });

  it('writes to the new primary once the driver has seen the crash', async () => {
    // watchMongoClient turns the driver's own monitoring events into waspnest events, so the
    // test can wait for the moment the client knows the new primary instead of sleeping.
    const watcher = watchMongoClient(client);
    try {
      const oldPrimary = await rs.waitForPrimary();
      const known = new Promise<PrimaryChangedEvent>((resolve) =>
        watcher.on('primaryChanged', (e) => {
          if (e.current !== null && e.current !== oldPrimary) resolve(e);
        }),
      );

      await rs.kill(oldPrimary);
      const newPrimary = (await known).current;

      await orders.insertOne({ _id: 3, item: 'cocoa' });
      expect(newPrimary).toBe(rs.primary);
      expect(rs.commandCount(newPrimary ?? '', 'insert')).toBe(1);
      expect(await orders.findOne({ _id: 3 })).toEqual({ _id: 3, item: 'cocoa' });
    } finally {
      watcher.close();
    }
  });

  it('tells a waspnest Topology about the new primary', async () => {
    const topology = new Topology(rs.uri);
    try {
      await topology.connect();
      const old = (await topology.selectServer('primary')).address;
      const changed = new Promise<PrimaryChangedEvent>((resolve) =>
        topology.on('primaryChanged', (e) => {
          if (e.current !== null && e.current !== old) resolve(e);
        }),
      );

      const newPrimary = await rs.stepDown();

      expect((await changed).current).toBe(newPrimary);
      expect(topology.selectServerNow('primary')?.address).toBe(newPrimary);
    } finally {
      await topology.close();
    }
  });
});
