/**
 * The CRUD commands a driver's happy path and failover path use, over a DataNode (a replica-set
 * member, a mongos, a standalone): insert, update, delete, findAndModify, find, getMore,
 * killCursors, aggregate, count, distinct, and the collection/database/index commands that
 * ODMs call at start-up. Reads and writes go through the node, which decides whether it may serve
 * them (a secondary refuses writes) and how writes replicate.
 */
import { EJSON, Long, ObjectId, type Document } from 'bson';
import type { CursorRegistry } from './cursor-registry.js';
import { namespaceString, type DocumentStore, type Namespace, type StoreOp } from './document-store.js';
import {
  idFirst,
  isOperatorDocument,
  isPlainDocument,
  validateUpdate,
  valueKey,
  cloneDocument,
  type QueryEngine,
} from './query-engine.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import type { WireRequest } from './wire-server.js';

/** Applies one op to the node's store and records it for replication. */
export type ApplyOp = (op: StoreOp) => void;

/** What the CRUD commands need from the server that runs them. */
export interface DataNode {
  readonly engine: QueryEngine;
  readonly cursors: CursorRegistry;
  /** The store reads see; throws CommandError when this server may not serve the read. */
  readableStore(request: WireRequest): DocumentStore;
  /**
   * Runs a write: checks the server may take it, deduplicates retryable writes, calls `execute`
   * synchronously with the store and an `apply` that changes it, then replicates and waits for the
   * write concern. Resolves with the reply (`execute`'s, or a stored one for a retried write).
   */
  write(request: WireRequest, execute: (store: DocumentStore, apply: ApplyOp) => Document): Promise<Document>;
}

type CrudHandler = (node: DataNode, request: WireRequest) => Promise<Document> | Document;

const handlers: Readonly<Record<string, CrudHandler>> = {
  insert: insertCommand,
  update: updateCommand,
  delete: deleteCommand,
  findAndModify: findAndModifyCommand,
  findandmodify: findAndModifyCommand,
  find: findCommand,
  getMore: getMoreCommand,
  killCursors: killCursorsCommand,
  aggregate: aggregateCommand,
  count: countCommand,
  distinct: distinctCommand,
  create: createCommand,
  drop: dropCommand,
  dropDatabase: dropDatabaseCommand,
  listCollections: listCollectionsCommand,
  listDatabases: listDatabasesCommand,
  createIndexes: createIndexesCommand,
  listIndexes: listIndexesCommand,
  dropIndexes: dropIndexesCommand,
};

/** Names of the commands that change data (a secondary refuses them). */
export const WRITE_COMMANDS: ReadonlySet<string> = new Set([
  'insert',
  'update',
  'delete',
  'findAndModify',
  'findandmodify',
  'create',
  'drop',
  'dropDatabase',
  'createIndexes',
  'dropIndexes',
]);

/** True when `name` is one of the CRUD commands. */
export function isCrudCommand(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(handlers, name);
}

/** Runs a CRUD command, or returns undefined when `request` is not one. */
export function crudCommand(node: DataNode, request: WireRequest): Promise<Document> | undefined {
  if (!isCrudCommand(request.commandName)) return undefined;
  const handler = handlers[request.commandName];
  if (!handler) return undefined;
  return Promise.resolve().then(() => handler(node, request));
}

// ---- argument parsing ------------------------------------------------------------------------

function collectionOf(request: WireRequest): Namespace {
  const value: unknown = request.command[request.commandName];
  if (typeof value !== 'string' || value === '') {
    throw new CommandError(
      73,
      `collection name for '${request.commandName}' must be a non-empty string, got ${EJSON.stringify({ v: value })}`,
    );
  }
  return { db: request.db, collection: value };
}

function documentArg(command: Document, field: string, fallback?: Document): Document {
  const value: unknown = command[field];
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new CommandError(ServerErrorCode.FailedToParse, `missing required field '${field}'`);
  }
  if (!isPlainDocument(value))
    throw new CommandError(ServerErrorCode.TypeMismatch, `'${field}' must be a document`);
  return value;
}

function optionalDocument(command: Document, field: string): Document | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainDocument(value))
    throw new CommandError(ServerErrorCode.TypeMismatch, `'${field}' must be a document`);
  return value;
}

function arrayArg(command: Document, field: string): unknown[] {
  const value: unknown = command[field];
  if (!Array.isArray(value))
    throw new CommandError(ServerErrorCode.TypeMismatch, `'${field}' must be an array`);
  return value;
}

