/**
 * Change streams on the simulator through the official driver: the events mongod sends, streams on
 * a collection, a database and the cluster, resume tokens, and the driver's automatic resume
 * across a step-down and a killed member.
 */
import {
  MongoClient,
  MongoError,
  MongoServerError,
  Timestamp,
  type ChangeStream,
  type ChangeStreamDocument,
  type ChangeStreamOptions,
  type Collection,
  type CommandStartedEvent,
  type Document,
  type ResumeToken,
} from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SimulatedReplicaSet,
  SimulatedShardedCluster,
  SimulatedStandalone,
} from '../../../src/testing/index.js';
import { driverClientOptions } from './driver-client.js';

type Deployment = SimulatedReplicaSet | SimulatedShardedCluster | SimulatedStandalone;

/** Documents keyed by a number or a string, as these tests write them. */
type Doc = { _id: number | string } & Record<string, unknown>;

interface Order {
  _id: number | string;
  status?: string;
  items?: string[];
  note?: string;
  meta?: { by: string };
}

const opened: (MongoClient | Deployment)[] = [];

afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
});

async function replicaSet(
  options: Parameters<typeof SimulatedReplicaSet.start>[0] = {},
): Promise<[SimulatedReplicaSet, MongoClient]> {
  const rs = await SimulatedReplicaSet.start(options);
  opened.push(rs);
  return [rs, connect(rs.uri)];
}

function connect(uri: string): MongoClient {
  const client = new MongoClient(uri, { ...driverClientOptions, retryWrites: true, monitorCommands: true });
  opened.push(client);
  return client;
}

/** Short awaitData waits, so that a stream with nothing to report answers quickly. */
const quick: ChangeStreamOptions = { maxAwaitTimeMS: 20 };

/** Opens the stream on the server (its start point is fixed once this resolves) and returns it. */
async function started<T extends Document>(stream: ChangeStream<T>): Promise<ChangeStream<T>> {
  expect(await stream.tryNext()).toBeNull();
  return stream;
}

async function take(stream: ChangeStream, count: number): Promise<ChangeStreamDocument[]> {
  const events: ChangeStreamDocument[] = [];
  while (events.length < count) events.push(await stream.next());
  return events;
}

/**
 * Inserts `document`, trying again while a failover makes the write fail (as an application does
 * when one automatic retry was not enough); a duplicate key means an earlier attempt wrote it.
 */
async function insertOnce(collection: Collection<{ _id: number }>, document: { _id: number }): Promise<void> {
  for (;;) {
    try {
      await collection.insertOne(document);
      return;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000) return;
      if (!(error instanceof MongoError)) throw error;
    }
  }
}

function tokenData(token: ResumeToken): string {
  return (token as { _data: string })._data;
}

