/**
 * The CRUD commands a driver's happy path and failover path use, over a DataNode (a replica-set
 * member, a mongos, a standalone): insert, update, delete, findAndModify, find, getMore,
 * killCursors, count, distinct; the index, collection and aggregation commands come from their own
 * modules and share this dispatch. Reads and writes go through the node, which decides whether it
 * may serve them (a secondary refuses writes) and how writes replicate; every write passes the
 * collection's unique indexes and validator on the way to the store.
 */
import { Long, ObjectId, type Document } from 'bson';
import { aggregationCommands } from './aggregation.js';
import { collectionCommands, COLLECTION_WRITE_COMMANDS } from './collection-commands.js';
import { arrayArg, collectionOf, documentArg, numberArg, optionalDocument } from './command-args.js';
import type { CursorRegistry } from './cursor-registry.js';
import { checkCollation } from './collation.js';
import { validatedApply } from './document-validation.js';
import { namespaceString, type DocumentStore, type Namespace, type StoreOp } from './document-store.js';
import { indexCommands, INDEX_WRITE_COMMANDS } from './index-commands.js';
import { checkHint, indexedApply } from './indexes.js';
import {
  cloneDocument,
  idFirst,
  isOperatorDocument,
  isPlainDocument,
  validateUpdate,
  valueKey,
  valuesAtPath,
  type QueryContext,
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

export type CrudHandler = (node: DataNode, request: WireRequest) => Promise<Document> | Document;

const handlers: Readonly<Record<string, CrudHandler>> = {
  insert: insertCommand,
  update: updateCommand,
  delete: deleteCommand,
  findAndModify: findAndModifyCommand,
  findandmodify: findAndModifyCommand,
  find: findCommand,
  getMore: getMoreCommand,
  killCursors: killCursorsCommand,
  count: countCommand,
  distinct: distinctCommand,
  ...aggregationCommands,
  ...collectionCommands,
  ...indexCommands,
};

/** Names of the commands that change data (a secondary refuses them). */
export const WRITE_COMMANDS: ReadonlySet<string> = new Set([
  'insert',
  'update',
  'delete',
  'findAndModify',
  'findandmodify',
  ...COLLECTION_WRITE_COMMANDS,
  ...INDEX_WRITE_COMMANDS,
]);

/** True when `name` is one of the CRUD commands. */
export function isCrudCommand(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(handlers, name);
}

/**
 * The node as the command modules see it: every write's ops pass the collection's unique indexes
 * and document validator (unless the command bypasses validation) before they reach the store.
 */
function guardedNode(node: DataNode): DataNode {
  return {
    engine: node.engine,
    cursors: node.cursors,
    readableStore: (request) => node.readableStore(request),
    write: (request, execute) =>
      node.write(request, (store, apply) =>
        execute(
          store,
          validatedApply(
            store,
            node.engine,
            indexedApply(store, node.engine, apply),
            request.command['bypassDocumentValidation'] === true,
          ),
        ),
      ),
  };
}

/** Runs a CRUD command, or returns undefined when `request` is not one. */
export function crudCommand(node: DataNode, request: WireRequest): Promise<Document> | undefined {
  if (!isCrudCommand(request.commandName)) return undefined;
  const handler = handlers[request.commandName];
  if (!handler) return undefined;
  return Promise.resolve().then(() => handler(guardedNode(node), request));
}

/**
 * What a command's queries may refer to: its `let` variables (evaluated once), its collation and
 * the other collections of its database (read from `store`).
 */
export function queryContext(
  node: DataNode,
  request: WireRequest,
  store: DocumentStore,
  collation: unknown = request.command['collation'],
): QueryContext {
  const letValue = optionalDocument(request.command, 'let');
  return {
    variables: letValue ? node.engine.evaluate(letValue) : undefined,
    collation: checkCollation(collation),
    resolveCollection: (name) => store.documents({ db: request.db, collection: name }),
  };
}

// ---- write results ---------------------------------------------------------------------------

function ordered(command: Document): boolean {
  return command['ordered'] !== false;
}

export interface WriteError {
  index: number;
  code: number;
  errmsg: string;
  [key: string]: unknown;
}

/** A write error for statement `index`; a CommandError's extra fields (keyPattern, errInfo) come along. */
export function writeErrorOf(index: number, error: unknown): WriteError {
  if (error instanceof CommandError)
    return { index, code: error.code, codeName: error.codeName, errmsg: error.message, ...error.extra };
  throw error;
}

function writeReply(fields: Document, writeErrors: WriteError[]): Document {
  return { ...fields, ...(writeErrors.length > 0 ? { writeErrors } : {}), ok: 1 };
}

/** A document ready to store: a copy, `_id` first (generated when absent). */
export function prepareInsert(document: unknown): Document {
  if (!isPlainDocument(document))
    throw new CommandError(ServerErrorCode.TypeMismatch, 'a document to insert must be an object');
  const copy = cloneDocument(document);
  if (!('_id' in copy)) return { _id: new ObjectId(), ...copy };
  const id: unknown = copy['_id'];
  if (Array.isArray(id)) throw new CommandError(ServerErrorCode.BadValue, "can't use an array for _id");
  if (isPlainDocument(id)) {
    const dollar = Object.keys(id).find((key) => key.startsWith('$'));
    if (dollar !== undefined)
      throw new CommandError(
        ServerErrorCode.DollarPrefixedFieldName,
        `_id fields may not contain '$'-prefixed fields: ${dollar} is not valid for storage.`,
      );
  }
  return idFirst(copy);
}

// ---- writes ----------------------------------------------------------------------------------

function insertCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  const documents = arrayArg(request.command, 'documents');
  return node.write(request, (_store, apply) => {
    let n = 0;
    const writeErrors: WriteError[] = [];
    for (const [index, raw] of documents.entries()) {
      try {
        apply({ op: 'insert', ns, document: prepareInsert(raw) });
        n++;
      } catch (error) {
        writeErrors.push(writeErrorOf(index, error));
        if (ordered(request.command)) break;
      }
    }
    return writeReply({ n }, writeErrors);
  });
}

