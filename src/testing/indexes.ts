/**
 * Indexes as mongod keeps them, for the simulator: createIndexes' validation, default names and
 * conflict rules, unique (and sparse, partial) enforcement on every write with mongod's E11000
 * errors, dropIndexes, and hints that must name an existing index. Index descriptions live in the
 * DocumentStore and change only through StoreOps, so they replicate through the oplog like data and
 * survive failover. Key patterns other than ascending/descending (text, 2dsphere, hashed, ...) are
 * recorded as metadata; only uniqueness is enforced, as no query uses an index for speed.
 */
import { Binary, EJSON, ObjectId, Timestamp, type Document } from 'bson';
import type { ApplyOp } from './data-node.js';
import {
  ID_INDEX,
  namespaceString,
  type DocumentStore,
  type IndexDocument,
  type Namespace,
} from './document-store.js';
import { valueKey, valuesAtPath, type QueryEngine } from './query-engine.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';

/** Key pattern values other than a direction. */
const INDEX_PLUGINS = new Set(['text', '2dsphere', '2d', 'hashed', 'columnstore']);

/** The options an index specification may carry besides key, name and v. */
const INDEX_OPTIONS: Readonly<Record<string, (value: unknown) => boolean>> = {
  unique: (value) => typeof value === 'boolean',
  sparse: (value) => typeof value === 'boolean',
  hidden: (value) => typeof value === 'boolean',
  background: (value) => typeof value === 'boolean',
  partialFilterExpression: isPlainDocument,
  expireAfterSeconds: (value) => typeof value === 'number' && Number.isFinite(value) && value >= 0,
  collation: isPlainDocument,
  wildcardProjection: isPlainDocument,
  weights: isPlainDocument,
  default_language: (value) => typeof value === 'string',
  language_override: (value) => typeof value === 'string',
  textIndexVersion: (value) => typeof value === 'number',
  '2dsphereIndexVersion': (value) => typeof value === 'number',
  bits: (value) => typeof value === 'number',
  min: (value) => typeof value === 'number',
  max: (value) => typeof value === 'number',
  storageEngine: isPlainDocument,
  clustered: (value) => typeof value === 'boolean',
  prepareUnique: (value) => typeof value === 'boolean',
};

/** Options that say which index this is, besides its key (mongod allows one index per combination). */
const IDENTITY_OPTIONS = ['collation', 'partialFilterExpression', 'wildcardProjection'] as const;

/** The default name mongod and the drivers give an index: `a_1_b_-1`, `loc_2dsphere`. */
export function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([field, value]) => `${field}_${String(value)}`)
    .join('_');
}

/** How mongod prints a value in a dup key message: `"v"`, `1`, `ObjectId('...')`, `null`. */
function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value instanceof Timestamp) return `Timestamp(${value.high}, ${value.low})`;
  if (value instanceof Binary)
    return `BinData(${value.sub_type}, ${Buffer.from(value.buffer).toString('hex')})`;
  if (Array.isArray(value)) return `[ ${value.map(formatValue).join(', ')} ]`;
  if (isPlainDocument(value)) return formatDocument(value);
  return EJSON.stringify(value, { relaxed: true });
}

function formatDocument(document: Document): string {
  const fields = Object.entries(document).map(([field, value]) => `${field}: ${formatValue(value)}`);
  return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
}

/** mongod's E11000 error for `keyValue` in `index`. */
export function duplicateKeyError(ns: Namespace, index: IndexDocument, keyValue: Document): CommandError {
  return new CommandError(
    ServerErrorCode.DuplicateKey,
    `E11000 duplicate key error collection: ${namespaceString(ns)} index: ${String(index['name'])} dup key: ${formatDocument(keyValue)}`,
    { keyPattern: index['key'] as Document, keyValue },
  );
}

// ---- keys ------------------------------------------------------------------------------------

interface IndexKey {
  /** Identifies the key exactly (types included). */
  readonly id: string;
  /** `{ field: value }` for the error message and `keyValue`. */
  readonly value: Document;
}