describe('change streams on SimulatedReplicaSet', () => {
  it('sends insert, update, replace, delete, drop and invalidate with the fields mongod sends', async () => {
    const [, client] = await replicaSet();
    const collection = client.db('shop').collection<Order>('orders');
    await collection.insertOne({ _id: 'seed' });
    const stream = await started(collection.watch([], quick));

    await collection.insertOne({ _id: 1, status: 'new', items: ['a', 'b', 'c'], note: 'x' });
    await collection.updateOne(
      { _id: 1 },
      { $set: { status: 'paid', 'meta.by': 'ann' }, $unset: { note: '' }, $push: { items: 'd' } },
    );
    await collection.updateOne({ _id: 1 }, [{ $set: { items: ['a'] } }]);
    await collection.replaceOne({ _id: 1 }, { status: 'replaced' });
    await collection.deleteOne({ _id: 1 });
    await collection.drop();

    const events = await take(stream, 7);
    expect(events.map((event) => event.operationType)).toEqual([
      'insert',
      'update',
      'update',
      'replace',
      'delete',
      'drop',
      'invalidate',
    ]);
    const [insert, update, truncate, replace, remove, drop] = events as Document[];
    expect(insert).toMatchObject({
      ns: { db: 'shop', coll: 'orders' },
      documentKey: { _id: 1 },
      fullDocument: { _id: 1, status: 'new', items: ['a', 'b', 'c'], note: 'x' },
    });
    expect(insert?.['clusterTime']).toBeInstanceOf(Timestamp);
    expect(insert?.['wallTime']).toBeInstanceOf(Date);
    expect(update?.['updateDescription']).toEqual({
      updatedFields: { status: 'paid', meta: { by: 'ann' }, 'items.3': 'd' },
      removedFields: ['note'],
      truncatedArrays: [],
    });
    expect(update).not.toHaveProperty('fullDocument');
    expect(truncate?.['updateDescription']).toEqual({
      updatedFields: {},
      removedFields: [],
      truncatedArrays: [{ field: 'items', newSize: 1 }],
    });
    expect(replace).toMatchObject({ fullDocument: { _id: 1, status: 'replaced' }, documentKey: { _id: 1 } });
    expect(remove).toMatchObject({ documentKey: { _id: 1 } });
    expect(drop).toMatchObject({ ns: { db: 'shop', coll: 'orders' } });
    // Resume tokens sort in oplog order.
    const tokens = events.map((event) => tokenData(event._id));
    expect([...tokens].sort()).toEqual(tokens);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(stream.closed).toBe(true);
  });

  it('watches a whole database and the whole cluster; dropDatabase ends a database stream', async () => {
    const [, client] = await replicaSet();
    const shop = client.db('shop');
    const databaseStream = await started(shop.watch([], quick));
    const clusterStream = await started(client.watch([], quick));

    await shop.collection<Doc>('orders').insertOne({ _id: 1 });
    await client.db('crm').collection<Doc>('people').insertOne({ _id: 2 });
    await shop.collection<Doc>('invoices').insertMany([{ _id: 3 }, { _id: 4 }]);
    await shop.dropDatabase();

    const inDatabase = await take(databaseStream, 6);
    expect(inDatabase.map((event) => [event.operationType, 'ns' in event ? event.ns : null])).toEqual([
      ['insert', { db: 'shop', coll: 'orders' }],
      ['insert', { db: 'shop', coll: 'invoices' }],
      ['insert', { db: 'shop', coll: 'invoices' }],
      ['drop', { db: 'shop', coll: 'orders' }],
      ['drop', { db: 'shop', coll: 'invoices' }],
      ['dropDatabase', { db: 'shop' }],
    ]);
    expect((await databaseStream.next()).operationType).toBe('invalidate');

    const inCluster = await take(clusterStream, 7);
    expect(inCluster.map((event) => event.operationType)).toEqual([
      'insert',
      'insert',
      'insert',
      'insert',
      'drop',
      'drop',
      'dropDatabase',
    ]);
    expect(inCluster[1]).toMatchObject({ ns: { db: 'crm', coll: 'people' } });
    // A cluster stream is never invalidated.
    expect(await clusterStream.tryNext()).toBeNull();
  });

  it('resumes after a token, starts after an invalidate, and starts at an operation time', async () => {
    const [, client] = await replicaSet();
    const collection = client.db('app').collection<Doc>('jobs');
    const stream = await started(collection.watch([], quick));
    await collection.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    const [first] = await take(stream, 1);
    await stream.close();

    // resumeAfter the first event: the second and third come next, once each.
    const resumed = collection.watch([], { ...quick, resumeAfter: first?._id });
    expect((await take(resumed, 2)).map((event) => (event as Document)['documentKey'])).toEqual([
      { _id: 2 },
      { _id: 3 },
    ]);
    expect(await resumed.tryNext()).toBeNull();
    await resumed.close();

    // startAtOperationTime: every event at or after that time.
    const session = client.startSession();
    await collection.insertOne({ _id: 4 }, { session });
    const time = session.operationTime;
    await session.endSession();
    await collection.insertOne({ _id: 5 });
    const fromTime = collection.watch([], { ...quick, startAtOperationTime: time });
    expect((await take(fromTime, 2)).map((event) => (event as Document)['documentKey'])).toEqual([
      { _id: 4 },
      { _id: 5 },
    ]);
    await fromTime.close();

    // startAfter an invalidate: the stream goes on with what follows the drop.
    const watching = await started(collection.watch([], quick));
    await collection.drop();
    const [, invalidate] = await take(watching, 2);
    expect(invalidate?.operationType).toBe('invalidate');
    await collection.insertOne({ _id: 6 });
    const after = collection.watch([], { ...quick, startAfter: invalidate?._id });
    const [next] = await take(after, 1);
    expect(next).toMatchObject({ operationType: 'insert', documentKey: { _id: 6 } });
    await after.close();

    // resumeAfter an invalidate is refused, as mongod refuses it.
    const refused = collection.watch([], { ...quick, resumeAfter: invalidate?._id });
    await expect(refused.tryNext()).rejects.toMatchObject({ code: 260 });
  });

  it('fullDocument updateLookup returns the document as it is when the event is read', async () => {
    const [, client] = await replicaSet();
    const collection = client.db('app').collection<{ _id: string; n: number }>('counters');
    await collection.insertOne({ _id: 'c', n: 0 });
    const stream = await started(collection.watch([], { ...quick, fullDocument: 'updateLookup' }));
    await collection.updateOne({ _id: 'c' }, { $inc: { n: 1 } });
    const [first] = await take(stream, 1);
    expect(first).toMatchObject({ operationType: 'update', fullDocument: { _id: 'c', n: 1 } });
    await collection.updateOne({ _id: 'c' }, { $inc: { n: 1 } });
    await collection.deleteOne({ _id: 'c' });
    const [second] = await take(stream, 1);
    // Looked up after the delete: mongod gives null then too.
    expect(second).toMatchObject({ operationType: 'update', fullDocument: null });
  });

  it("applies the stream's pipeline to events and refuses what mongod refuses", async () => {
    const [, client] = await replicaSet();
    const collection = client.db('app').collection<Doc>('items');
    const stream = await started(
      collection.watch(
        [{ $match: { 'fullDocument.keep': true } }, { $project: { fullDocument: 1, ns: 1 } }],
        quick,
      ),
    );
    await collection.insertMany([
      { _id: 1, keep: false },
      { _id: 2, keep: true },
    ]);
    const [event] = await take(stream, 1);
    expect(Object.keys(event ?? {}).sort()).toEqual(['_id', 'fullDocument', 'ns']);
    expect((event as Document)['fullDocument']).toEqual({ _id: 2, keep: true });

    const withoutId = await started(collection.watch([{ $project: { _id: 0 } }], quick));
    await collection.insertOne({ _id: 3 });
    const error = await withoutId.next().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error).toMatchObject({ code: 280, codeName: 'ChangeStreamFatalError' });
    expect((error as MongoServerError).hasErrorLabel('NonResumableChangeStreamError')).toBe(true);

    const run = (pipeline: Document[]): Promise<Document> =>
      client.db('app').command({ aggregate: 'items', pipeline, cursor: {} });
    await expect(run([{ $changeStream: {} }, { $unsupported: 1 }])).rejects.toMatchObject({ code: 40324 });
    await expect(run([{ $changeStream: {} }, { $group: { _id: null } }])).rejects.toMatchObject({ code: 20 });
    await expect(run([{ $match: {} }, { $changeStream: {} }])).rejects.toMatchObject({ code: 40602 });
    await expect(
      run([{ $changeStream: { startAtOperationTime: new Timestamp({ t: 1, i: 0 }) } }]),
    ).rejects.toMatchObject({
      code: 286,
      codeName: 'ChangeStreamHistoryLost',
    });
  });

  it('reports pre- and post-images once the collection records them (collMod changeStreamPreAndPostImages)', async () => {
    const [, client] = await replicaSet();
    const db = client.db('app');
    const accounts = db.collection<{ _id: string; balance: number }>('accounts');
    await accounts.insertOne({ _id: 'a', balance: 10 });
    const images = { fullDocument: 'required', fullDocumentBeforeChange: 'required' } as const;

    const refused = await started(accounts.watch([], { ...quick, ...images }));
    await accounts.updateOne({ _id: 'a' }, { $inc: { balance: 5 } });
    await expect(refused.next()).rejects.toMatchObject({ code: 47, codeName: 'NoMatchingDocument' });

    await db.command({ collMod: 'accounts', changeStreamPreAndPostImages: { enabled: true } });
    const stream = await started(accounts.watch([], { ...quick, ...images }));
    await accounts.updateOne({ _id: 'a' }, { $inc: { balance: 5 } });
    await accounts.deleteOne({ _id: 'a' });
    const [update, remove] = await take(stream, 2);
    expect(update).toMatchObject({
      operationType: 'update',
      fullDocument: { _id: 'a', balance: 20 },
      fullDocumentBeforeChange: { _id: 'a', balance: 15 },
    });
    expect(remove).toMatchObject({
      operationType: 'delete',
      fullDocumentBeforeChange: { _id: 'a', balance: 20 },
    });
  });

  it('shows DDL events with showExpandedEvents: create, createIndexes, modify, rename over a dropped target', async () => {
    const [, client] = await replicaSet();
    const db = client.db('app');
    const stream = await started(db.watch([], { ...quick, showExpandedEvents: true }));
    await db.createCollection('staging');
    await db.collection('staging').createIndex({ sku: 1 }, { name: 'sku_1' });
    await db.command({ collMod: 'staging' });
    await db.createCollection('live');
    await db.collection('staging').rename('live', { dropTarget: true });

    const events = (await take(stream, 5)) as Document[];
    expect(events.map((event) => event['operationType'])).toEqual([
      'create',
      'createIndexes',
      'modify',
      'create',
      'rename',
    ]);
    expect(events[1]?.['operationDescription']).toMatchObject({
      indexes: [{ name: 'sku_1', key: { sku: 1 } }],
    });
    expect(events[4]).toMatchObject({
      ns: { db: 'app', coll: 'staging' },
      to: { db: 'app', coll: 'live' },
      operationDescription: { to: { db: 'app', coll: 'live' } },
    });
    expect(events[4]?.['operationDescription']).toHaveProperty('dropTarget');
    expect(events[0]?.['collectionUUID']).toBeDefined();
    // The target's drop is part of the rename (one oplog entry in mongod), not an event of its own.
    expect(events.every((event) => event['operationType'] !== 'drop')).toBe(true);
  });

  it('refuses a resume token that names an op the oplog does not hold, as after a rollback', async () => {
    const [, client] = await replicaSet();
    const collection = client.db('app').collection<Doc>('items');
    const stream = await started(collection.watch([], quick));
    await collection.insertOne({ _id: 1 });
    await collection.insertOne({ _id: 2 });
    const [event] = await take(stream, 1);
    // The same entry, op 5: that write held one op only.
    const data = tokenData(event?._id);
    const forged = { _data: `${data.slice(0, 18)}00000005${data.slice(26)}` };
    const resumed = collection.watch([], { ...quick, resumeAfter: forged });
    const error = await resumed.tryNext().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 280, codeName: 'ChangeStreamFatalError' });
  });

  it("shows a secondary's stream only what that secondary applied, and only majority-committed writes", async () => {
    const [rs, client] = await replicaSet();
    const [lagging, other] = rs.secondaries;
    if (!lagging || !other) throw new Error('expected two secondaries');
    const onSecondary = connect(`${rs.directUri(lagging)}&readPreference=secondary`);
    const secondaryStream = await started(onSecondary.db('app').collection<Doc>('logs').watch([], quick));
    const primaryStream = await started(client.db('app').collection<Doc>('logs').watch([], quick));

    rs.setReplicationLag(lagging, 60_000);
    await client.db('app').collection<Doc>('logs').insertOne({ _id: 1 });
    // Majority-committed (primary and the other secondary): the primary's stream sees it...
    expect(await take(primaryStream, 1)).toMatchObject([{ documentKey: { _id: 1 } }]);
    // ...the lagging secondary has not applied it.
    expect(await secondaryStream.tryNext()).toBeNull();
    rs.setReplicationLag(lagging, 0);
    expect(await take(secondaryStream, 1)).toMatchObject([{ documentKey: { _id: 1 } }]);

    // With both secondaries behind, a w:1 write is not majority-committed: no stream shows it yet.
    rs.setReplicationLag(lagging, 60_000);
    rs.setReplicationLag(other, 60_000);
    await client
      .db('app')
      .collection<Doc>('logs')
      .insertOne({ _id: 2 }, { writeConcern: { w: 1 } });
    expect(await primaryStream.tryNext()).toBeNull();
    rs.setReplicationLag(other, 0);
    expect(await take(primaryStream, 1)).toMatchObject([{ documentKey: { _id: 2 } }]);
  });

  it("labels a change stream getMore's resumable errors as mongod does, and the driver resumes on the label", async () => {
    const [, client] = await replicaSet();
    const aggregates: CommandStartedEvent[] = [];
    client.on('commandStarted', (event) => {
      if (event.commandName === 'aggregate') aggregates.push(event);
    });
    const admin = client.db('admin');
    const collection = client.db('app').collection<Doc>('feed');

    // An error raised inside the change stream's getMore (HostUnreachable) carries
    // ResumableChangeStreamError: the driver resumes and the event arrives.
    await admin.command({
      configureFailPoint: 'failGetMoreAfterCursorCheckout',
      mode: { times: 1 },
      data: { errorCode: 6 },
    });
    const stream = await started(collection.watch([], quick));
    await collection.insertOne({ _id: 1 });
    expect(await take(stream, 1)).toMatchObject([{ documentKey: { _id: 1 } }]);
    expect(aggregates).toHaveLength(2);
    expect((aggregates[1]?.command['pipeline'] as Document[])[0]?.['$changeStream']).toHaveProperty(
      'resumeAfter',
    );

    // failCommand adds no such label: the same code ends the stream.
    await admin.command({
      configureFailPoint: 'failCommand',
      mode: { times: 1 },
      data: { failCommands: ['getMore'], errorCode: 6 },
    });
    await collection.insertOne({ _id: 2 });
    await expect(stream.next()).rejects.toMatchObject({ code: 6 });
  });

  it('the driver resumes across a step-down and a killed member: every event once, in order', async () => {
    const [rs, client] = await replicaSet();
    const aggregates: CommandStartedEvent[] = [];
    client.on('commandStarted', (event) => {
      if (event.commandName === 'aggregate') aggregates.push(event);
    });
    const collection = client.db('app').collection<{ _id: number }>('orders');
    const stream = await started(collection.watch([], quick));
    const host = aggregates[0]?.address;
    const writes = 60;
    const seen: number[] = [];
    const reading = (async () => {
      while (seen.length < writes) {
        const event = await stream.next();
        if (event.operationType === 'insert') seen.push(event.documentKey._id as number);
      }
    })();

    for (let i = 0; i < writes; i++) {
      if (i === 20 && host) {
        // The primary that serves the stream dies, and comes back as a secondary. (Before resuming,
        // the driver kills the old cursor on its old server: against a member that stays down, that
        // waits serverSelectionTimeoutMS.)
        await rs.kill(host);
        await rs.restart(host);
      }
      // The new primary, now serving the stream, steps down.
      if (i === 40) await rs.stepDown();
      await insertOnce(collection, { _id: i });
    }
    await reading;

    expect(seen).toEqual(Array.from({ length: writes }, (_, i) => i));
    const resumes = aggregates.slice(1);
    expect(resumes.length).toBeGreaterThanOrEqual(1);
    const spec = (resumes[0]?.command['pipeline'] as Document[])[0]?.['$changeStream'] as Document;
    expect(spec).toHaveProperty('resumeAfter');
  });
});

describe('change streams on the other deployments', () => {
  it('a sharded cluster streams from its routers; a standalone refuses with 40573', async () => {
    const cluster = await SimulatedShardedCluster.start({ mongos: 2 });
    opened.push(cluster);
    const client = connect(cluster.uri);
    const collection = client.db('app').collection<Doc>('events');
    const stream = await started(collection.watch([], quick));
    await collection.insertOne({ _id: 1 });
    await collection.updateOne({ _id: 1 }, { $set: { seen: true } });
    const events = await take(stream, 2);
    expect(events.map((event) => event.operationType)).toEqual(['insert', 'update']);
    expect((events[1] as Document)['updateDescription']).toMatchObject({ updatedFields: { seen: true } });

    const standalone = await SimulatedStandalone.start();
    opened.push(standalone);
    const single = connect(standalone.uri);
    const refused = single.db('app').collection<Doc>('events').watch([], quick);
    await expect(refused.tryNext()).rejects.toMatchObject({ code: 40573 });
  });
});
