/**
 * The failCommand fail point, through the wire (`configureFailPoint`, as the drivers' spec tests
 * set it) and in code (`failCommand()`), with the official driver and raw connections.
 */
import { Binary, Long } from 'bson';
import { MongoClient, MongoServerError, type Db } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SimulatedReplicaSet,
  SimulatedShardedCluster,
  SimulatedStandalone,
  SimulatorOptionsError,
  type FailPointEvent,
} from '../../../src/testing/index.js';
import { driverClientOptions } from './driver-client.js';
import { RawClient } from './raw-client.js';

interface Order {
  _id: number;
  item?: string;
}

let rs: SimulatedReplicaSet;
const clients: MongoClient[] = [];
const raws: RawClient[] = [];

function client(options: Record<string, unknown> = {}): MongoClient {
  const c = new MongoClient(rs.uri, { ...driverClientOptions, ...options });
  clients.push(c);
  return c;
}

async function raw(address: string): Promise<RawClient> {
  const c = await RawClient.connect(address);
  raws.push(c);
  return c;
}

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<MongoServerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MongoServerError) return error;
    throw error;
  }
  throw new Error('expected the operation to fail');
}

beforeEach(async () => {
  rs = await SimulatedReplicaSet.start({ members: 3 });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(raws.splice(0).map((c) => c.close()));
  await rs.close();
});