function cartesian(lists: readonly unknown[][]): unknown[][] {
  return lists.reduce<unknown[][]>(
    (tuples, values) => tuples.flatMap((tuple) => values.map((value) => [...tuple, value])),
    [[]],
  );
}

/**
 * The keys `document` has in `index` (several for an array field), or none when a sparse or
 * partial index leaves it out.
 */
function computeIndexKeys(document: Document, index: IndexDocument, engine: QueryEngine): IndexKey[] {
  const partial = index['partialFilterExpression'];
  if (isPlainDocument(partial) && !engine.matches(document, partial)) return [];
  const fields = Object.keys(index['key'] as Document);
  const values = fields.map((field) => valuesAtPath(document, field));
  if (index['sparse'] === true && values.every((list) => list.length === 0)) return [];
  const lists = values.map((list) => (list.length === 0 ? [null] : list));
  const keys = new Map<string, IndexKey>();
  for (const tuple of cartesian(lists)) {
    const value: Document = {};
    fields.forEach((field, position) => (value[field] = tuple[position] ?? null));
    const id = valueKey(tuple);
    if (!keys.has(id)) keys.set(id, { id, value });
  }
  return [...keys.values()];
}

/**
 * Keys already computed, per stored document and index definition. Stored documents are never
 * mutated (a change replaces them), so a document's keys stay valid as long as it exists.
 */
const keyCache = new WeakMap<Document, Map<string, IndexKey[]>>();

/** What decides an index's keys: its key pattern, partial filter and sparseness. */
function keySignature(index: IndexDocument): string {
  return valueKey([index['key'], index['partialFilterExpression'] ?? null, index['sparse'] === true]);
}

function indexKeys(
  document: Document,
  index: IndexDocument,
  engine: QueryEngine,
  signature: string,
): IndexKey[] {
  let cached = keyCache.get(document);
  if (!cached) {
    cached = new Map();
    keyCache.set(document, cached);
  }
  let keys = cached.get(signature);
  if (!keys) {
    keys = computeIndexKeys(document, index, engine);
    cached.set(signature, keys);
  }
  return keys;
}

function isUnique(index: IndexDocument): boolean {
  return index['unique'] === true && index['name'] !== ID_INDEX['name'];
}

/** A unique index's keys in one collection: key id → the document holding it. */
interface KeyTable {
  /** The collection version the table matches. */
  version: number;
  readonly owners: Map<string, Document>;
}

/**
 * Key tables per store, collection and index. A table is rebuilt whenever its collection changed
 * by any other path than `indexedApply` (replication, a transaction's commit, a rollback), which
 * the collection's version shows; `indexedApply` keeps it current for the writes it checks.
 */
const keyTables = new WeakMap<DocumentStore, Map<string, KeyTable>>();

function keyTable(store: DocumentStore, engine: QueryEngine, ns: Namespace, index: IndexDocument): KeyTable {
  let tables = keyTables.get(store);
  if (!tables) {
    tables = new Map();
    keyTables.set(store, tables);
  }
  const signature = keySignature(index);
  const name = `${namespaceString(ns)}\u0000${signature}`;
  const version = store.collectionVersion(ns);
  const table = tables.get(name);
  if (table && table.version === version) return table;
  const owners = new Map<string, Document>();
  for (const document of store.documents(ns))
    for (const key of indexKeys(document, index, engine, signature)) owners.set(key.id, document);
  const rebuilt = { version, owners };
  tables.set(name, rebuilt);
  return rebuilt;
}

/** A unique index a write was checked against, with the written document's keys in it. */
interface CheckedIndex {
  readonly index: IndexDocument;
  readonly table: KeyTable;
  readonly keys: IndexKey[];
}

/**
 * Throws the E11000 error when `document`, written to `ns`, would duplicate a key of a unique
 * index held by another document. The `_id_` index is checked by `_id` lookup for inserts.
 * Returns the checked indexes' tables, for `indexedApply` to update once the write is applied.
 */
