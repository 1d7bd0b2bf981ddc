/**
 * Client and database operations of the test files, mapped to the official driver's MongoClient
 * and Db APIs (clientBulkWrite's `{ insertOne: {...} }` models become the driver's named models).
 */
import type { Document } from 'bson';
import type { AnyClientBulkWriteModel, Db, RunCommandCursor } from 'mongodb';
import type { OperationArguments } from './operation-arguments.js';
import { RunnerError } from './entity-map.js';
import { changeStreamOutcome } from './cursor-operations.js';
import { documents, type OperationTable } from './test-context.js';

/** `{ updateOne: { namespace, filter, ... } }` -> `{ name: 'updateOne', namespace, filter, ... }`. */
function clientBulkWriteModel(model: Document): AnyClientBulkWriteModel<Document> {
  const keys = Object.keys(model);
  if (keys.length !== 1)
    throw new RunnerError(`a clientBulkWrite model must have one key, got ${keys.join(', ')}`);
  return { name: keys[0], ...(model[keys[0]!] as Document) } as AnyClientBulkWriteModel<Document>;
}

export const clientOperations: OperationTable<'client'> = {
  async listDatabases({ client }, args) {
    const filter = args.optional('filter') as Document | undefined;
    const result = await client
      .db('admin')
      .admin()
      .listDatabases({ ...args.options('filter'), ...(filter ? { filter } : {}) });
    return documents(result.databases as unknown as Document[]);
  },
  async listDatabaseNames({ client }, args) {
    const result = await client
      .db('admin')
      .admin()
      .listDatabases({ ...args.options(), nameOnly: true });
    return { value: result.databases.map((d) => d.name) };
  },
  async createChangeStream({ client }, args) {
    return changeStreamOutcome(client.watch(args.requiredArray('pipeline'), args.options('pipeline')));
  },
  async clientBulkWrite({ client }, args) {
    const models = args.requiredArray('models').map(clientBulkWriteModel);
    return { value: await client.bulkWrite(models, args.options('models')) };
  },
  async close({ client }) {
    await client.close();
    return {};
  },
};

export const databaseOperations: OperationTable<'database'> = {
  async runCommand({ db }, args) {
    args.requiredString('commandName');
    return {
      value: await db.command(args.requiredDocument('command'), args.options('command', 'commandName')),
    };
  },
  async aggregate({ db }, args) {
    return documents(await db.aggregate(args.requiredArray('pipeline'), args.options('pipeline')).toArray());
  },
  async listCollections({ db }, args) {
    const filter = (args.optional('filter') as Document | undefined) ?? {};
    return documents(await db.listCollections(filter, args.options('filter')).toArray());
  },
  async listCollectionObjects({ db }, args) {
    const filter = (args.optional('filter') as Document | undefined) ?? {};
    return documents(await db.listCollections(filter, args.options('filter')).toArray());
  },
  async listCollectionNames({ db }, args) {
    const filter = (args.optional('filter') as Document | undefined) ?? {};
    const list = await db.listCollections(filter, { ...args.options('filter'), nameOnly: true }).toArray();
    return { value: list.map((c) => c.name) };
  },
  async createCollection({ db }, args) {
    await db.createCollection(args.requiredString('collection'), args.options('collection'));
    return {};
  },
  async dropCollection({ db }, args) {
    return { value: await db.dropCollection(args.requiredString('collection'), args.options('collection')) };
  },
  async createChangeStream({ db }, args) {
    return changeStreamOutcome(db.watch(args.requiredArray('pipeline'), args.options('pipeline')));
  },
  async runCursorCommand({ db }, args) {
    return documents(await cursorCommand(db, args).toArray());
  },
  async createCommandCursor({ db }, args) {
    const cursor = cursorCommand(db, args);
    await cursor.hasNext();
    return { entity: { kind: 'cursor', cursor } };
  },
};

/** batchSize / maxTimeMS / comment of runCursorCommand configure the getMores, not the command. */
function cursorCommand(db: Db, args: OperationArguments): RunCommandCursor {
  args.requiredString('commandName');
  const { batchSize, maxTimeMS, comment, ...options } = args.options('command', 'commandName');
  const cursor = db.runCursorCommand(args.requiredDocument('command'), options);
  if (typeof batchSize === 'number') cursor.setBatchSize(batchSize);
  if (typeof maxTimeMS === 'number') cursor.setMaxTimeMS(maxTimeMS);
  if (comment !== undefined) cursor.setComment(comment);
  return cursor;
}
