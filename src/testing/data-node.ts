/**
 * What the simulator's command modules share: the DataNode they run on (a replica-set member, a
 * mongos, a standalone), the query context of a command (`let`, collation, other collections), and
 * the shapes of write results and errors.
 */
import { ObjectId, type Document } from 'bson';
import { checkCollation } from './collation.js';
import { optionalDocument } from './command-args.js';
import type { CursorRegistry } from './cursor-registry.js';
import type { ApplyOp, DocumentStore } from './document-store.js';
import { cloneDocument, idFirst, type QueryContext, type QueryEngine } from './query-engine.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import { readDocuments } from './views.js';
import type { WireRequest } from './wire-server.js';

export type { ApplyOp } from './document-store.js';

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
  write(request: WireRequest, execute: WriteExecutor): Promise<Document>;
  /**
   * Runs a write on the deployment's primary even when this server is a secondary, as a secondary
   * does for an aggregation's $out or $merge (MongoDB 5.0+). Absent: `write` is the only path.
   */
  writeViaPrimary?(request: WireRequest, execute: WriteExecutor): Promise<Document>;
}

/** The body of a write: runs synchronously on the store it is given, changing it through `apply`. */
export type WriteExecutor = (store: DocumentStore, apply: ApplyOp) => Document;

export type CrudHandler = (node: DataNode, request: WireRequest) => Promise<Document> | Document;

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
    resolveCollection: (name) => readDocuments(node.engine, store, { db: request.db, collection: name }),
  };
}

export function ordered(command: Document): boolean {
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

export function writeReply(fields: Document, writeErrors: WriteError[]): Document {
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