export function checkUniqueIndexes(
  store: DocumentStore,
  engine: QueryEngine,
  ns: Namespace,
  document: Document,
  inserting: boolean,
): CheckedIndex[] {
  const id: unknown = document['_id'];
  if (inserting && store.findById(ns, id) !== undefined) throw duplicateKeyError(ns, ID_INDEX, { _id: id });
  // The document this one replaces (if any) is not a clash.
  const previous = inserting ? undefined : store.findById(ns, id);
  const checked: CheckedIndex[] = [];
  for (const index of store.indexes(ns).filter(isUnique)) {
    const table = keyTable(store, engine, ns, index);
    const keys = computeIndexKeys(document, index, engine);
    for (const key of keys) {
      const owner = table.owners.get(key.id);
      if (owner !== undefined && owner !== previous) throw duplicateKeyError(ns, index, key.value);
    }
    checked.push({ index, table, keys });
  }
  return checked;
}

/**
 * The keys `document` holds in the unique secondary indexes `store` has on `ns`, each as one
 * string naming the index and the key (two documents sharing one break the index).
 */
export function uniqueIndexKeys(
  store: DocumentStore,
  engine: QueryEngine,
  ns: Namespace,
  document: Document,
): string[] {
  return store
    .indexes(ns)
    .filter(isUnique)
    .flatMap((index) =>
      indexKeys(document, index, engine, keySignature(index)).map(
        (key) => `${String(index['name'])} ${key.id}`,
      ),
    );
}

/** An ApplyOp that checks unique indexes before each insert or replace reaches the store. */
export function indexedApply(store: DocumentStore, engine: QueryEngine, apply: ApplyOp): ApplyOp {
  return (op) => {
    if (op.op !== 'insert' && op.op !== 'replace') {
      apply(op);
      return;
    }
    const previous = op.op === 'replace' ? store.findById(op.ns, op.document['_id']) : undefined;
    const checked = checkUniqueIndexes(store, engine, op.ns, op.document, op.op === 'insert');
    const before = store.collectionVersion(op.ns);
    apply(op);
    const after = store.collectionVersion(op.ns);
    for (const { index, table, keys } of checked) {
      // Only this write changed the collection since the check: bring the table along.
      if (table.version !== before) continue;
      if (previous)
        for (const key of indexKeys(previous, index, engine, keySignature(index)))
          if (table.owners.get(key.id) === previous) table.owners.delete(key.id);
      for (const key of keys) table.owners.set(key.id, op.document);
      table.version = after;
    }
  };
}

// ---- createIndexes ---------------------------------------------------------------------------

function specError(code: number, message: string, spec: unknown): CommandError {
  return new CommandError(code, `Error in specification ${formatValue(spec)} :: caused by :: ${message}`);
}

function checkKeyPattern(key: unknown, spec: Document): Document {
  if (!isPlainDocument(key) || Object.keys(key).length === 0)
    throw specError(ServerErrorCode.CannotCreateIndex, 'Index keys cannot be an empty object.', spec);
  for (const [field, value] of Object.entries(key)) {
    if (field === '') throw specError(ServerErrorCode.CannotCreateIndex, 'Index keys cannot be empty.', spec);
    if (typeof value === 'number') {
      if (value === 0 || !Number.isFinite(value))
        throw specError(
          ServerErrorCode.CannotCreateIndex,
          'Values in the index key pattern can only be non-zero numbers',
          spec,
        );
    } else if (typeof value === 'string') {
      if (!INDEX_PLUGINS.has(value))
        throw specError(ServerErrorCode.CannotCreateIndex, `Unknown index plugin '${value}'`, spec);
    } else {
      throw specError(
        ServerErrorCode.CannotCreateIndex,
        `Values in v:2 index key pattern cannot be of type ${typeof value}. Only numbers > 0, numbers < 0, and strings are allowed.`,
        spec,
      );
    }
  }
  return key;
}

