/**
 * Collection and database commands: create (with validation options), drop, dropDatabase,
 * renameCollection, collMod, listCollections and listDatabases. Changes go through the node's
 * write path as StoreOps, so they replicate with the oplog. Views are kept as their definition
 * (see views.ts), capped collections by their caps (see capped-collections.ts). Options the
 * simulator cannot honour (time series and clustered collections, a default collation) are
 * refused by name.
 */
import type { Document } from 'bson';
import { cappedOptions } from './capped-collections.js';
import {
  collectionOf,
  cursorBatchSize,
  optionalDocument,
  parseNamespace,
  requireAdmin,
} from './command-args.js';
import type { CrudHandler, DataNode } from './data-node.js';
import { validationOptions } from './document-validation.js';
import { namespaceString, type IndexDocument, type Namespace } from './document-store.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import { viewDefinition } from './views.js';
import type { WireRequest } from './wire-server.js';

/** Options of `create` the simulator keeps but that change nothing it simulates. */
const INERT_CREATE_OPTIONS = new Set([
  'storageEngine',
  'indexOptionDefaults',
  'changeStreamPreAndPostImages',
  'autoIndexId',
  'flags',
  'idIndex',
]);
/** Options of `create` the simulator refuses: what they change is not simulated. */
const UNSUPPORTED_CREATE_OPTIONS = new Set([
  'timeseries',
  'expireAfterSeconds',
  'clusteredIndex',
  'encryptedFields',
  'collation',
]);
/** Generic command fields that are not collection options. */
const COMMAND_FIELDS = new Set([
  'writeConcern',
  'comment',
  'lsid',
  'txnNumber',
  '$db',
  '$clusterTime',
  '$readPreference',
  'maxTimeMS',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  'autocommit',
  'startTransaction',
]);
const VALIDATION_FIELDS = new Set(['validator', 'validationLevel', 'validationAction']);

function unknownField(command: string, field: string): CommandError {
  return new CommandError(40415, `BSON field '${command}.${field}' is an unknown field.`);
}

function notSimulated(command: string, field: string): CommandError {
  return new CommandError(
    ServerErrorCode.NotImplemented,
    `the simulator does not support '${command}.${field}'`,
  );
}

/** Checks a collection name as mongod does for a new collection. */
function checkCollectionName(ns: Namespace): void {
  if (ns.collection.includes('$') || ns.collection.startsWith('.') || ns.collection.includes('\0'))
    throw new CommandError(ServerErrorCode.InvalidNamespace, `Invalid collection name: ${ns.collection}`);
  if (ns.db === '' || /[/\\. "$\0]/.test(ns.db))
    throw new CommandError(ServerErrorCode.InvalidNamespace, `Invalid database name: ${ns.db}`);
}

/** A view's `{ viewOn, pipeline }` from a create command, or `{}` for a collection. */
function viewOptions(command: Document): Document {
  const viewOn: unknown = command['viewOn'];
  const pipeline: unknown = command['pipeline'];
  if (viewOn === undefined) {
    if (pipeline !== undefined)
      throw new CommandError(ServerErrorCode.BadValue, "'pipeline' requires 'viewOn' to also be specified");
    return {};
  }
  if (typeof viewOn !== 'string' || viewOn === '')
    throw new CommandError(ServerErrorCode.BadValue, "'viewOn' must be a non-empty string");
  const stages = pipeline ?? [];
  if (!Array.isArray(stages) || !stages.every((stage) => isPlainDocument(stage)))
    throw new CommandError(ServerErrorCode.TypeMismatch, "'pipeline' must be an array of documents");
  for (const stage of stages as Document[]) {
    const name = Object.keys(stage)[0];
    if (name === '$out' || name === '$merge')
      throw new CommandError(
        ServerErrorCode.OptionNotSupportedOnView,
        `${name} cannot be used in a view definition`,
      );
  }
  return { viewOn, pipeline: stages };
}

function createCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  checkCollectionName(ns);
  const options: Document = { ...viewOptions(request.command), ...cappedOptions(request.command) };
  for (const [field, value] of Object.entries(request.command)) {
    if (field === 'create' || COMMAND_FIELDS.has(field) || VALIDATION_FIELDS.has(field)) continue;
    if (field === 'viewOn' || field === 'pipeline') continue;
    if (field === 'capped' || field === 'size' || field === 'max') continue;
    if (UNSUPPORTED_CREATE_OPTIONS.has(field)) {
      throw notSimulated('create', field);
    }
    if (!INERT_CREATE_OPTIONS.has(field)) throw unknownField('create', field);
    options[field] = value;
  }
  Object.assign(options, validationOptions(request.command, node.engine));
  return node.write(request, (store, apply) => {
    if (store.hasCollection(ns)) {
      throw new CommandError(
        ServerErrorCode.NamespaceExists,
        `Collection ${namespaceString(ns)} already exists.`,
      );
    }
    apply({ op: 'create', ns, options });
    return { ok: 1 };
  });
}

function dropCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  return node.write(request, (store, apply) => {
    // Since 7.0 dropping a collection that does not exist succeeds.
    const nIndexesWas = store.indexes(ns).length;
    if (store.hasCollection(ns)) apply({ op: 'drop', ns });
    return { ns: namespaceString(ns), nIndexesWas, ok: 1 };
  });
}

function dropDatabaseCommand(node: DataNode, request: WireRequest): Promise<Document> {
  return node.write(request, (store, apply) => {
    if (!store.databaseNames().includes(request.db)) return { dropped: request.db, ok: 1 };
    // As mongod's oplog: each collection's drop, then the database's.
    for (const collection of store.collectionNames(request.db)) {
      apply({ op: 'drop', ns: { db: request.db, collection } });
    }
    apply({ op: 'dropDatabase', db: request.db });
    return { dropped: request.db, ok: 1 };
  });
}