describe('configureFailPoint: failCommand through the wire', () => {
  let admin: Db;
  beforeEach(() => {
    admin = client().db('admin');
  });

  it('closeConnection: a retryable insert is retried on a new connection and lands once', async () => {
    const reply = await admin.command({
      configureFailPoint: 'failCommand',
      mode: { times: 1 },
      data: { failCommands: ['insert'], closeConnection: true },
    });
    expect(reply).toMatchObject({ ok: 1, count: 0 });
    const closed = rs.waitFor('connectionClosed');
    const orders = clients[0]?.db('shop').collection<Order>('orders');
    await orders?.insertOne({ _id: 1 });
    await closed;
    expect(await orders?.find().toArray()).toEqual([{ _id: 1 }]);
    expect(rs.commandCount(rs.primary ?? '', 'insert')).toBe(2);
  });

  it('errorCode: ok 0 with code, codeName and the RetryableWriteError label for a retryable write', async () => {
    await admin.command({
      configureFailPoint: 'failCommand',
      mode: { times: 2 },
      data: { failCommands: ['insert'], errorCode: 91 },
    });
    const orders = clients[0]?.db('shop').collection<Order>('orders');
    // Both the first attempt and the retry fail: the driver gives up with the server's error.
    const error = await rejection(orders?.insertOne({ _id: 1 }) ?? Promise.resolve());
    expect(error.code).toBe(91);
    expect(error.codeName).toBe('ShutdownInProgress');
    expect(error.errmsg).toBe("Failing command via 'failCommand' failpoint");
    expect(error.errorLabels).toContain('RetryableWriteError');
    expect(await orders?.countDocuments()).toBe(0);
    // Spent after two: the next insert succeeds.
    await orders?.insertOne({ _id: 2 });
    expect(await orders?.countDocuments()).toBe(1);
  });

  it('errorLabels replaces the labels the server would add; [] removes them', async () => {
    const orders = client({ retryWrites: false }).db('shop').collection<Order>('orders');
    await admin.command({
      configureFailPoint: 'failCommand',
      mode: { times: 1 },
      data: { failCommands: ['insert'], errorCode: 112, errorLabels: ['TransientTransactionError'] },
    });
    const labelled = await rejection(orders.insertOne({ _id: 1 }));
    expect(labelled.code).toBe(112);
    expect(labelled.codeName).toBe('WriteConflict');
    expect(labelled.errorLabels).toEqual(['TransientTransactionError']);

    const retrying = clients[0]?.db('shop').collection<Order>('orders');
    await admin.command({
      configureFailPoint: 'failCommand',
      mode: { times: 1 },
      data: { failCommands: ['insert'], errorCode: 91, errorLabels: [] },
    });
    // Without the label the driver does not retry: one attempt, one error.
    const unlabelled = await rejection(retrying?.insertOne({ _id: 2 }) ?? Promise.resolve());
    expect(unlabelled.code).toBe(91);
    expect(unlabelled.errorLabels).not.toContain('RetryableWriteError');
  });

  it('a NotWritablePrimary error carries the topologyVersion, a ShutdownInProgress error does not', async () => {
    const primary = rs.primary ?? '';
    const conn = await raw(primary);
    await conn.command({
      configureFailPoint: 'failCommand',
      mode: 'alwaysOn',
      data: { failCommands: ['find'], errorCode: 10107 },
    });
    const notPrimary = (await conn.command({ find: 'c', $db: 'test' })).document;
    expect(notPrimary).toMatchObject({ ok: 0, code: 10107, codeName: 'NotWritablePrimary' });
    expect(notPrimary['topologyVersion']).toEqual(
      expect.objectContaining({ counter: rs.memberState(primary).topologyVersion.counter }),
    );
    expect(notPrimary['$clusterTime']).toBeDefined();
    await conn.command({
      configureFailPoint: 'failCommand',
      mode: 'alwaysOn',
      data: { failCommands: ['find'], errorCode: 91 },
    });
    const shutdown = (await conn.command({ find: 'c', $db: 'test' })).document;
    expect(shutdown).toMatchObject({ ok: 0, code: 91 });
    expect(shutdown['topologyVersion']).toBeUndefined();
  });

  it('writeConcernError: the write is applied and its reply carries the error', async () => {
    const orders = client({ retryWrites: false }).db('shop').collection<Order>('orders');
    await admin.command({
      configureFailPoint: 'failCommand',
      mode: { times: 1 },
      data: { failCommands: ['insert'], writeConcernError: { code: 100, errmsg: 'not enough nodes' } },
    });
    const error = await rejection(orders.insertOne({ _id: 1 }));
    expect(error.name).toBe('MongoWriteConcernError');
    expect(error.code).toBe(100);
    expect(await orders.find().toArray()).toEqual([{ _id: 1 }]);
  });

  it('times counts only matching commands; skip lets the first n through; alwaysOn lasts until off', async () => {
    const primary = rs.primary ?? '';
    const conn = await raw(primary);
    const find = async (): Promise<unknown> =>
      (await conn.command({ find: 'c', $db: 'test' })).document['ok'];
    await conn.command({
      configureFailPoint: 'failCommand',
      mode: { times: 1 },
      data: { failCommands: ['find'], errorCode: 2 },
    });
    expect((await conn.command({ ping: 1 })).document['ok']).toBe(1); // not a find: not counted
    expect(await find()).toBe(0);
    expect(await find()).toBe(1);

    await conn.command({
      configureFailPoint: 'failCommand',
      mode: { skip: 2 },
      data: { failCommands: ['find'], errorCode: 2 },
    });
    expect([await find(), await find(), await find(), await find()]).toEqual([1, 1, 0, 0]);

    const replaced = await conn.command({
      configureFailPoint: 'failCommand',
      mode: 'alwaysOn',
      data: { failCommands: ['find'], errorCode: 2 },
    });
    expect(replaced.document['count']).toBe(2); // the skip fail point acted twice
    expect([await find(), await find()]).toEqual([0, 0]);
    await conn.command({ configureFailPoint: 'failCommand', mode: 'off' });
    expect(await find()).toBe(1);
  });

  it('activationProbability 0 never acts and 1 always does; namespace narrows to one collection', async () => {
    const conn = await raw(rs.primary ?? '');
    const find = async (collection: string): Promise<unknown> =>
      (await conn.command({ find: collection, $db: 'test' })).document['ok'];
    const set = (mode: unknown, data: Record<string, unknown>): Promise<unknown> =>
      conn.command({
        configureFailPoint: 'failCommand',
        mode,
        data: { failCommands: ['find'], errorCode: 2, ...data },
      });
    await set({ activationProbability: 0 }, {});
    expect([await find('c'), await find('c')]).toEqual([1, 1]);
    await set({ activationProbability: 1 }, {});
    expect([await find('c'), await find('c')]).toEqual([0, 0]);
    await set('alwaysOn', { namespace: 'test.c' });
    expect([await find('c'), await find('d')]).toEqual([0, 1]);
  });

  it('blockConnection holds the command: the reply comes after the fail point event', async () => {
    const orders = client().db('shop').collection<Order>('orders');
    await orders.insertOne({ _id: 1 });
    await admin.command({
      configureFailPoint: 'failCommand',
      mode: { times: 1 },
      data: { failCommands: ['find'], blockConnection: true, blockTimeMS: 50 },
    });
    const order: string[] = [];
    const blocked = rs.waitFor('failPoint').then((event) => {
      order.push('blocked');
      return event;
    });
    const found = orders.findOne({ _id: 1 }).then((doc) => {
      order.push('reply');
      return doc;
    });
    const event = await blocked;
    expect(event).toMatchObject({
      commandName: 'find',
      blockMS: 50,
      errorCode: null,
      closeConnection: false,
    });
    expect(await found).toEqual({ _id: 1 });
    expect(order).toEqual(['blocked', 'reply']);
  });

  it('appName: only connections whose handshake gave that name are failed, hello included', async () => {
    const primary = rs.primary ?? '';
    const setter = await raw(primary);
    await setter.command({
      configureFailPoint: 'failCommand',
      mode: 'alwaysOn',
      data: { failCommands: ['hello', 'isMaster', 'find'], errorCode: 91, appName: 'victim' },
    });
    const victim = await raw(primary);
    const handshake = (await victim.command({ hello: 1, client: { application: { name: 'victim' } } }))
      .document;
    expect(handshake).toMatchObject({ ok: 0, code: 91 });
    expect((await victim.command({ find: 'c', $db: 'test' })).document['code']).toBe(91);
    const bystander = await raw(primary);
    expect(
      (await bystander.command({ hello: 1, client: { application: { name: 'other' } } })).document['ok'],
    ).toBe(1);
    expect((await bystander.command({ find: 'c', $db: 'test' })).document['ok']).toBe(1);

    // Through the driver: the named client fails, the other one does not.
    await setter.command({ configureFailPoint: 'failCommand', mode: 'off' });
    await setter.command({
      configureFailPoint: 'failCommand',
      mode: 'alwaysOn',
      data: { failCommands: ['find'], errorCode: 2, appName: 'app-a' },
    });
    const a = client({ appName: 'app-a' }).db('shop').collection<Order>('orders');
    const b = client({ appName: 'app-b' }).db('shop').collection<Order>('orders');
    expect((await rejection(a.findOne({}))).code).toBe(2);
    expect(await b.findOne({})).toBeNull();
  });

  it('isMaster in failCommands also matches the ismaster alias, not hello', async () => {
    const conn = await raw(rs.primary ?? '');
    await conn.command({
      configureFailPoint: 'failCommand',
      mode: 'alwaysOn',
      data: { failCommands: ['isMaster'], errorCode: 2 },
    });
    expect((await conn.command({ ismaster: 1 })).document['code']).toBe(2);
    expect((await conn.command({ isMaster: 1 })).document['code']).toBe(2);
    expect((await conn.command({ hello: 1 })).document['ok']).toBe(1);
  });

  it('malformed fail points get mongod codes, and nothing is set', async () => {
    const conn = await raw(rs.primary ?? '');
    const cases: [Record<string, unknown>, number][] = [
      [{ configureFailPoint: 'noSuchFailPoint', mode: 'alwaysOn' }, 74],
      [{ configureFailPoint: 'failCommand' }, 20],
      [{ configureFailPoint: 'failCommand', mode: 'sometimes' }, 2],
      [{ configureFailPoint: 'failCommand', mode: { times: -1 }, data: { failCommands: ['find'] } }, 2],
      [{ configureFailPoint: 'failCommand', mode: { times: 'x' }, data: { failCommands: ['find'] } }, 14],
      [{ configureFailPoint: 'failCommand', mode: { often: 1 } }, 2],
      [{ configureFailPoint: 'failCommand', mode: 7 }, 14],
      [{ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: 'x' }, 14],
      [{ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { errorCode: 2 } }, 2],
      [
        { configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { failCommands: 'find', errorCode: 2 } },
        14,
      ],
      [
        {
          configureFailPoint: 'failCommand',
          mode: 'alwaysOn',
          data: { failCommands: ['find'], blockConnection: true },
        },
        72,
      ],
      [
        {
          configureFailPoint: 'failCommand',
          mode: 'alwaysOn',
          data: { failCommands: ['find'], blockConnection: true, blockTimeMS: -1 },
        },
        72,
      ],
      [
        {
          configureFailPoint: 'failCommand',
          mode: 'alwaysOn',
          data: { failCommands: ['find'], errorCode: 'x' },
        },
        14,
      ],
    ];
    for (const [command, code] of cases) {
      const reply = (await conn.command(command)).document;
      expect({ command, reply: { ok: reply['ok'], code: reply['code'] } }).toEqual({
        command,
        reply: { ok: 0, code },
      });
      expect(typeof reply['errmsg']).toBe('string');
    }
    const elsewhere = (await conn.command({ configureFailPoint: 'failCommand', mode: 'off', $db: 'test' }))
      .document;
    expect(elsewhere).toMatchObject({ ok: 0, code: 13 });
    // Nothing was set: finds still work.
    expect((await conn.command({ find: 'c', $db: 'test' })).document['ok']).toBe(1);
  });

  it('a killed server forgets what configureFailPoint set', async () => {
    const [secondary] = rs.secondaries;
    const conn = await raw(secondary ?? '');
    await conn.command({
      configureFailPoint: 'failCommand',
      mode: 'alwaysOn',
      data: { failCommands: ['ping'], errorCode: 2 },
    });
    expect((await conn.command({ ping: 1 })).document['code']).toBe(2);
    await rs.kill(secondary ?? '');
    await rs.restart(secondary ?? '');
    const fresh = await raw(secondary ?? '');
    expect((await fresh.command({ ping: 1 })).document['ok']).toBe(1);
  });
});