/** One validated index description (`{ v: 2, key, name, ...options }`) from a createIndexes spec. */
export function parseIndexSpec(spec: unknown): IndexDocument {
  if (!isPlainDocument(spec))
    throw new CommandError(ServerErrorCode.TypeMismatch, 'each index specification must be an object');
  const key = checkKeyPattern(spec['key'], spec);
  const name: unknown = spec['name'] ?? defaultIndexName(key);
  if (typeof name !== 'string' || name === '')
    throw specError(ServerErrorCode.CannotCreateIndex, 'The index name must be a non-empty string', spec);
  if (name === '*') throw specError(ServerErrorCode.BadValue, "The index name '*' is not valid.", spec);
  const index: Document = { v: 2, key, name };
  for (const [field, value] of Object.entries(spec)) {
    if (field === 'key' || field === 'name' || field === 'v' || field === 'ns') continue;
    const valid = INDEX_OPTIONS[field];
    if (!valid)
      throw new CommandError(
        ServerErrorCode.InvalidIndexSpecificationOption,
        `The field '${field}' is not valid for an index specification. Specification: ${formatValue(spec)}`,
      );
    if (!valid(value))
      throw specError(ServerErrorCode.TypeMismatch, `The field '${field}' has a wrong type`, spec);
    // mongod keeps neither `background` nor boolean options at their false default.
    if (field !== 'background' && value !== false) index[field] = value;
  }
  const isId = Object.keys(key).length === 1 && key['_id'] !== undefined;
  if (isId && (index['unique'] !== undefined || index['sparse'] !== undefined))
    throw new CommandError(
      ServerErrorCode.InvalidIndexSpecificationOption,
      `The field '${index['unique'] !== undefined ? 'unique' : 'sparse'}' is not valid for an _id index specification. Specification: ${formatValue(spec)}`,
    );
  if (index['sparse'] === true && index['partialFilterExpression'] !== undefined)
    throw specError(
      ServerErrorCode.CannotCreateIndex,
      'cannot mix "partialFilterExpression" and "sparse" options',
      spec,
    );
  if (index['expireAfterSeconds'] !== undefined && Object.keys(key).length > 1)
    throw specError(
      ServerErrorCode.CannotCreateIndex,
      'TTL indexes are single-field indexes, compound indexes do not support TTL.',
      spec,
    );
  if (
    index['unique'] === true &&
    Object.values(key).some((value) => typeof value === 'string' && value !== '2d')
  )
    throw specError(ServerErrorCode.CannotCreateIndex, 'Index type does not support the unique option', spec);
  return index;
}

function sameValue(a: unknown, b: unknown): boolean {
  return valueKey(a ?? null) === valueKey(b ?? null);
}

function sameIdentity(a: IndexDocument, b: IndexDocument): boolean {
  return sameValue(a['key'], b['key']) && IDENTITY_OPTIONS.every((option) => sameValue(a[option], b[option]));
}

