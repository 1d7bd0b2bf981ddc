/**
 * The README's testing example, included there verbatim (test/examples/readme.test.ts checks that
 * it is identical).
 *
 * Run: npx vitest run --root examples
 */
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SimulatedReplicaSet } from 'waspnest/testing';

interface Order {
  _id: number;
  item: string;
}

let rs: SimulatedReplicaSet;
let client: MongoClient;

beforeAll(async () => {
  rs = await SimulatedReplicaSet.start({ members: 3 });
  client = await new MongoClient(rs.uri).connect();
});

afterAll(async () => {
  await client.close();
  await rs.close();
});

test('orders are written across a step-down', async () => {
  const orders = client.db('shop').collection<Order>('orders');
  await orders.insertOne({ _id: 1, item: 'tea' });
  const newPrimary = await rs.stepDown();
  await orders.insertOne({ _id: 2, item: 'coffee' }); // a retryable write: the driver retries it
  expect(await orders.countDocuments()).toBe(2);
  expect(rs.primary).toBe(newPrimary);
});