function numberArg(command: Document, field: string): number | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (Long.isLong(value)) return value.toNumber();
  if (typeof value === 'bigint') return Number(value);
  throw new CommandError(ServerErrorCode.TypeMismatch, `'${field}' must be a number`);
}

function cursorBatchSize(command: Document): number | undefined {
  const cursor = optionalDocument(command, 'cursor');
  return cursor ? numberArg(cursor, 'batchSize') : undefined;
}

function ordered(command: Document): boolean {
  return command['ordered'] !== false;
}

interface WriteError {
  index: number;
  code: number;
  errmsg: string;
  [key: string]: unknown;
}

function writeErrorOf(index: number, error: unknown): WriteError {
  if (error instanceof CommandError) return { index, code: error.code, errmsg: error.message };
  throw error;
}

function writeReply(fields: Document, writeErrors: WriteError[]): Document {
  return { ...fields, ...(writeErrors.length > 0 ? { writeErrors } : {}), ok: 1 };
}

function duplicateKey(ns: Namespace, id: unknown): CommandError {
  return new CommandError(
    ServerErrorCode.DuplicateKey,
    `E11000 duplicate key error collection: ${namespaceString(ns)} index: _id_ dup key: { _id: ${EJSON.stringify(id, { relaxed: true })} }`,
    { keyPattern: { _id: 1 }, keyValue: { _id: id } },
  );
}

/** A document ready to store: a copy, `_id` first (generated when absent). */
function prepareInsert(document: unknown): Document {
  if (!isPlainDocument(document))
    throw new CommandError(ServerErrorCode.TypeMismatch, 'a document to insert must be an object');
  const copy = cloneDocument(document);
  if (!('_id' in copy)) return { _id: new ObjectId(), ...copy };
  if (Array.isArray(copy['_id']))
    throw new CommandError(ServerErrorCode.BadValue, "can't use an array for _id");
  return idFirst(copy);
}

// ---- writes ----------------------------------------------------------------------------------

function insertCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  const documents = arrayArg(request.command, 'documents');
  return node.write(request, (store, apply) => {
    let n = 0;
    const writeErrors: WriteError[] = [];
    for (const [index, raw] of documents.entries()) {
      try {
        const document = prepareInsert(raw);
        if (store.findById(ns, document['_id']) !== undefined) throw duplicateKey(ns, document['_id']);
        apply({ op: 'insert', ns, document });
        n++;
      } catch (error) {
        const writeError = writeErrorOf(index, error);
        if (error instanceof CommandError && error.code === ServerErrorCode.DuplicateKey)
          Object.assign(writeError, error.extra);
        writeErrors.push(writeError);
        if (ordered(request.command)) break;
      }
    }
    return writeReply({ n }, writeErrors);
  });
}

/** The fields an upsert copies from its query: top-level equalities (and `$eq`). */
function upsertSeed(query: Document): Document {
  const seed: Document = {};
  for (const [field, value] of Object.entries(query)) {
    if (field.startsWith('$') || field.includes('.')) continue;
    if (isPlainDocument(value) && Object.keys(value).some((key) => key.startsWith('$'))) {
      if (Object.keys(value).length === 1 && '$eq' in value) seed[field] = value['$eq'];
      continue;
    }
    seed[field] = value;
  }
  return seed;
}

/** The document an upsert inserts. */
function upsertDocument(
  engine: QueryEngine,
  query: Document,
  update: Document | readonly Document[],
): Document {
  const seed = upsertSeed(query);
  if (!Array.isArray(update) && !isOperatorDocument(update as Document)) {
    const replacement = cloneDocument(update as Document);
    return idFirst({ _id: seed['_id'] ?? replacement['_id'] ?? new ObjectId(), ...replacement });
  }
  const base = idFirst({ _id: seed['_id'] ?? new ObjectId(), ...seed });
  return idFirst(engine.update(base, update, { inserting: true }));
}

/** The `update` a replace op records: the client's update, unless it was a replacement document. */
function updateField(update: Document | readonly Document[]): { update?: Document | readonly Document[] } {
  return Array.isArray(update) || isOperatorDocument(update as Document) ? { update } : {};
}

function updateCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  const statements = arrayArg(request.command, 'updates');
  return node.write(request, (store, apply) => {
    let matched = 0;
    let modified = 0;
    const upserted: Document[] = [];
    const writeErrors: WriteError[] = [];
    for (const [index, raw] of statements.entries()) {
      try {
        if (!isPlainDocument(raw))
          throw new CommandError(ServerErrorCode.TypeMismatch, 'each update must be a document');
        const query = documentArg(raw, 'q', {});
        const update = validateUpdate(raw['u']);
        const multi = raw['multi'] === true;
        if (multi && !Array.isArray(update) && !isOperatorDocument(update as Document)) {
          throw new CommandError(
            ServerErrorCode.FailedToParse,
            'multi update is not supported for replacement-style update',
          );
        }
        const arrayFilters = Array.isArray(raw['arrayFilters'])
          ? (raw['arrayFilters'] as Document[])
          : undefined;
        const targets = node.engine.find(store.documents(ns), { filter: query, limit: multi ? 0 : 1 });
        matched += targets.length;
        for (const target of targets) {
          const updated = node.engine.update(target, update, { arrayFilters, inserting: false });
          if (valueKey(updated) !== valueKey(target)) {
            apply({ op: 'replace', ns, document: updated, ...updateField(update) });
            modified++;
          }
        }
        if (targets.length === 0 && raw['upsert'] === true) {
          const document = upsertDocument(node.engine, query, update);
          if (store.findById(ns, document['_id']) !== undefined) throw duplicateKey(ns, document['_id']);
          apply({ op: 'insert', ns, document });
          upserted.push({ index, _id: document['_id'] as unknown });
        }
      } catch (error) {
        writeErrors.push(writeErrorOf(index, error));
        if (ordered(request.command)) break;
      }
    }
    const fields: Document = { n: matched + upserted.length, nModified: modified };
    if (upserted.length > 0) fields['upserted'] = upserted;
    return writeReply(fields, writeErrors);
  });
}

function deleteCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  const statements = arrayArg(request.command, 'deletes');
  return node.write(request, (store, apply) => {
    let n = 0;
    const writeErrors: WriteError[] = [];
    for (const [index, raw] of statements.entries()) {
      try {
        if (!isPlainDocument(raw))
          throw new CommandError(ServerErrorCode.TypeMismatch, 'each delete must be a document');
        const query = documentArg(raw, 'q', {});
        const limit = numberArg(raw, 'limit') ?? 0;
        if (limit !== 0 && limit !== 1)
          throw new CommandError(
            ServerErrorCode.BadValue,
            'the limit field in delete objects must be 0 or 1',
          );
        for (const target of node.engine.find(store.documents(ns), { filter: query, limit })) {
          apply({ op: 'delete', ns, id: target['_id'] });
          n++;
        }
      } catch (error) {
        writeErrors.push(writeErrorOf(index, error));
        if (ordered(request.command)) break;
      }
    }
    return writeReply({ n }, writeErrors);
  });
}

function project(
  engine: QueryEngine,
  document: Document | null,
  projection: Document | undefined,
): Document | null {
  if (document === null || projection === undefined || Object.keys(projection).length === 0) return document;
  return engine.find([document], { filter: {}, projection })[0] ?? null;
}

function findAndModifyCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  const command = request.command;
  const query = documentArg(command, 'query', {});
  const sort = optionalDocument(command, 'sort');
  const fields = optionalDocument(command, 'fields');
  const remove = command['remove'] === true;
  const returnNew = command['new'] === true;
  const update = command['update'] === undefined ? undefined : validateUpdate(command['update']);
  if (remove === (update !== undefined)) {
    throw new CommandError(
      ServerErrorCode.FailedToParse,
      'findAndModify needs exactly one of remove: true or update',
    );
  }
  const arrayFilters = Array.isArray(command['arrayFilters'])
    ? (command['arrayFilters'] as Document[])
    : undefined;
  return node.write(request, (store, apply) => {
    const [target] = node.engine.find(store.documents(ns), { filter: query, sort, limit: 1 });
    if (remove) {
      if (target) apply({ op: 'delete', ns, id: target['_id'] });
      return {
        lastErrorObject: { n: target ? 1 : 0 },
        value: project(node.engine, target ?? null, fields),
        ok: 1,
      };
    }
    const change = update as Document | readonly Document[];
    if (target) {
      const updated = node.engine.update(target, change, { arrayFilters, inserting: false });
      if (valueKey(updated) !== valueKey(target))
        apply({ op: 'replace', ns, document: updated, ...updateField(change) });
      return {
        lastErrorObject: { n: 1, updatedExisting: true },
        value: project(node.engine, returnNew ? updated : target, fields),
        ok: 1,
      };
    }
    if (command['upsert'] === true) {
      const document = upsertDocument(node.engine, query, change);
      apply({ op: 'insert', ns, document });
      return {
        lastErrorObject: { n: 1, updatedExisting: false, upserted: document['_id'] as unknown },
        value: returnNew ? project(node.engine, document, fields) : null,
        ok: 1,
      };
    }
    return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  });
}

function createCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  return node.write(request, (store, apply) => {
    if (store.hasCollection(ns)) {
      throw new CommandError(
        ServerErrorCode.NamespaceExists,
        `Collection ${namespaceString(ns)} already exists.`,
      );
    }
    apply({ op: 'create', ns });
    return { ok: 1 };
  });
}

function dropCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  return node.write(request, (store, apply) => {
    // Since 7.0 dropping a collection that does not exist succeeds.
    if (store.hasCollection(ns)) apply({ op: 'drop', ns });
    return { ns: namespaceString(ns), nIndexesWas: 1, ok: 1 };
  });
}

function dropDatabaseCommand(node: DataNode, request: WireRequest): Promise<Document> {
  return node.write(request, (store, apply) => {
    // As mongod's oplog: each collection's drop, then the database's.
    if (!store.databaseNames().includes(request.db)) return { dropped: request.db, ok: 1 };
    for (const collection of store.collectionNames(request.db)) {
      apply({ op: 'drop', ns: { db: request.db, collection } });
    }
    apply({ op: 'dropDatabase', db: request.db });
    return { dropped: request.db, ok: 1 };
  });
}

function createIndexesCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  const indexes = arrayArg(request.command, 'indexes');
  // Indexes are accepted and not kept: the simulator enforces only the _id index.
  return node.write(request, (store, apply) => {
    const created = !store.hasCollection(ns);
    if (created) apply({ op: 'create', ns });
    return {
      numIndexesBefore: 1,
      numIndexesAfter: 1 + indexes.length,
      createdCollectionAutomatically: created,
      ok: 1,
    };
  });
}

function dropIndexesCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  return node.write(request, (store) => {
    if (!store.hasCollection(ns))
      throw new CommandError(ServerErrorCode.NamespaceNotFound, `ns not found ${namespaceString(ns)}`);
    return { nIndexesWas: 1, ok: 1 };
  });
}

// ---- reads -----------------------------------------------------------------------------------

function findCommand(node: DataNode, request: WireRequest): Document {
  const ns = collectionOf(request);
  const command = request.command;
  const store = node.readableStore(request);
  const limit = numberArg(command, 'limit') ?? 0;
  const skip = numberArg(command, 'skip') ?? 0;
  if (skip < 0) throw new CommandError(ServerErrorCode.BadValue, 'skip value must be non-negative');
  const documents = node.engine.find(store.documents(ns), {
    filter: documentArg(command, 'filter', {}),
    sort: optionalDocument(command, 'sort'),
    projection: optionalDocument(command, 'projection'),
    skip,
    limit: Math.abs(limit),
  });
  const batchSize = numberArg(command, 'batchSize');
  const cursor = node.cursors.open(namespaceString(ns), documents, {
    ...(batchSize !== undefined ? { batchSize } : {}),
    singleBatch: command['singleBatch'] === true || limit < 0,
  });
  return { cursor, ok: 1 };
}

function getMoreCommand(node: DataNode, request: WireRequest): Document {
  const id = numberArg(request.command, 'getMore');
  const collection: unknown = request.command['collection'];
  if (id === undefined || typeof collection !== 'string') {
    throw new CommandError(ServerErrorCode.FailedToParse, "getMore needs a cursor id and a 'collection'");
  }
  const cursor = node.cursors.getMore(
    id,
    `${request.db}.${collection}`,
    numberArg(request.command, 'batchSize'),
  );
  return { cursor, ok: 1 };
}

function killCursorsCommand(node: DataNode, request: WireRequest): Document {
  collectionOf(request);
  const ids = arrayArg(request.command, 'cursors').map((id) =>
    typeof id === 'number' ? id : Long.isLong(id) ? id.toNumber() : Number.NaN,
  );
  const { killed, notFound } = node.cursors.kill(ids);
  const asLongs = (values: number[]): Long[] => values.map((value) => Long.fromNumber(value));
  return {
    cursorsKilled: asLongs(killed),
    cursorsNotFound: asLongs(notFound),
    cursorsAlive: [],
    cursorsUnknown: [],
    ok: 1,
  };
}

const UNSUPPORTED_STAGES = new Set(['$out', '$merge', '$currentOp', '$changeStream', '$listSessions']);