describe('configureFailPoint: onPrimaryTransactionalWrite (retryable writes on the primary)', () => {
  it('by default the write is applied, then the connection closes: the retry finds it done', async () => {
    const c = client();
    const reply = await c
      .db('admin')
      .command({ configureFailPoint: 'onPrimaryTransactionalWrite', mode: { times: 1 } });
    expect(reply).toMatchObject({ ok: 1, count: 0 });
    const orders = c.db('shop').collection<Order>('orders');
    const result = await orders.findOneAndUpdate(
      { _id: 1 },
      { $set: { item: 'tea' } },
      { upsert: true, returnDocument: 'after' },
    );
    expect(result).toEqual({ _id: 1, item: 'tea' });
    expect(rs.commandCount(rs.primary ?? '', 'findAndModify')).toBe(2);
    expect(await orders.find().toArray()).toEqual([{ _id: 1, item: 'tea' }]);
  });

  it('failBeforeCommitExceptionCode: the write is not applied; twice in a row, the retry fails too', async () => {
    const c = client();
    await c.db('admin').command({
      configureFailPoint: 'onPrimaryTransactionalWrite',
      mode: { times: 2 },
      data: { failBeforeCommitExceptionCode: 1 },
    });
    const orders = c.db('shop').collection<Order>('orders');
    await expect(orders.insertOne({ _id: 1 })).rejects.toThrow();
    expect(await orders.countDocuments()).toBe(0);
    await orders.insertOne({ _id: 2 });
    expect(await orders.find().toArray()).toEqual([{ _id: 2 }]);
  });

  it('acts only on retryable writes, and closeConnection: false returns the code instead', async () => {
    const conn = await raw(rs.primary ?? '');
    await conn.command({
      configureFailPoint: 'onPrimaryTransactionalWrite',
      mode: 'alwaysOn',
      data: { closeConnection: false, failBeforeCommitExceptionCode: 2 },
    });
    // No session and txnNumber: not a retryable write, not failed.
    expect((await conn.command({ insert: 'c', documents: [{ _id: 1 }], $db: 'test' })).document['n']).toBe(1);
    const lsid = { id: new Binary(Buffer.alloc(16, 7), 4) };
    const retryable = { insert: 'c', documents: [{ _id: 2 }], lsid, txnNumber: new Long(1), $db: 'test' };
    expect((await conn.command(retryable)).document).toMatchObject({ ok: 0, code: 2 });
    await conn.command({ configureFailPoint: 'onPrimaryTransactionalWrite', mode: 'off' });
    expect((await conn.command(retryable)).document).toMatchObject({ ok: 1, n: 1 });
  });
});

