/**
 * RealReplicaSet against real mongod processes (mongodb-memory-server). Skipped, with the reason,
 * when no mongod binary is available (set MONGOMS_SYSTEM_BINARY to run them).
 */
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongodUnavailableError } from '../../src/errors.js';
import { RealReplicaSet, UnsupportedOnRealServerError } from '../../src/testing/index.js';

let rs: RealReplicaSet | undefined;
let unavailable: string | null = null;

beforeAll(async () => {
  try {
    rs = await RealReplicaSet.start({ members: 3 });
  } catch (error) {
    if (!(error instanceof MongodUnavailableError)) throw error;
    unavailable = error.message;
    console.warn(`test/real skipped: ${error.message}`);
  }
}, 120_000);

afterAll(async () => {
  await rs?.close();
});

describe('RealReplicaSet', () => {
  it('says clearly why it cannot start when there is no mongod', async ({ skip }) => {
    if (unavailable === null) skip('a mongod binary is available');
    await expect(RealReplicaSet.start()).rejects.toThrow(
      /no mongod binary available: set MONGOMS_SYSTEM_BINARY/,
    );
  });

  it('steps down to a new primary and keeps retryable writes', async ({ skip }) => {
    if (!rs) return skip(`no mongod: ${unavailable ?? ''}`);
    const client = new MongoClient(rs.uri, { heartbeatFrequencyMS: 500 });
    try {
      const orders = client.db('app').collection<{ _id: number }>('orders');
      await orders.insertOne({ _id: 1 });
      const old = await rs.waitForPrimary();
      const elected = await rs.stepDown();
      expect(elected).not.toBe(old);
      await orders.insertOne({ _id: 2 });
      expect(await orders.countDocuments()).toBe(2);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('refuses the controls a real server cannot offer', ({ skip }) => {
    if (!rs) return skip(`no mongod: ${unavailable ?? ''}`);
    const set = rs;
    expect(() => set.partition(set.members[0] ?? '')).toThrow(UnsupportedOnRealServerError);
  });
});
