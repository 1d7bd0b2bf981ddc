/**
 * Mongoose 8 on a 3-member SimulatedReplicaSet, as an application uses it: a schema's
 * `unique: true` index is built and enforced (E11000, also after a failover), and `$lookup`
 * joins two models' collections.
 */
import mongoose, { Schema } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { mongooseOnReplicaSet } from './mongoose-set.js';

const start = mongooseOnReplicaSet();

const userSchema = new Schema({ email: { type: String, required: true, unique: true }, name: String });
const orderSchema = new Schema({ user: { type: Schema.Types.ObjectId, ref: 'User' }, total: Number });

async function duplicateKeyCode(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => new Error('expected a duplicate key error'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(mongoose.mongo.MongoServerError);
  return (error as { code?: unknown }).code;
}

describe('Mongoose 8 on SimulatedReplicaSet', () => {
  it('builds a unique index and refuses duplicates with E11000, also after a failover', async () => {
    const [set, db] = await start();
    const User = db.model('User', userSchema);
    await User.init();
    const indexes = await User.collection.indexes();
    expect(indexes.find((index) => index.name === 'email_1')).toMatchObject({
      key: { email: 1 },
      unique: true,
    });
    await User.create({ email: 'ada@example.com', name: 'Ada' });
    expect(await duplicateKeyCode(User.create({ email: 'ada@example.com', name: 'Other' }))).toBe(11000);
    await set.stepDown();
    expect(await duplicateKeyCode(User.create({ email: 'ada@example.com', name: 'Again' }))).toBe(11000);
    expect(await User.countDocuments()).toBe(1);
  });

  it('joins with $lookup', async () => {
    const [, db] = await start();
    const User = db.model('User', userSchema);
    const Order = db.model('Order', orderSchema);
    const ada = await User.create({ email: 'ada@example.com', name: 'Ada' });
    const bob = await User.create({ email: 'bob@example.com', name: 'Bob' });
    await Order.create([
      { user: ada._id, total: 5 },
      { user: ada._id, total: 7 },
      { user: bob._id, total: 1 },
    ]);
    const totals = await User.aggregate<{ name: string; spent: number }>([
      { $lookup: { from: Order.collection.name, localField: '_id', foreignField: 'user', as: 'orders' } },
      { $project: { _id: 0, name: 1, spent: { $sum: '$orders.total' } } },
      { $sort: { name: 1 } },
    ]);
    expect(totals).toEqual([
      { name: 'Ada', spent: 12 },
      { name: 'Bob', spent: 1 },
    ]);
    const populated = await Order.find({ total: { $gt: 4 } }).populate<{ user: { name: string } }>('user');
    expect(populated.map((order) => order.user.name)).toEqual(['Ada', 'Ada']);
  });
});