/** The fields an upsert copies from its query: equalities (and `$eq`), also under `$and`. */
function upsertSeed(query: Document): Document {
  const seed: Document = {};
  for (const [field, value] of Object.entries(query)) {
    if (field === '$and' && Array.isArray(value)) {
      for (const clause of value) if (isPlainDocument(clause)) Object.assign(seed, upsertSeed(clause));
      continue;
    }
    if (field.startsWith('$')) continue;
    if (isPlainDocument(value) && Object.keys(value).some((key) => key.startsWith('$'))) {
      if (Object.keys(value).length === 1 && '$eq' in value) setPath(seed, field, value['$eq']);
      continue;
    }
    setPath(seed, field, value);
  }
  return seed;
}

/** Sets a dotted path in a plain document, creating the documents on the way. */
function setPath(document: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let target = document;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainDocument(target[part])) target[part] = {};
    target = target[part] as Document;
  }
  target[parts[parts.length - 1] ?? path] = value;
}

/** The document an upsert inserts. */
function upsertDocument(
  engine: QueryEngine,
  query: Document,
  update: Document | readonly Document[],
  context: QueryContext,
): Document {
  const seed = upsertSeed(query);
  if (!Array.isArray(update) && !isOperatorDocument(update as Document)) {
    const replacement = cloneDocument(update as Document);
    return idFirst({ _id: seed['_id'] ?? replacement['_id'] ?? new ObjectId(), ...replacement });
  }
  const base = idFirst(cloneDocument(seed));
  const updated = engine.update(base, update, { ...context, inserting: true });
  return idFirst({ _id: updated['_id'] ?? new ObjectId(), ...updated });
}

function arrayFiltersOf(statement: Document): Document[] | undefined {
  const value: unknown = statement['arrayFilters'];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((filter) => isPlainDocument(filter)))
    throw new CommandError(ServerErrorCode.TypeMismatch, "'arrayFilters' must be an array of documents");
  return value as Document[];
}

/** One update statement's effect: counts, and the upserted `_id` if it inserted. */
interface UpdateOutcome {
  matched: number;
  modified: number;
  upserted?: unknown;
}

