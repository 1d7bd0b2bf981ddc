/**
 * The data one simulated server holds: databases of collections of documents keyed by `_id`, in
 * insertion order (mongod's natural order, near enough). Every change is a StoreOp, so a primary's
 * writes can be replayed on secondaries exactly. Stored documents are never mutated in place: a
 * change replaces them, which lets copies of a store share documents safely.
 */
import type { Document } from 'bson';
import { valueKey } from './query-engine.js';

export interface Namespace {
  readonly db: string;
  readonly collection: string;
}

/**
 * One change to a store; the unit of replication. What the oplog adds for change streams:
 * `before`, the document as it was (stored documents are immutable, so this is a reference, not a
 * copy), and on a `replace` made by an update (not a replacement), the client's `update`.
 */
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
  | { readonly op: 'create'; readonly ns: Namespace }
  | { readonly op: 'drop'; readonly ns: Namespace }
  | { readonly op: 'dropDatabase'; readonly db: string };

export function namespaceString(ns: Namespace): string {
  return `${ns.db}.${ns.collection}`;
}

export class DocumentStore {
  #databases = new Map<string, Map<string, Map<string, Document>>>();

  /** The documents of a collection, in natural order (empty when it does not exist). */
  documents(ns: Namespace): Document[] {
    return [...(this.#databases.get(ns.db)?.get(ns.collection)?.values() ?? [])];
  }

  findById(ns: Namespace, id: unknown): Document | undefined {
    return this.#databases.get(ns.db)?.get(ns.collection)?.get(valueKey(id));
  }

  hasCollection(ns: Namespace): boolean {
    return this.#databases.get(ns.db)?.has(ns.collection) === true;
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
    for (const collection of this.#databases.get(db)?.values() ?? []) total += collection.size;
    return total;
  }

  apply(op: StoreOp): void {
    switch (op.op) {
      case 'insert':
      case 'replace':
        this.#collection(op.ns).set(valueKey(op.document['_id']), op.document);
        return;
      case 'delete':
        this.#databases.get(op.ns.db)?.get(op.ns.collection)?.delete(valueKey(op.id));
        return;
      case 'create':
        this.#collection(op.ns);
        return;
      case 'drop': {
        const db = this.#databases.get(op.ns.db);
        db?.delete(op.ns.collection);
        if (db?.size === 0) this.#databases.delete(op.ns.db);
        return;
      }
      case 'dropDatabase':
        this.#databases.delete(op.db);
        return;
    }
  }

  /** A copy that shares the (immutable) documents. */
  copy(): DocumentStore {
    const copy = new DocumentStore();
    for (const [name, collections] of this.#databases) {
      copy.#databases.set(
        name,
        new Map([...collections].map(([collection, docs]) => [collection, new Map(docs)])),
      );
    }
    return copy;
  }

  #collection(ns: Namespace): Map<string, Document> {
    let db = this.#databases.get(ns.db);
    if (!db) {
      db = new Map();
      this.#databases.set(ns.db, db);
    }
    let collection = db.get(ns.collection);
    if (!collection) {
      collection = new Map();
      db.set(ns.collection, collection);
    }
    return collection;
  }
}
