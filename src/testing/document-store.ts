/**
 * The data one simulated server holds: databases of collections of documents keyed by `_id`, in
 * insertion order (mongod's natural order, near enough), with each collection's options and index
 * descriptions. Every change is a StoreOp, so a primary's writes (index builds and renames
 * included) can be replayed on secondaries exactly. Stored documents are never mutated in place: a
 * change replaces them, which lets copies of a store share documents safely.
 */
import type { Document } from 'bson';
import { valueKey } from './query-engine.js';

export interface Namespace {
  readonly db: string;
  readonly collection: string;
}

/** An index as listIndexes shows it: `{ v: 2, key, name, ...options }`. */
export type IndexDocument = Readonly<Document>;

/** The index every collection has. */
export const ID_INDEX: IndexDocument = Object.freeze({ v: 2, key: Object.freeze({ _id: 1 }), name: '_id_' });

/**
 * One change to a store; the unit of replication. What the oplog adds for change streams:
 * `before`, the document as it was (stored documents are immutable, so this is a reference, not a
 * copy), and on a `replace` made by an update (not a replacement), the client's `update`.
 */
/** Applies one op to the node's store and records it for replication. */
export type ApplyOp = (op: StoreOp) => void;

export type StoreOp =
  | { readonly op: 'insert'; readonly ns: Namespace; readonly document: Document }
  | {
      readonly op: 'replace';
      readonly ns: Namespace;
      readonly document: Document;
      readonly before?: Document;
      readonly update?: Document | readonly Document[];
    }
  | { readonly op: 'delete'; readonly ns: Namespace; readonly id: unknown; readonly before?: Document }
  /** `options`: the collection options listCollections reports (validator, capped, ...). */
  | { readonly op: 'create'; readonly ns: Namespace; readonly options?: Document }
  | { readonly op: 'drop'; readonly ns: Namespace }
  | { readonly op: 'dropDatabase'; readonly db: string }
  /** Adds indexes (already checked against the collection's); creates the collection if needed. */
  | { readonly op: 'createIndexes'; readonly ns: Namespace; readonly indexes: readonly IndexDocument[] }
  | { readonly op: 'dropIndexes'; readonly ns: Namespace; readonly names: readonly string[] }
  /** Moves a collection with its documents, indexes and options; `to` does not exist. */
  | { readonly op: 'rename'; readonly ns: Namespace; readonly to: Namespace }
  /** Replaces the collection's options and, when given, its index descriptions (same names). */
  | {
      readonly op: 'collMod';
      readonly ns: Namespace;
      readonly options: Document;
      readonly indexes?: readonly IndexDocument[];
    };

export function namespaceString(ns: Namespace): string {
  return `${ns.db}.${ns.collection}`;
}

interface Collection {
  readonly documents: Map<string, Document>;
  indexes: readonly IndexDocument[];
  options: Document;
  /** Rises at every change of the collection (for caches of what its documents hold). */
  version: number;
}

/** Collection versions come from one counter, so a dropped and recreated collection never repeats one. */
let versionClock = 0;

export class DocumentStore {
  #databases = new Map<string, Map<string, Collection>>();

  /** The documents of a collection, in natural order (empty when it does not exist). */
  documents(ns: Namespace): Document[] {
    return [...(this.#find(ns)?.documents.values() ?? [])];
  }

  findById(ns: Namespace, id: unknown): Document | undefined {
    return this.#find(ns)?.documents.get(valueKey(id));
  }

  hasCollection(ns: Namespace): boolean {
    return this.#find(ns) !== undefined;
  }

  /** The collection's indexes, `_id_` first (empty when the collection does not exist). */
  indexes(ns: Namespace): readonly IndexDocument[] {
    return this.#find(ns)?.indexes ?? [];
  }

  /** The collection's options (`{}` when none or when it does not exist). */
  collectionOptions(ns: Namespace): Document {
    return this.#find(ns)?.options ?? {};
  }

  /**
   * A number that changes whenever the collection's documents or indexes change, or -1 when it
   * does not exist: what derives from them may be cached under it.
   */
  collectionVersion(ns: Namespace): number {
    return this.#find(ns)?.version ?? -1;
  }

  /** Number of documents in one collection. */
  collectionSize(ns: Namespace): number {
    return this.#find(ns)?.documents.size ?? 0;
  }

  databaseNames(): string[] {
    return [...this.#databases.keys()];
  }

  collectionNames(db: string): string[] {
    return [...(this.#databases.get(db)?.keys() ?? [])];
  }

  /** Number of documents in a database (for listDatabases' sizes). */
  documentCount(db: string): number {
    let total = 0;
    for (const collection of this.#databases.get(db)?.values() ?? []) total += collection.documents.size;
    return total;
  }

  apply(op: StoreOp): void {
    if (op.op !== 'dropDatabase') {
      const collection = this.#find(op.ns);
      if (collection) collection.version = ++versionClock;
    }
    switch (op.op) {
      case 'insert':
      case 'replace':
        this.#collection(op.ns).documents.set(valueKey(op.document['_id']), op.document);
        return;
      case 'delete':
        this.#find(op.ns)?.documents.delete(valueKey(op.id));
        return;
      case 'create': {
        const collection = this.#collection(op.ns);
        if (op.options) collection.options = op.options;
        // A view has no indexes.
        if (typeof op.options?.['viewOn'] === 'string') collection.indexes = [];
        return;
      }
      case 'drop':
        this.#remove(op.ns);
        return;
      case 'dropDatabase':
        this.#databases.delete(op.db);
        return;
      case 'createIndexes': {
        const collection = this.#collection(op.ns);
        collection.indexes = [...collection.indexes, ...op.indexes];
        return;
      }
      case 'dropIndexes': {
        const collection = this.#find(op.ns);
        if (collection) {
          const names = new Set(op.names);
          collection.indexes = collection.indexes.filter((index) => !names.has(index['name'] as string));
        }
        return;
      }
      case 'rename': {
        const collection = this.#find(op.ns);
        if (!collection) return;
        this.#remove(op.ns);
        this.#database(op.to.db).set(op.to.collection, collection);
        return;
      }
      case 'collMod': {
        const collection = this.#find(op.ns);
        if (!collection) return;
        collection.options = op.options;
        if (op.indexes) collection.indexes = op.indexes;
        return;
      }
    }
  }

  /** A copy that shares the (immutable) documents and index descriptions. */
  copy(): DocumentStore {
    const copy = new DocumentStore();
    for (const [name, collections] of this.#databases) {
      copy.#databases.set(
        name,
        new Map(
          [...collections].map(([collection, { documents, indexes, options }]) => [
            collection,
            { documents: new Map(documents), indexes, options, version: ++versionClock },
          ]),
        ),
      );
    }
    return copy;
  }

  #find(ns: Namespace): Collection | undefined {
    return this.#databases.get(ns.db)?.get(ns.collection);
  }

  #remove(ns: Namespace): void {
    const db = this.#databases.get(ns.db);
    db?.delete(ns.collection);
    if (db?.size === 0) this.#databases.delete(ns.db);
  }

  #database(name: string): Map<string, Collection> {
    let db = this.#databases.get(name);
    if (!db) {
      db = new Map();
      this.#databases.set(name, db);
    }
    return db;
  }

  #collection(ns: Namespace): Collection {
    const db = this.#database(ns.db);
    let collection = db.get(ns.collection);
    if (!collection) {
      collection = { documents: new Map(), indexes: [ID_INDEX], options: {}, version: ++versionClock };
      db.set(ns.collection, collection);
    }
    return collection;
  }
}