function aggregateCommand(node: DataNode, request: WireRequest): Document {
  const target: unknown = request.command['aggregate'];
  if (typeof target !== 'string') {
    throw new CommandError(
      ServerErrorCode.NotImplemented,
      'the simulator runs aggregations on collections only',
    );
  }
  const ns = collectionOf(request);
  const pipeline = arrayArg(request.command, 'pipeline');
  for (const stage of pipeline) {
    if (!isPlainDocument(stage))
      throw new CommandError(ServerErrorCode.TypeMismatch, 'each pipeline stage must be a document');
    const name = Object.keys(stage)[0] ?? '';
    if (UNSUPPORTED_STAGES.has(name)) {
      throw new CommandError(
        ServerErrorCode.NotImplemented,
        `the simulator does not support the ${name} stage`,
      );
    }
  }
  if (request.command['cursor'] === undefined && request.command['explain'] !== true) {
    throw new CommandError(ServerErrorCode.FailedToParse, "The 'cursor' option is required");
  }
  const store = node.readableStore(request);
  const documents = node.engine.aggregate(store.documents(ns), pipeline as Document[]);
  const batchSize = cursorBatchSize(request.command);
  const cursor = node.cursors.open(
    namespaceString(ns),
    documents,
    batchSize !== undefined ? { batchSize } : {},
  );
  return { cursor, ok: 1 };
}

function countCommand(node: DataNode, request: WireRequest): Document {
  const ns = collectionOf(request);
  const store = node.readableStore(request);
  const limit = Math.abs(numberArg(request.command, 'limit') ?? 0);
  const skip = numberArg(request.command, 'skip') ?? 0;
  const found = node.engine.find(store.documents(ns), {
    filter: documentArg(request.command, 'query', {}),
    skip,
    limit,
  });
  return { n: found.length, ok: 1 };
}

function valuesAt(document: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return Array.isArray(document) ? document : [document];
  if (Array.isArray(document)) return document.flatMap((item) => valuesAt(item, path));
  if (!isPlainDocument(document)) return [];
  const [head, ...rest] = path;
  if (head === undefined || !(head in document)) return [];
  return valuesAt(document[head], rest);
}

function distinctCommand(node: DataNode, request: WireRequest): Document {
  const ns = collectionOf(request);
  const key: unknown = request.command['key'];
  if (typeof key !== 'string')
    throw new CommandError(ServerErrorCode.TypeMismatch, "distinct needs a string 'key'");
  const store = node.readableStore(request);
  const found = node.engine.find(store.documents(ns), { filter: documentArg(request.command, 'query', {}) });
  const seen = new Map<string, unknown>();
  for (const document of found) {
    for (const value of valuesAt(document, key.split('.'))) {
      const id = valueKey(value);
      if (!seen.has(id)) seen.set(id, value);
    }
  }
  return { values: [...seen.values()], ok: 1 };
}

function listCollectionsCommand(node: DataNode, request: WireRequest): Document {
  const store = node.readableStore(request);
  const nameOnly = request.command['nameOnly'] === true;
  const all = store.collectionNames(request.db).map((name) =>
    nameOnly
      ? { name, type: 'collection' }
      : {
          name,
          type: 'collection',
          options: {},
          info: { readOnly: false },
          idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
        },
  );
  const filter = optionalDocument(request.command, 'filter') ?? {};
  const documents = node.engine.find(all, { filter });
  const batchSize = cursorBatchSize(request.command);
  const cursor = node.cursors.open(
    `${request.db}.$cmd.listCollections`,
    documents,
    batchSize !== undefined ? { batchSize } : {},
  );
  return { cursor, ok: 1 };
}

function listDatabasesCommand(node: DataNode, request: WireRequest): Document {
  const store = node.readableStore(request);
  const nameOnly = request.command['nameOnly'] === true;
  const databases = store.databaseNames().map((name) => {
    const sizeOnDisk = 4096 * (1 + store.documentCount(name));
    return nameOnly ? { name } : { name, sizeOnDisk, empty: false };
  });
  const filter = optionalDocument(request.command, 'filter') ?? {};
  const found = node.engine.find(databases, { filter });
  if (nameOnly) return { databases: found, ok: 1 };
  const totalSize = found.reduce(
    (sum, db) => sum + (typeof db['sizeOnDisk'] === 'number' ? db['sizeOnDisk'] : 0),
    0,
  );
  return { databases: found, totalSize, totalSizeMb: Math.floor(totalSize / 1048576), ok: 1 };
}

function listIndexesCommand(node: DataNode, request: WireRequest): Document {
  const ns = collectionOf(request);
  const store = node.readableStore(request);
  if (!store.hasCollection(ns))
    throw new CommandError(ServerErrorCode.NamespaceNotFound, `ns does not exist: ${namespaceString(ns)}`);
  const cursor = node.cursors.open(namespaceString(ns), [{ v: 2, key: { _id: 1 }, name: '_id_' }], {});
  return { cursor, ok: 1 };
}