describe('failCommand() in code', () => {
  it('times: the handle counts hits, ends by itself, and off() is idempotent', async () => {
    const orders = client({ retryReads: false }).db('shop').collection<Order>('orders');
    const fp = rs.failCommand({ commands: ['find'], times: 2, errorCode: 2 });
    const first = fp.triggered;
    expect((await rejection(orders.findOne({}))).code).toBe(2);
    expect(await first).toMatchObject({ commandName: 'find', errorCode: 2 });
    expect(fp.hits).toBe(1);
    expect(fp.active).toBe(true);
    expect((await rejection(orders.findOne({}))).code).toBe(2);
    expect(fp.active).toBe(false);
    expect(await orders.findOne({})).toBeNull();
    expect(fp.hits).toBe(2);
    fp.off();
    fp.off();
    expect(fp.active).toBe(false);
  });

  it('off() ends an alwaysOn fail point on every server', async () => {
    const orders = client({ retryReads: false }).db('shop').collection<Order>('orders');
    const fp = rs.failCommand({ commands: ['find'], errorCode: 2 });
    expect(fp.address).toBeNull();
    expect((await rejection(orders.findOne({}))).code).toBe(2);
    expect((await rejection(orders.findOne({}, { readPreference: 'secondary' }))).code).toBe(2);
    fp.off();
    expect(await orders.findOne({})).toBeNull();
    expect(fp.hits).toBe(2);
  });

  it('closeConnection with times 1 makes a retryable write retry and land once', async () => {
    const orders = client().db('shop').collection<Order>('orders');
    const fp = rs.failCommand({ commands: ['insert'], times: 1, closeConnection: true }, rs.primary);
    await orders.insertOne({ _id: 1, item: 'tea' });
    expect(fp.hits).toBe(1);
    expect(await orders.find().toArray()).toEqual([{ _id: 1, item: 'tea' }]);
  });

  it('errorCode with errorLabels and appName, like the wire form', async () => {
    const mine = client({ appName: 'mine', retryWrites: false }).db('shop').collection<Order>('orders');
    const theirs = client({ appName: 'theirs', retryWrites: false }).db('shop').collection<Order>('orders');
    rs.failCommand({ commands: ['insert'], errorCode: 91, errorLabels: ['Custom'], appName: 'mine' });
    const error = await rejection(mine.insertOne({ _id: 1 }));
    expect(error.code).toBe(91);
    // The server's labels are replaced (no RetryableWriteError); the driver adds its own ResetPool.
    expect(error.errorLabels).toContain('Custom');
    expect(error.errorLabels).not.toContain('RetryableWriteError');
    await theirs.insertOne({ _id: 2 });
    expect(await theirs.countDocuments()).toBe(1);
  });

  it('a TransientTransactionError label makes withTransaction retry the whole transaction once', async () => {
    const c = client();
    const orders = c.db('shop').collection<Order>('orders');
    await orders.insertOne({ _id: 0 });
    const fp = rs.failCommand({
      commands: ['insert'],
      times: 1,
      errorCode: 112,
      errorLabels: ['TransientTransactionError'],
    });
    const session = c.startSession();
    let attempts = 0;
    try {
      await session.withTransaction(async () => {
        attempts++;
        await orders.insertOne({ _id: 1 }, { session });
        await orders.insertOne({ _id: 2 }, { session });
      });
    } finally {
      await session.endSession();
    }
    expect(attempts).toBe(2);
    expect(fp.hits).toBe(1);
    expect(await orders.find().toArray()).toEqual([{ _id: 0 }, { _id: 1 }, { _id: 2 }]);
  });

  it('rejects bad options with a SimulatorOptionsError naming the option', () => {
    const bad: [unknown, RegExp][] = [
      [{ commands: [], errorCode: 2 }, /'commands'/],
      [{ commands: ['find'], errorCode: 2, times: 0 }, /'times'/],
      [{ commands: ['find'], errorCode: 2, times: 1, skip: 1 }, /'times' or 'skip'/],
      [{ commands: ['find'], errorCode: 2.5 }, /'errorCode'/],
      [{ commands: ['find'], blockMS: -1 }, /'blockMS'/],
      [{ commands: ['find'], errorcode: 2 }, /unknown option 'errorcode'/],
      [{ commands: ['find'] }, /at least one of/],
      [{ commands: ['find'], writeConcernError: { errmsg: 'x' } }, /'writeConcernError'/],
    ];
    for (const [options, message] of bad) {
      expect(() => rs.failCommand(options as never)).toThrow(SimulatorOptionsError);
      expect(() => rs.failCommand(options as never)).toThrow(message);
    }
    expect(() => rs.failCommand({ commands: ['find'], errorCode: 2 }, '127.0.0.1:1')).toThrow(/not a server/);
  });

  it('close() while a command is blocked leaves no timer and no socket behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const local = await SimulatedStandalone.start();
    const conn = await RawClient.connect(local.address);
    const failPoint = local.failCommand({ commands: ['ping'], blockMS: 600_000 });
    const blocked = local.waitFor('failPoint');
    conn.sendCommand({ ping: 1 });
    expect(await blocked).toMatchObject({ blockMS: 600_000 });
    await local.close();
    expect(failPoint.active).toBe(false);
    expect((await conn.closed).errorCode).toBeNull();
    expect(conn.received.length).toBe(0);
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(after).toBeLessThanOrEqual(before);
  });
});

describe('every kind of simulated deployment', () => {
  it('a standalone and a sharded cluster take both forms', async () => {
    const standalone = await SimulatedStandalone.start();
    const cluster = await SimulatedShardedCluster.start({ mongos: 1 });
    try {
      for (const deployment of [standalone, cluster]) {
        const c = new MongoClient(deployment.uri, { ...driverClientOptions, retryReads: false });
        clients.push(c);
        const events: FailPointEvent[] = [];
        deployment.on('failPoint', (e) => events.push(e));
        const fp = deployment.failCommand({ commands: ['count'], times: 1, errorCode: 2 });
        expect((await rejection(c.db('t').command({ count: 'c' }))).code).toBe(2);
        expect(fp.active).toBe(false);
        await c.db('admin').command({
          configureFailPoint: 'failCommand',
          mode: { times: 1 },
          data: { failCommands: ['count'], errorCode: 8 },
        });
        expect((await rejection(c.db('t').command({ count: 'c' }))).code).toBe(8);
        expect((await c.db('t').command({ count: 'c' }))['ok']).toBe(1);
        expect(events.map((e) => e.errorCode)).toEqual([2, 8]);
      }
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await standalone.close();
      await cluster.close();
    }
  });
});
