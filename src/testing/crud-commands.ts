/**
 * The CRUD commands a driver's happy path and failover path use, over a DataNode (a replica-set
 * member, a mongos, a standalone): insert, update, delete, findAndModify, find, getMore,
 * killCursors, count, distinct; the index, collection, aggregation and bulkWrite commands come
 * from their own modules and share this dispatch. Reads and writes go through the node, which
 * decides whether it may serve them (a secondary refuses writes) and how writes replicate; every
 * write passes the collection's unique indexes and validator on the way to the store.
 */
import { Long, type Document } from 'bson';
import { aggregationCommands } from './aggregation.js';
import { bulkWriteCommands } from './bulk-write-command.js';
import { collectionCommands, COLLECTION_WRITE_COMMANDS } from './collection-commands.js';
import { arrayArg, collectionOf, documentArg, numberArg, optionalDocument } from './command-args.js';
import {
  ordered,
  prepareInsert,
  queryContext,
  writeErrorOf,
  writeReply,
  type CrudHandler,
  type DataNode,
  type WriteError,
  type WriteExecutor,
} from './data-node.js';
import { cappedApply } from './capped-collections.js';
import { validatedApply } from './document-validation.js';
import { recordSession } from './local-sessions.js';
import { readDocuments, refuseView, viewDefinition, viewGuardedApply } from './views.js';
import { namespaceString } from './document-store.js';
import { indexCommands, INDEX_WRITE_COMMANDS } from './index-commands.js';
import { checkHint, indexedApply } from './indexes.js';
import { validateUpdate, valueKey, valuesAtPath, type QueryEngine } from './query-engine.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import type { WireRequest } from './wire-server.js';
import {
  arrayFiltersOf,
  runDeleteStatement,
  runUpdateStatement,
  updateField,
  upsertDocument,
} from './write-statements.js';

export type { ApplyOp, DataNode } from './data-node.js';

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
  ...bulkWriteCommands,
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
  'bulkWrite',
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
  const guarded =
    (request: WireRequest, execute: WriteExecutor): WriteExecutor =>
    (store, apply) =>
      execute(
        store,
        cappedApply(
          store,
          viewGuardedApply(
            store,
            validatedApply(
              store,
              node.engine,
              indexedApply(store, node.engine, apply),
              request.command['bypassDocumentValidation'] === true,
            ),
          ),
        ),
      );
  const { writeViaPrimary } = node;
  return {
    engine: node.engine,
    cursors: node.cursors,
    readableStore: (request) => node.readableStore(request),
    write: (request, execute) => node.write(request, guarded(request, execute)),
    ...(writeViaPrimary
      ? { writeViaPrimary: (request, execute) => writeViaPrimary(request, guarded(request, execute)) }
      : {}),
  };
}

/** Runs a CRUD command, or returns undefined when `request` is not one. */
export function crudCommand(node: DataNode, request: WireRequest): Promise<Document> | undefined {
  if (!isCrudCommand(request.commandName)) return undefined;
  const handler = handlers[request.commandName];
  if (!handler) return undefined;
  recordSession(node.cursors, request.command, request.now());
  return Promise.resolve().then(() => handler(guardedNode(node), request));
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
    refuseView(store, ns);
    checkHint(store, ns, command['hint']);
    const context = queryContext(node, request, store);
    const [target] = node.engine.find(readDocuments(node.engine, store, ns), {
      ...context,
      filter: query,
      sort,
      limit: 1,
    });
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
      if (valueKey(updated) !== valueKey(target))
        apply({ op: 'replace', ns, document: updated, ...updateField(change) });
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
  const documents = node.engine.find(readDocuments(node.engine, store, ns), {
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
  if (Object.keys(query).length === 0 && skip === 0 && limit === 0 && !viewDefinition(store, ns))
    return { n: store.collectionSize(ns), ok: 1 };
  const found = node.engine.find(readDocuments(node.engine, store, ns), {
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
  const found = node.engine.find(readDocuments(node.engine, store, ns), {
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