/** The index's options in a fixed order, for comparing two descriptions of one index. */
function withoutName(index: IndexDocument): Document {
  const { name: _name, ...rest } = index;
  return Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The indexes to add for `requested` on a collection with `existing`, mongod's rules: an identical
 * index is not created again; the same name with another key is IndexKeySpecsConflict; the same
 * key under another name, or the same name and key with other options, is IndexOptionsConflict.
 */
export function indexesToCreate(
  existing: readonly IndexDocument[],
  requested: readonly IndexDocument[],
): IndexDocument[] {
  const all = [...(existing.length === 0 ? [ID_INDEX] : existing)];
  const created: IndexDocument[] = [];
  for (const index of requested) {
    const byName = all.find((other) => other['name'] === index['name']);
    if (byName) {
      if (!sameIdentity(byName, index))
        throw new CommandError(
          ServerErrorCode.IndexKeySpecsConflict,
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${formatValue(index)}, existing index: ${formatValue(byName)}`,
        );
      if (!sameValue(withoutName(byName), withoutName(index)) && byName['name'] !== ID_INDEX['name'])
        throw new CommandError(
          ServerErrorCode.IndexOptionsConflict,
          `An equivalent index already exists with the same name but different options. Requested index: ${formatValue(index)}, existing index: ${formatValue(byName)}`,
        );
      continue;
    }
    const byKey = all.find((other) => sameIdentity(other, index));
    if (byKey)
      throw new CommandError(
        ServerErrorCode.IndexOptionsConflict,
        `Index already exists with a different name: ${String(byKey['name'])}`,
      );
    all.push(index);
    created.push(index);
  }
  return created;
}

/**
 * Throws the index build's E11000 error when the documents of `ns` already break a new unique index.
 */
export function checkIndexBuild(
  store: DocumentStore,
  engine: QueryEngine,
  ns: Namespace,
  index: IndexDocument,
): void {
  if (!isUnique(index)) return;
  const seen = new Set<string>();
  const signature = keySignature(index);
  for (const document of store.documents(ns)) {
    const keys = indexKeys(document, index, engine, signature);
    const clash = keys.find((key) => seen.has(key.id));
    if (clash) {
      const error = duplicateKeyError(ns, index, clash.value);
      throw new CommandError(error.code, `Index build failed: ${error.message}`, error.extra);
    }
    for (const key of keys) seen.add(key.id);
  }
}

// ---- dropIndexes and hints -------------------------------------------------------------------

/** The names `dropIndexes` removes for its `index` argument ('*', a name, a key pattern, names). */
export function indexesToDrop(existing: readonly IndexDocument[], which: unknown): string[] {
  const idName = ID_INDEX['name'] as string;
  if (which === '*')
    return existing.map((index) => index['name'] as string).filter((name) => name !== idName);
  const byName = (name: unknown): string => {
    if (typeof name !== 'string')
      throw new CommandError(ServerErrorCode.TypeMismatch, "dropIndexes' index names must be strings");
    if (name === idName) throw new CommandError(ServerErrorCode.InvalidOptions, 'cannot drop _id index');
    if (!existing.some((index) => index['name'] === name))
      throw new CommandError(ServerErrorCode.IndexNotFound, `index not found with name [${name}]`);
    return name;
  };
  if (typeof which === 'string') return [byName(which)];
  if (Array.isArray(which)) return which.map(byName);
  if (isPlainDocument(which)) {
    const matching = existing.filter((index) => sameValue(index['key'], which));
    const [first] = matching;
    if (!first)
      throw new CommandError(
        ServerErrorCode.IndexNotFound,
        `can't find index with key: ${formatValue(which)}`,
      );
    if (first['name'] === idName)
      throw new CommandError(ServerErrorCode.InvalidOptions, 'cannot drop _id index');
    if (matching.length > 1)
      throw new CommandError(
        ServerErrorCode.AmbiguousIndexKeyPattern,
        `${matching.length} indexes found for key: ${formatValue(which)}, identify by name instead. Conflicting indexes: ${matching.map((index) => formatValue(index)).join(', ')}`,
      );
    return [first['name'] as string];
  }
  throw new CommandError(
    ServerErrorCode.TypeMismatch,
    "dropIndexes' 'index' must be '*', an index name, a key pattern or an array of names",
  );
}

/**
 * Checks a `hint` against the collection's indexes, as mongod does before planning: a name or a
 * key pattern must match an index; `{ $natural: ±1 }` is always valid; a collection that does not
 * exist accepts any hint.
 */
export function checkHint(store: DocumentStore, ns: Namespace, hint: unknown): void {
  if (hint === undefined || hint === null || !store.hasCollection(ns)) return;
  const indexes = store.indexes(ns);
  if (typeof hint === 'string') {
    if (indexes.some((index) => index['name'] === hint)) return;
  } else if (isPlainDocument(hint)) {
    if (Object.keys(hint).length === 0 || '$natural' in hint) return;
    if (indexes.some((index) => sameValue(index['key'], hint))) return;
  } else {
    throw new CommandError(ServerErrorCode.FailedToParse, 'hint must be a string or an object');
  }
  throw new CommandError(ServerErrorCode.BadValue, 'hint provided does not correspond to an existing index');
}
