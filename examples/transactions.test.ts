/**
 * Transactions you can paste into your project: commit several writes at once, check that nobody
 * sees them before the commit, and see `withTransaction` retry a transaction that a step-down
 * aborted, against a simulated replica set, without a mongod and without a sleep.
 *
 * Run: npx vitest run --root examples
 *
 * In your project, import from 'waspnest/testing' instead of '../src/testing/index.js'.
 */
import { MongoClient, type Collection } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedReplicaSet } from '../src/testing/index.js';

interface Account {
  _id: string;
  balance: number;
}

describe('transfers in transactions', () => {
  let rs: SimulatedReplicaSet;
  let client: MongoClient;
  let accounts: Collection<Account>;

  beforeEach(async () => {
    rs = await SimulatedReplicaSet.start({ members: 3 });
    client = new MongoClient(rs.uri, { serverSelectionTimeoutMS: 5000 });
    accounts = client.db('bank').collection<Account>('accounts');
    await accounts.insertMany([
      { _id: 'alice', balance: 100 },
      { _id: 'bob', balance: 0 },
    ]);
  });

  afterEach(async () => {
    await client.close();
    await rs.close();
  });

  it('commits both sides of a transfer at once; others see neither before the commit', async () => {
    const session = client.startSession();
    session.startTransaction();
    await accounts.updateOne({ _id: 'alice' }, { $inc: { balance: -30 } }, { session });
    await accounts.updateOne({ _id: 'bob' }, { $inc: { balance: 30 } }, { session });

    // Outside the transaction nothing moved yet; inside, both writes are visible.
    expect(await accounts.findOne({ _id: 'bob' })).toEqual({ _id: 'bob', balance: 0 });
    expect(await accounts.findOne({ _id: 'bob' }, { session })).toEqual({ _id: 'bob', balance: 30 });

    await session.commitTransaction();
    await session.endSession();
    expect(await accounts.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'alice', balance: 70 },
      { _id: 'bob', balance: 30 },
    ]);
  });

  it('retries a transaction that a step-down aborted, and applies it once', async () => {
    const session = client.startSession();
    let attempts = 0;

    await session.withTransaction(async () => {
      attempts++;
      await accounts.updateOne({ _id: 'alice' }, { $inc: { balance: -30 } }, { session });
      // The primary steps down mid-transaction: the server aborts the open transaction, the next
      // write fails with the TransientTransactionError label, and withTransaction starts over
      // on the new primary.
      if (attempts === 1) await rs.stepDown();
      await accounts.updateOne({ _id: 'bob' }, { $inc: { balance: 30 } }, { session });
    });
    await session.endSession();

    expect(attempts).toBe(2);
    expect(await accounts.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'alice', balance: 70 },
      { _id: 'bob', balance: 30 },
    ]);
  });
});