/** Applies one update statement (`q`, `u`, `multi`, `upsert`, ...), shared by update and bulkWrite. */
export function runUpdateStatement(
  node: DataNode,
  request: WireRequest,
  store: DocumentStore,
  apply: ApplyOp,
  ns: Namespace,
  statement: Document,
): UpdateOutcome {
  const query = documentArg(statement, 'q', documentArg(statement, 'filter', {}));
  const update = validateUpdate(statement['u'] ?? statement['updateMods']);
  const multi = statement['multi'] === true;
  if (multi && !Array.isArray(update) && !isOperatorDocument(update as Document)) {
    throw new CommandError(
      ServerErrorCode.FailedToParse,
      'multi update is not supported for replacement-style update',
    );
  }
  const sort = optionalDocument(statement, 'sort');
  if (sort && multi)
    throw new CommandError(ServerErrorCode.FailedToParse, 'Cannot specify sort with multi=true');
  checkHint(store, ns, statement['hint']);
  const context = queryContext(node, request, store, statement['collation']);
  const constants = optionalDocument(statement, 'c');
  const updateContext: QueryContext = constants
    ? { ...context, variables: { ...context.variables, ...node.engine.evaluate(constants) } }
    : context;
  const targets = node.engine.find(store.documents(ns), {
    ...context,
    filter: query,
    sort,
    limit: multi ? 0 : 1,
  });
  const arrayFilters = arrayFiltersOf(statement);
  let modified = 0;
  for (const target of targets) {
    const updated = node.engine.update(target, update, { ...updateContext, arrayFilters, inserting: false });
    if (valueKey(updated) !== valueKey(target)) {
      apply({ op: 'replace', ns, document: updated });
      modified++;
    }
  }
  if (targets.length === 0 && statement['upsert'] === true) {
    const document = upsertDocument(node.engine, query, update, updateContext);
    apply({ op: 'insert', ns, document });
    return { matched: 0, modified: 0, upserted: document['_id'] as unknown };
  }
  return { matched: targets.length, modified };
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
        const outcome = runUpdateStatement(node, request, store, apply, ns, raw);
        matched += outcome.matched;
        modified += outcome.modified;
        if ('upserted' in outcome) upserted.push({ index, _id: outcome.upserted });
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

/** Applies one delete statement (`q`, `limit`, ...); returns how many documents it deleted. */
export function runDeleteStatement(
  node: DataNode,
  request: WireRequest,
  store: DocumentStore,
  apply: ApplyOp,
  ns: Namespace,
  statement: Document,
  multi?: boolean,
): number {
  const query = documentArg(statement, 'q', documentArg(statement, 'filter', {}));
  const limit = multi === undefined ? (numberArg(statement, 'limit') ?? 0) : multi ? 0 : 1;
  if (limit !== 0 && limit !== 1)
    throw new CommandError(ServerErrorCode.BadValue, 'the limit field in delete objects must be 0 or 1');
  checkHint(store, ns, statement['hint']);
  const context = queryContext(node, request, store, statement['collation']);
  let n = 0;
  for (const target of node.engine.find(store.documents(ns), { ...context, filter: query, limit })) {
    apply({ op: 'delete', ns, id: target['_id'] });
    n++;
  }
  return n;
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
        n += runDeleteStatement(node, request, store, apply, ns, raw);
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
      'Either an update or remove=true must be specified',
    );
  }
  if (remove && command['upsert'] === true)
    throw new CommandError(ServerErrorCode.FailedToParse, 'Cannot specify both upsert=true and remove=true');
  if (remove && returnNew)
    throw new CommandError(
      ServerErrorCode.FailedToParse,
      "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
    );
  const arrayFilters = arrayFiltersOf(command);
  return node.write(request, (store, apply) => {
    checkHint(store, ns, command['hint']);
    const context = queryContext(node, request, store);
    const [target] = node.engine.find(store.documents(ns), { ...context, filter: query, sort, limit: 1 });
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
      const updated = node.engine.update(target, change, { ...context, arrayFilters, inserting: false });
      if (valueKey(updated) !== valueKey(target)) apply({ op: 'replace', ns, document: updated });
      return {
        lastErrorObject: { n: 1, updatedExisting: true },
        value: project(node.engine, returnNew ? updated : target, fields),
        ok: 1,
      };
    }
    if (command['upsert'] === true) {
      const document = upsertDocument(node.engine, query, change, context);
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

// ---- reads -----------------------------------------------------------------------------------

function findCommand(node: DataNode, request: WireRequest): Document {
  const ns = collectionOf(request);
  const command = request.command;
  const store = node.readableStore(request);
  const limit = numberArg(command, 'limit') ?? 0;
  const skip = numberArg(command, 'skip') ?? 0;
  if (skip < 0) throw new CommandError(ServerErrorCode.BadValue, 'skip value must be non-negative');
  checkHint(store, ns, command['hint']);
  const documents = node.engine.find(store.documents(ns), {
    ...queryContext(node, request, store),
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

function countCommand(node: DataNode, request: WireRequest): Document {
  const ns = collectionOf(request);
  const store = node.readableStore(request);
  const limit = Math.abs(numberArg(request.command, 'limit') ?? 0);
  const skip = numberArg(request.command, 'skip') ?? 0;
  if (skip < 0) throw new CommandError(ServerErrorCode.BadValue, 'skip value is negative in count query');
  checkHint(store, ns, request.command['hint']);
  const query = documentArg(request.command, 'query', {});
  if (Object.keys(query).length === 0 && skip === 0 && limit === 0)
    return { n: store.collectionSize(ns), ok: 1 };
  const found = node.engine.find(store.documents(ns), {
    ...queryContext(node, request, store),
    filter: query,
    skip,
    limit,
  });
  return { n: found.length, ok: 1 };
}

function distinctCommand(node: DataNode, request: WireRequest): Document {
  const ns = collectionOf(request);
  const key: unknown = request.command['key'];
  if (typeof key !== 'string')
    throw new CommandError(ServerErrorCode.TypeMismatch, "distinct needs a string 'key'");
  const store = node.readableStore(request);
  checkHint(store, ns, request.command['hint']);
  const found = node.engine.find(store.documents(ns), {
    ...queryContext(node, request, store),
    filter: documentArg(request.command, 'query', {}),
  });
  const seen = new Map<string, unknown>();
  for (const document of found) {
    for (const value of valuesAtPath(document, key)) {
      const id = valueKey(value);
      if (!seen.has(id)) seen.set(id, value);
    }
  }
  return { values: [...seen.values()], ok: 1 };
}
