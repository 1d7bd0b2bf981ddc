/**
 * Mongoose 8 on a 3-member SimulatedReplicaSet through failovers, as an application meets them: a
 * transaction retried once through a fail point that adds TransientTransactionError, a change
 * stream that keeps delivering across a step-down and a killed primary, and 1,000 writes across
 * three failovers from concurrent writers. (Unique indexes and $lookup with Mongoose: mongoose-indexes.test.ts.)
 */
import mongoose, { Schema, type Connection } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { mongooseOnReplicaSet } from './mongoose-set.js';

const start = mongooseOnReplicaSet();

/** Resolves when Mongoose's driver sees a primary other than `old` (driver events, no sleeps). */
function driverSeesPrimaryOtherThan(db: Connection, old: string): Promise<void> {
  const client = db.getClient();
  return new Promise((resolve) => {
    const listener = (event: { address: string; newDescription: { type: string } }): void => {
      if (event.address === old || event.newDescription.type !== 'RSPrimary') return;
      client.off('serverDescriptionChanged', listener);
      resolve();
    };
    client.on('serverDescriptionChanged', listener);
  });
}

/**
 * Creates `{ _id }` once, trying again while a failover makes the write fail (as an application
 * does when the driver's one automatic retry was not enough); E11000 means an earlier attempt
 * wrote it. Gives up after 100 attempts.
 */
async function createOnce(model: mongoose.Model<{ _id?: number | null }>, _id: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await model.create({ _id });
      return;
    } catch (error) {
      if (error instanceof mongoose.mongo.MongoServerError && error.code === 11000) return;
      if (!(error instanceof mongoose.mongo.MongoError) || attempt === 100) throw error;
    }
  }
}

const accountSchema = new Schema({ _id: String, balance: Number }, { versionKey: false });
const orderSchema = new Schema({ _id: Number }, { versionKey: false });

describe('Mongoose 8 through failovers on SimulatedReplicaSet', () => {
  it('connection.transaction commits two writes, retried once through a TransientTransactionError fail point', async () => {
    const [set, db] = await start();
    const Account = db.model('Account', accountSchema);
    await Account.create([
      { _id: 'alice', balance: 100 },
      { _id: 'bob', balance: 0 },
    ]);
    const failPoint = set.failCommand({
      commands: ['update'],
      times: 1,
      errorCode: 112,
      errorLabels: ['TransientTransactionError'],
    });

    let attempts = 0;
    await db.transaction(async (session) => {
      attempts++;
      await Account.updateOne({ _id: 'alice' }, { $inc: { balance: -30 } }, { session });
      await Account.updateOne({ _id: 'bob' }, { $inc: { balance: 30 } }, { session });
    });

    expect(failPoint.hits).toBe(1);
    expect(attempts).toBe(2);
    const balances = await Account.find().sort({ _id: 1 }).lean();
    expect(balances).toEqual([
      { _id: 'alice', balance: 70 },
      { _id: 'bob', balance: 30 },
    ]);
  });

  it('Model.watch() keeps delivering across a killed primary and a step-down: no event lost or repeated', async () => {
    const [set, db] = await start();
    const Order = db.model('Order', orderSchema);
    // From now on: every order written after this time is an event, whenever the stream opens.
    const { operationTime } = await db.db!.command({ ping: 1 });
    const stream = Order.watch([{ $match: { operationType: 'insert' } }], {
      startAtOperationTime: operationTime,
      maxAwaitTimeMS: 50,
    });
    const seen: number[] = [];
    const reading = (async () => {
      while (seen.length < 30) {
        const change = (await stream.next()) as { documentKey: { _id: number } };
        seen.push(change.documentKey._id);
      }
    })();

    const first = await set.waitForPrimary();
    for (let i = 0; i < 30; i++) {
      if (i === 10) {
        const failover = driverSeesPrimaryOtherThan(db, first);
        await set.kill(first);
        await failover;
      }
      if (i === 15) await set.restart(first);
      if (i === 20) await set.stepDown();
      await createOnce(Order, i);
    }
    await reading;
    await stream.close();

    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('1,000 writes from 10 concurrent writers across three failovers are all present, once each', async () => {
    const [set, db] = await start();
    const Order = db.model('Order', orderSchema);
    const termBefore = set.term;
    let written = 0;
    const milestones: { count: number; reached: () => void }[] = [];
    const reached = (count: number): Promise<void> =>
      new Promise((resolve) => milestones.push({ count, reached: resolve }));
    const failovers = [reached(250), reached(500), reached(750)];

    const writer = async (first: number): Promise<void> => {
      for (let id = first; id < 1000; id += 10) {
        await createOnce(Order, id);
        written++;
        for (const milestone of milestones) if (written >= milestone.count) milestone.reached();
      }
    };
    // The failovers happen while the writers write: a step-down, a killed primary, a step-down.
    const faults = (async () => {
      await failovers[0];
      await set.stepDown();
      await failovers[1];
      const killed = await set.waitForPrimary();
      await set.kill(killed);
      await set.waitForPrimary();
      await failovers[2];
      await set.restart(killed);
      await set.stepDown();
    })();
    await Promise.all([...Array.from({ length: 10 }, (_, first) => writer(first)), faults]);

    expect(set.term - termBefore).toBe(3);
    expect(await Order.countDocuments()).toBe(1000);
    const ids = (await Order.distinct('_id')) as number[];
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // 1,000 round trips through Mongoose and three elections: a budget for the work, not a wait.
  }, 120_000);
});
