/**
 * The example for docs/testing-failover.md, kept as a test so it stays true. A user pastes it with
 * `from 'waspnest/testing'` instead of the relative import.
 */
import { MongoClient, type ServerDescriptionChangedEvent } from 'mongodb';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SimulatedReplicaSet } from '../../../src/testing/index.js';

let rs: SimulatedReplicaSet;
let client: MongoClient;

beforeEach(async () => {
  rs = await SimulatedReplicaSet.start({ members: 3 });
  client = new MongoClient(rs.uri, { heartbeatFrequencyMS: 500, serverSelectionTimeoutMS: 5_000 });
  await client.connect();
});

afterEach(async () => {
  await client.close();
  await rs.close();
});

/** Resolves when the driver's view of `address` becomes `type` (no sleeps: driver events). */
function driverSees(address: string, type: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: ServerDescriptionChangedEvent): void => {
      if (event.address !== address || event.newDescription.type !== type) return;
      client.off('serverDescriptionChanged', listener);
      resolve();
    };
    client.on('serverDescriptionChanged', listener);
  });
}

it('keeps every order through a step-down and a crash', async () => {
  const orders = client.db('shop').collection<{ _id: number }>('orders');
  await orders.insertOne({ _id: 1 });

  // Step-down: the next write meets NotWritablePrimary and the driver retries it on the new primary.
  const newPrimary = await rs.stepDown();
  await orders.insertOne({ _id: 2 });

  // Crash: connections close, then are refused; the set elects another primary.
  const noticed = driverSees(newPrimary, 'Unknown');
  const elected = rs.waitFor('primaryElected');
  await rs.kill(newPrimary);
  await Promise.all([noticed, elected]);
  await orders.insertOne({ _id: 3 });

  expect(await orders.countDocuments()).toBe(3);
  await rs.restart(newPrimary); // back as a secondary, caught up
});
