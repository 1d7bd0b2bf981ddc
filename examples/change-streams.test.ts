/**
 * Change streams you can paste into your project: a watcher that gets every order exactly once,
 * in order, while the primary serving it dies and another steps down, and one that picks up
 * where it left off from a saved resume token, against a simulated replica set, without a mongod
 * and without a sleep.
 *
 * Run: npx vitest run --root examples
 *
 * In your project, import from 'waspnest/testing' instead of '../src/testing/index.js'.
 */
import { MongoClient, type Collection, type ResumeToken, type ServerDescriptionChangedEvent } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedReplicaSet } from '../src/testing/index.js';

interface Order {
  _id: number;
}

/** Resolves when the driver sees a primary other than `old` (no sleeps: driver events). */
function driverSeesPrimaryOtherThan(client: MongoClient, old: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: ServerDescriptionChangedEvent): void => {
      if (event.address === old || event.newDescription.type !== 'RSPrimary') return;
      client.off('serverDescriptionChanged', listener);
      resolve();
    };
    client.on('serverDescriptionChanged', listener);
  });
}

describe('order notifications from a change stream', () => {
  let rs: SimulatedReplicaSet;
  let client: MongoClient;
  let orders: Collection<Order>;

  beforeEach(async () => {
    rs = await SimulatedReplicaSet.start({ members: 3 });
    client = new MongoClient(rs.uri, { heartbeatFrequencyMS: 500, serverSelectionTimeoutMS: 5000 });
    orders = client.db('shop').collection<Order>('orders');
  });

  afterEach(async () => {
    await client.close();
    await rs.close();
  });

  it('sees every order once, in order, across a killed primary and a step-down', async () => {
    // maxAwaitTimeMS: how long the server holds a getMore that has nothing to report.
    const stream = orders.watch([{ $match: { operationType: 'insert' } }], { maxAwaitTimeMS: 50 });
    await stream.tryNext(); // the stream is open on the server: it sees every write from now on
    const seen: number[] = [];
    const reading = (async () => {
      for await (const change of stream) {
        if (change.operationType === 'insert') seen.push(change.documentKey._id);
        if (seen.length === 30) break;
      }
    })();

    const first = await rs.waitForPrimary();
    for (let i = 0; i < 30; i++) {
      if (i === 10) {
        // The primary that serves the stream dies: the driver resumes the stream on the new
        // primary from its last resume token. The writes wait until the driver knows that primary.
        const failover = driverSeesPrimaryOtherThan(client, first);
        await rs.kill(first);
        await failover;
      }
      // It comes back as a secondary (before resuming, the driver closes the stream's old cursor
      // on it, waiting for it up to serverSelectionTimeoutMS).
      if (i === 15) await rs.restart(first);
      // The new primary, now serving the stream, steps down.
      if (i === 20) await rs.stepDown();
      await orders.insertOne({ _id: i });
    }
    await reading;

    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('picks up after the last event it handled, from a saved resume token', async () => {
    const stream = orders.watch([], { maxAwaitTimeMS: 50 });
    await stream.tryNext();
    await orders.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    const handled = await stream.next();
    const saved: ResumeToken = handled._id; // what an application stores with its progress
    await stream.close();

    const resumed = orders.watch([], { resumeAfter: saved, maxAwaitTimeMS: 50 });
    const next = await resumed.next();
    expect(next.operationType === 'insert' && next.documentKey).toEqual({ _id: 2 });
    await resumed.close();
  });
});
