/**
 * Update and delete statements, as the update, delete and bulkWrite commands run them: the
 * documents they target (filter, sort, collation, `let`, hint), the change (operators, replacement
 * or pipeline, arrayFilters) and the document an upsert inserts.
 */
import { ObjectId, type Document } from 'bson';
import { documentArg, numberArg, optionalDocument } from './command-args.js';
import { queryContext, type ApplyOp, type DataNode } from './data-node.js';
import type { DocumentStore, Namespace } from './document-store.js';
import { checkHint } from './indexes.js';
import {
  cloneDocument,
  idFirst,
  isOperatorDocument,
  validateUpdate,
  valueKey,
  type QueryContext,
  type QueryEngine,
} from './query-engine.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import { refuseView } from './views.js';
import type { WireRequest } from './wire-server.js';

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
export function upsertDocument(
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

/** The `update` a replace op records: the client's update, unless it was a replacement document. */
export function updateField(update: Document | readonly Document[]): {
  update?: Document | readonly Document[];
} {
  return Array.isArray(update) || isOperatorDocument(update as Document) ? { update } : {};
}

export function arrayFiltersOf(statement: Document): Document[] | undefined {
  const value: unknown = statement['arrayFilters'];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((filter) => isPlainDocument(filter)))
    throw new CommandError(ServerErrorCode.TypeMismatch, "'arrayFilters' must be an array of documents");
  return value as Document[];
}

/** One update statement's effect: counts, and the upserted `_id` if it inserted. */
export interface UpdateOutcome {
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
  refuseView(store, ns);
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
      apply({ op: 'replace', ns, document: updated, ...updateField(update) });
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
  refuseView(store, ns);
  checkHint(store, ns, statement['hint']);
  const context = queryContext(node, request, store, statement['collation']);
  let n = 0;
  for (const target of node.engine.find(store.documents(ns), { ...context, filter: query, limit })) {
    apply({ op: 'delete', ns, id: target['_id'] });
    n++;
  }
  return n;
}
