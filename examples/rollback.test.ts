/**
 * Rollback you can paste into your project: what `w: 1` risks and `w: 'majority'` guarantees when
 * the primary dies before its secondaries caught up, against a simulated replica set, without a
 * mongod and without a sleep.
 *
 * Run: npx vitest run --root examples
 *
 * In your project, import from 'waspnest/testing' instead of '../src/testing/index.js'.
 */
import { MongoClient, type ServerDescriptionChangedEvent } from 'mongodb';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SimulatedReplicaSet } from '../src/testing/index.js';

let rs: SimulatedReplicaSet;
let client: MongoClient;

beforeEach(async () => {
  rs = await SimulatedReplicaSet.start({ members: 3 });
  client = new MongoClient(rs.uri, { heartbeatFrequencyMS: 500, serverSelectionTimeoutMS: 5000 });
  await client.connect();
});

afterEach(async () => {
  await client.close();
  await rs.close();
});

/** Resolves when the driver sees a primary other than `old` (no sleeps: driver events). */
function driverSeesPrimaryOtherThan(old: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: ServerDescriptionChangedEvent): void => {
      if (event.address === old || event.newDescription.type !== 'RSPrimary') return;
      client.off('serverDescriptionChanged', listener);
      resolve();
    };
    client.on('serverDescriptionChanged', listener);
  });
}

it('rolls back a w:1 write only the dead primary had; w:majority writes survive', async () => {
  const payments = client.db('shop').collection<{ _id: string }>('payments');
  await payments.insertOne({ _id: 'majority' }, { writeConcern: { w: 'majority' } });

  // The secondaries fall behind (as under load); a w:1 write is acknowledged by the primary alone.
  const oldPrimary = await rs.waitForPrimary();
  for (const secondary of rs.secondaries) rs.setReplicationLag(secondary, 60_000);
  await payments.insertOne({ _id: 'w1' }, { writeConcern: { w: 1 } });

  // The primary dies before any secondary applied it. Another member is elected: the write is gone.
  const failover = driverSeesPrimaryOtherThan(oldPrimary);
  await rs.kill(oldPrimary);
  await failover;
  for (const secondary of rs.secondaries) rs.setReplicationLag(secondary, 0);
  expect(await payments.find().toArray()).toEqual([{ _id: 'majority' }]);

  // The old primary comes back as a secondary and drops the write too.
  await rs.restart(oldPrimary);
  await payments.insertOne({ _id: 'after' }, { writeConcern: { w: 3 } });
  expect(rs.memberState(oldPrimary).role).toBe('SECONDARY');
});