function renameCollectionCommand(node: DataNode, request: WireRequest): Promise<Document> {
  requireAdmin(request);
  const from = parseNamespace(request.command['renameCollection'], 'renameCollection');
  const to = parseNamespace(request.command['to'], 'to');
  checkCollectionName(to);
  const dropTarget = request.command['dropTarget'] === true;
  return node.write(request, (store, apply) => {
    if (!store.hasCollection(from))
      throw new CommandError(
        ServerErrorCode.NamespaceNotFound,
        `Source collection ${namespaceString(from)} does not exist`,
      );
    if (namespaceString(from) === namespaceString(to))
      throw new CommandError(ServerErrorCode.IllegalOperation, "Can't rename a collection to itself");
    if (store.hasCollection(to)) {
      if (!dropTarget) throw new CommandError(ServerErrorCode.NamespaceExists, 'target namespace exists');
      apply({ op: 'drop', ns: to });
    }
    apply({ op: 'rename', ns: from, to });
    return { ok: 1 };
  });
}

/** collMod's `index` change: `{ name | keyPattern, hidden?, expireAfterSeconds? }`. */
function modifiedIndexes(
  indexes: readonly IndexDocument[],
  change: Document,
): { indexes: IndexDocument[]; reply: Document } {
  const { name, keyPattern, ...updates } = change;
  const matches = (index: IndexDocument): boolean =>
    name !== undefined ? index['name'] === name : JSON.stringify(index['key']) === JSON.stringify(keyPattern);
  const target = indexes.find(matches);
  if (!target)
    throw new CommandError(
      ServerErrorCode.IndexNotFound,
      `cannot find index ${JSON.stringify(name ?? keyPattern)} for ns ${String(name ?? '')}`,
    );
  const reply: Document = {};
  const modified: Document = { ...target };
  for (const [field, value] of Object.entries(updates)) {
    if (field !== 'hidden' && field !== 'expireAfterSeconds') throw notSimulated('collMod.index', field);
    reply[`${field}_old`] = target[field];
    reply[`${field}_new`] = value;
    if (value === false) delete modified[field];
    else modified[field] = value;
  }
  return { indexes: indexes.map((index) => (index === target ? modified : index)), reply };
}

/** collMod's `changeStreamPreAndPostImages: { enabled }`: true or false, undefined when absent. */
function prePostImagesOption(command: Document): boolean | undefined {
  const value: unknown = command['changeStreamPreAndPostImages'];
  if (value === undefined) return undefined;
  if (!isPlainDocument(value) || typeof value['enabled'] !== 'boolean') {
    throw new CommandError(
      ServerErrorCode.TypeMismatch,
      "collMod's changeStreamPreAndPostImages must be { enabled: <boolean> }",
    );
  }
  return value['enabled'];
}

function collModCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  for (const field of Object.keys(request.command)) {
    if (field === 'collMod' || field === 'index' || COMMAND_FIELDS.has(field) || VALIDATION_FIELDS.has(field))
      continue;
    if (field === 'changeStreamPreAndPostImages') continue;
    if (UNSUPPORTED_CREATE_OPTIONS.has(field)) throw notSimulated('collMod', field);
    throw unknownField('collMod', field);
  }
  const images = prePostImagesOption(request.command);
  const validation = validationOptions(request.command, node.engine);
  const indexChange = optionalDocument(request.command, 'index');
  return node.write(request, (store, apply) => {
    if (!store.hasCollection(ns))
      throw new CommandError(ServerErrorCode.NamespaceNotFound, `ns does not exist: ${namespaceString(ns)}`);
    const options = { ...store.collectionOptions(ns), ...validation };
    // Change streams read it from the collection's options: see change-events.ts.
    if (images === false) delete options['changeStreamPreAndPostImages'];
    else if (images === true) options['changeStreamPreAndPostImages'] = { enabled: true };
    if (!indexChange) {
      apply({ op: 'collMod', ns, options });
      return { ok: 1 };
    }
    const { indexes, reply } = modifiedIndexes(store.indexes(ns), indexChange);
    apply({ op: 'collMod', ns, options, indexes });
    return { ...reply, ok: 1 };
  });
}

function listCollectionsCommand(node: DataNode, request: WireRequest): Document {
  const store = node.readableStore(request);
  const nameOnly = request.command['nameOnly'] === true;
  const all = store.collectionNames(request.db).map((name) => {
    const ns = { db: request.db, collection: name };
    const type = viewDefinition(store, ns) ? 'view' : 'collection';
    if (nameOnly) return { name, type };
    const idIndex = store.indexes(ns).find((index) => index['name'] === '_id_');
    return {
      name,
      type,
      options: { ...store.collectionOptions(ns) },
      info: { readOnly: type === 'view' },
      ...(idIndex ? { idIndex: { ...idIndex } } : {}),
    };
  });
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

export const collectionCommands: Readonly<Record<string, CrudHandler>> = {
  create: createCommand,
  drop: dropCommand,
  dropDatabase: dropDatabaseCommand,
  renameCollection: renameCollectionCommand,
  collMod: collModCommand,
  listCollections: listCollectionsCommand,
  listDatabases: listDatabasesCommand,
};

/** The collection commands that change data. */
export const COLLECTION_WRITE_COMMANDS: readonly string[] = [
  'create',
  'drop',
  'dropDatabase',
  'renameCollection',
  'collMod',
];
