/**
 * Rollback, seen through the official driver: a `w: 1` write that only the primary applied is gone
 * once another member is elected (and the old primary drops it when it returns), while a
 * `w: 'majority'` write survives.
 */
import { MongoClient, type ServerDescriptionChangedEvent } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedReplicaSet } from '../../../src/testing/index.js';
import { driverClientOptions, nextEvent } from './driver-client.js';

/** Documents keyed by a number or a string, as these tests write them. */
type Doc = { _id: number | string } & Record<string, unknown>;

const opened: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
});

function connect(uri: string): MongoClient {
  const client = new MongoClient(uri, { ...driverClientOptions, retryWrites: true });
  opened.push(client);
  return client;
}

/** Resolves with the address of the next primary the driver sees that is not `old`. */
async function driverSeesNewPrimary(client: MongoClient, old: string): Promise<string> {
  const event = await nextEvent<ServerDescriptionChangedEvent>(
    client,
    'serverDescriptionChanged',
    (change) => change.newDescription.type === 'RSPrimary' && change.address !== old,
  );
  return event.address;
}

describe('rollback on SimulatedReplicaSet', () => {
  it('loses a w:1 write no other member applied when its primary dies; w:majority writes survive', async () => {
    const rs = await SimulatedReplicaSet.start();
    opened.push(rs);
    const client = connect(rs.uri);
    const orders = client.db('shop').collection<Doc>('orders');

    await orders.insertOne({ _id: 'kept', total: 10 }, { writeConcern: { w: 'majority' } });

    // The secondaries fall behind: the next write reaches the primary alone.
    const oldPrimary = rs.primary;
    if (!oldPrimary) throw new Error('expected a primary');
    for (const secondary of rs.secondaries) rs.setReplicationLag(secondary, 60_000);
    await orders.insertOne({ _id: 'lost', total: 99 }, { writeConcern: { w: 1 } });
    expect(rs.memberState(oldPrimary).applied).toBeGreaterThan(
      Math.max(...rs.secondaries.map((address) => rs.memberState(address).applied)),
    );
    const onOldPrimary = connect(rs.directUri(oldPrimary));
    expect(await onOldPrimary.db('shop').collection<Doc>('orders').findOne({ _id: 'lost' })).not.toBeNull();

    // The primary dies before any secondary applied it; another member is elected.
    const seen = driverSeesNewPrimary(client, oldPrimary);
    await rs.kill(oldPrimary);
    const newPrimary = await seen;
    expect(newPrimary).toBe(rs.primary);
    for (const secondary of rs.secondaries) rs.setReplicationLag(secondary, 0);

    expect(await orders.find({}, { sort: { _id: 1 } }).toArray()).toEqual([{ _id: 'kept', total: 10 }]);

    // The old primary comes back as a secondary and rolls the write back.
    await rs.restart(oldPrimary);
    await orders.insertOne({ _id: 'after', total: 1 }, { writeConcern: { w: 3 } });
    const oldPrimaryOrders = onOldPrimary
      .db('shop', { readPreference: 'secondaryPreferred' })
      .collection<Doc>('orders');
    expect(await oldPrimaryOrders.find({}, { sort: { _id: 1 } }).toArray()).toEqual([
      { _id: 'after', total: 1 },
      { _id: 'kept', total: 10 },
    ]);
    expect(rs.memberState(oldPrimary).role).toBe('SECONDARY');
  });

  it('keeps a w:1 write that a secondary applied before the primary died: the new primary catches up', async () => {
    const rs = await SimulatedReplicaSet.start();
    opened.push(rs);
    const client = connect(rs.uri);
    const orders = client.db('shop').collection<Doc>('orders');
    const oldPrimary = rs.primary;
    const [behind, current] = rs.secondaries;
    if (!oldPrimary || !behind || !current) throw new Error('expected a primary and two secondaries');

    // Only one secondary applies the write; the election picks the other (lower priority loses
    // nothing: the winner first catches up from the freshest member it can reach).
    rs.setReplicationLag(behind, 60_000);
    await orders.insertOne({ _id: 'w1' }, { writeConcern: { w: 1 } });
    rs.reconfigure(current, { priority: 0.5 });
    const seen = driverSeesNewPrimary(client, oldPrimary);
    await rs.kill(oldPrimary);
    expect(await seen).toBe(behind);
    rs.setReplicationLag(behind, 0);
    expect(await orders.findOne({ _id: 'w1' })).toEqual({ _id: 'w1' });
  });

  it('a change stream never shows a write that is later rolled back', async () => {
    const rs = await SimulatedReplicaSet.start();
    opened.push(rs);
    const client = connect(rs.uri);
    const orders = client.db('shop').collection<{ _id: string }>('orders');
    const stream = orders.watch([], { maxAwaitTimeMS: 20 });
    expect(await stream.tryNext()).toBeNull();
    const oldPrimary = rs.primary;
    if (!oldPrimary) throw new Error('expected a primary');

    for (const secondary of rs.secondaries) rs.setReplicationLag(secondary, 60_000);
    await orders.insertOne({ _id: 'lost' }, { writeConcern: { w: 1 } });
    // Not majority-committed: the stream does not deliver it.
    expect(await stream.tryNext()).toBeNull();

    const seen = driverSeesNewPrimary(client, oldPrimary);
    await rs.kill(oldPrimary);
    await seen;
    for (const secondary of rs.secondaries) rs.setReplicationLag(secondary, 0);
    await rs.restart(oldPrimary);
    await orders.insertOne({ _id: 'next' }, { writeConcern: { w: 'majority' } });

    const event = await stream.next();
    expect(event).toMatchObject({ operationType: 'insert', documentKey: { _id: 'next' } });
    await stream.close();
  });
});
