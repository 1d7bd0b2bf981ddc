/**
 * Multi-document transactions, as a primary (or the shard behind the simulated mongos routers)
 * runs them.
 *
 * - A transaction starts with a command carrying `lsid`, `txnNumber`, `startTransaction: true` and
 *   `autocommit: false`; its later commands carry the same lsid/txnNumber and `autocommit: false`,
 *   and it ends with commitTransaction or abortTransaction (admin database).
 * - Snapshot isolation: a transaction reads a copy of the committed data taken at its first
 *   command, plus its own writes. Nobody else sees its writes until commit, when they are applied
 *   together (for a replica set, as one oplog entry: see oplog.ts).
 * - Write conflicts: a transaction that writes a document changed since its snapshot, or held by
 *   another open transaction, fails with WriteConflict (112) and is aborted. A plain write that
 *   touches a document an open transaction holds waits until that transaction ends (or its own
 *   maxTimeMS passes), as mongod's does.
 * - Any failed statement aborts its transaction (a write error too); later commands of it get
 *   NoSuchTransaction (251). Open transactions live in memory only: a step-down, restart,
 *   killSessions or endSessions aborts them. A committed transaction is remembered per session
 *   (and replicated in the oplog), so a retried commitTransaction succeeds again.
 */
import { Binary, type Document } from 'bson';
import type { CursorRegistry } from './cursor-registry.js';
import { crudCommand, type ApplyOp, type DataNode } from './crud-commands.js';
import { namespaceString, type DocumentStore, type Namespace, type StoreOp } from './document-store.js';
import { uniqueIndexKeys } from './indexes.js';
import { sessionKeyOf, txnNumberOf, type TxnTable } from './oplog.js';
import { valueKey, type QueryEngine } from './query-engine.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import { WaitAbortedError, type TimerRegistry } from './timer-registry.js';
import type { WireRequest } from './wire-server.js';

/** Commands a transaction may run (mongod 4.4+, including create and createIndexes). */
const ALLOWED_IN_TRANSACTION: ReadonlySet<string> = new Set([
  'find',
  'getMore',
  'killCursors',
  'insert',
  'update',
  'delete',
  'findAndModify',
  'findandmodify',
  'aggregate',
  'distinct',
  'create',
  'createIndexes',
  'bulkWrite',
  'commitTransaction',
  'abortTransaction',
]);

/** Aggregation stages a transaction may not run. */
const STAGES_NOT_IN_TRANSACTION: ReadonlySet<string> = new Set([
  '$out',
  '$merge',
  '$changeStream',
  '$currentOp',
  '$listSessions',
  '$listLocalSessions',
  '$collStats',
  '$indexStats',
]);

const READ_CONCERN_LEVELS: ReadonlySet<string> = new Set(['local', 'majority', 'snapshot']);

function invalidOptions(message: string): CommandError {
  return new CommandError(ServerErrorCode.InvalidOptions, message);
}

function noSuchTransaction(message: string): CommandError {
  return new CommandError(ServerErrorCode.NoSuchTransaction, message);
}

/** Thrown inside a transaction's write when it conflicts; becomes WriteConflict. */
class TransactionConflict extends Error {
  override name = 'TransactionConflict';
}

/** Thrown inside a plain write that touches what an open transaction holds: the write must wait. */
class HeldByTransaction extends Error {
  override name = 'HeldByTransaction';
  constructor(readonly transaction: OpenTransaction) {
    super('held by an open transaction');
  }
}

function writeConflict(): CommandError {
  return new CommandError(
    ServerErrorCode.WriteConflict,
    'Caused by :: Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.',
  );
}

const KEY_SEPARATOR = '\u0000';

/** The lock a document op takes: one per document. */
function documentKey(ns: Namespace, id: unknown): string {
  return `${namespaceString(ns)}${KEY_SEPARATOR}${valueKey(id)}`;
}

/**
 * What an op locks: its document, or for an op on a whole collection (create, drop, index ops) the
 * collection's namespace, or for dropDatabase the database.
 */
function lockOf(op: StoreOp): { key: string; scope: 'document' | 'collection' | 'database' } {
  switch (op.op) {
    case 'insert':
    case 'replace':
      return { key: documentKey(op.ns, op.document['_id']), scope: 'document' };
    case 'delete':
      return { key: documentKey(op.ns, op.id), scope: 'document' };
    case 'dropDatabase':
      return { key: `${op.db}.`, scope: 'database' };
    default:
      return { key: namespaceString(op.ns), scope: 'collection' };
  }
}

/** The session fields of a command that runs in, commits or aborts a transaction. */
interface TransactionFields {
  readonly sessionKey: string;
  readonly lsid: Document;
  readonly txnNumber: number;
  readonly startTransaction: boolean;
}

/** The transaction fields of `command`, or null when it carries no `autocommit` (not a transaction). */
function transactionFieldsOf(command: Document): TransactionFields | null {
  const autocommit: unknown = command['autocommit'];
  const startTransaction: unknown = command['startTransaction'];
  if (autocommit === undefined) {
    if (startTransaction !== undefined) throw invalidOptions('startTransaction requires autocommit: false');
    return null;
  }
  if (autocommit !== false) throw invalidOptions('Specifying autocommit=true is not allowed.');
  const sessionKey = sessionKeyOf(command);
  if (sessionKey === null)
    throw invalidOptions("'autocommit' field requires a session id (lsid) to also be specified");
  const txnNumber = txnNumberOf(command);
  if (txnNumber === null)
    throw invalidOptions("'autocommit' field requires a transaction number to also be specified");
  if (startTransaction !== undefined && startTransaction !== true)
    throw invalidOptions('Specifying startTransaction=false is not allowed.');
  return {
    sessionKey,
    lsid: command['lsid'] as Document,
    txnNumber,
    startTransaction: startTransaction === true,
  };
}

/** One transaction of a session, open or finished. */
export class OpenTransaction {
  state: 'open' | 'committed' | 'aborted' = 'open';
  /** Every op the transaction made, in order: what commit applies. */
  readonly ops: StoreOp[] = [];
  /** Resolves when the transaction commits or aborts. */
  readonly finished: Promise<void>;
  readonly #held = new Set<string>();
  #finish: () => void = () => undefined;

  constructor(
    readonly catalog: TransactionCatalog,
    readonly sessionKey: string,
    readonly lsid: Document,
    readonly txnNumber: number,
    /** The snapshot taken at the first command, plus the transaction's own writes. */
    readonly view: DocumentStore,
    /** The server (mongos) the transaction started on; other routers do not know it. */
    readonly owner: string | undefined,
  ) {
    this.finished = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  /** The keys this transaction holds (for the catalog's lock table). */
  get held(): ReadonlySet<string> {
    return this.#held;
  }

  /** Runs a write command's `execute` in the transaction; a conflict aborts it with WriteConflict. */
  write(execute: (store: DocumentStore, apply: ApplyOp) => Document): Document {
    try {
      const reply = execute(this.view, (op) => this.#apply(op));
      // mongod fails the whole batch at a write error inside a transaction, and aborts it.
      if (Array.isArray(reply['writeErrors']) && reply['writeErrors'].length > 0)
        this.catalog.finish(this, 'aborted');
      return reply;
    } catch (error) {
      if (error instanceof TransactionConflict) throw writeConflict();
      throw error;
    }
  }

  #apply(op: StoreOp): void {
    if (this.state !== 'open') throw noSuchTransaction(`Transaction ${this.txnNumber} has been aborted.`);
    const { key, scope } = lockOf(op);
    if (!this.#held.has(key)) {
      if (this.catalog.holderOf(key, scope, this) !== undefined || this.#changedSinceSnapshot(op)) {
        this.catalog.finish(this, 'aborted');
        throw new TransactionConflict('write conflict');
      }
      this.#held.add(key);
      this.catalog.hold(key, this);
    }
    this.view.apply(op);
    this.ops.push(op);
  }

  /** True when the committed data changed what `op` touches after this transaction's snapshot. */
  #changedSinceSnapshot(op: StoreOp): boolean {
    const committed = this.catalog.committed();
    switch (op.op) {
      case 'insert':
      case 'replace':
        return (
          committed.findById(op.ns, op.document['_id']) !== this.view.findById(op.ns, op.document['_id'])
        );
      case 'delete':
        return committed.findById(op.ns, op.id) !== this.view.findById(op.ns, op.id);
      case 'create':
        return committed.hasCollection(op.ns) !== this.view.hasCollection(op.ns);
      default:
        return false;
    }
  }

  /** Called by the catalog when the transaction ends. */
  end(state: 'committed' | 'aborted'): void {
    this.state = state;
    this.#held.clear();
    this.#finish();
  }
}

/** What commitTransaction has to do. */
export type CommitDecision =
  { readonly kind: 'commit'; readonly transaction: OpenTransaction } | { readonly kind: 'alreadyCommitted' };

/**
 * The sessions and open transactions of one server: a replica-set member (while primary) or the
 * shard behind a simulated sharded cluster's routers.
 */
export class TransactionCatalog {
  /** Per session, the latest transaction this server ran for it. */
  readonly #latest = new Map<string, OpenTransaction>();
  /** Lock key → the open transaction holding it. */
  readonly #locks = new Map<string, OpenTransaction>();

  /** @param committed the server's committed data (what plain reads see). */
  constructor(readonly committed: () => DocumentStore) {}

  /** True when no transaction holds anything: plain writes cannot conflict. */
  get idle(): boolean {
    return this.#locks.size === 0;
  }

  /** Transactions still open. */
  get openCount(): number {
    let count = 0;
    for (const transaction of this.#latest.values()) if (transaction.state === 'open') count++;
    return count;
  }

  /**
   * The open transaction `request` runs in, starting one for `startTransaction`; undefined for a
   * command outside transactions. `owner` is the router that received it (sharded clusters).
   * @throws CommandError as mongod answers: InvalidOptions, OperationNotSupportedInTransaction,
   * TransactionTooOld, NoSuchTransaction, ConflictingOperationInProgress, TransactionCommitted.
   */
  transactionFor(request: WireRequest, records: TxnTable, owner?: string): OpenTransaction | undefined {
    const fields = transactionFieldsOf(request.command);
    if (!fields) return undefined;
    const name = request.commandName;
    if (!ALLOWED_IN_TRANSACTION.has(name)) {
      throw new CommandError(
        ServerErrorCode.OperationNotSupportedInTransaction,
        `Cannot run '${name}' in a multi-document transaction.`,
      );
    }
    if (request.command['writeConcern'] !== undefined) {
      throw invalidOptions(`Cannot set write concern after starting a transaction (command '${name}').`);
    }
    if (name === 'aggregate') this.#checkPipeline(request.command['pipeline']);
    const latest = this.#latestNumber(fields.sessionKey, records);
    this.#checkNotTooOld(fields, latest);
    const previous = this.#latest.get(fields.sessionKey);
    if (fields.startTransaction) {
      if (fields.txnNumber === latest) {
        throw new CommandError(
          ServerErrorCode.ConflictingOperationInProgress,
          `Cannot start transaction ${fields.txnNumber} on session because a transaction with the same number has already started`,
        );
      }
      this.#checkReadConcern(request.command['readConcern']);
      if (previous?.state === 'open') this.finish(previous, 'aborted');
      const transaction = new OpenTransaction(
        this,
        fields.sessionKey,
        fields.lsid,
        fields.txnNumber,
        this.committed().copy(),
        owner,
      );
      this.#latest.set(fields.sessionKey, transaction);
      return transaction;
    }
    if (request.command['readConcern'] !== undefined) {
      throw invalidOptions('Only the first command in a transaction may specify a readConcern');
    }
    const transaction = this.#known(fields, previous, owner);
    if (transaction.state === 'committed') {
      throw new CommandError(
        ServerErrorCode.TransactionCommitted,
        `Transaction ${fields.txnNumber} has been committed.`,
      );
    }
    return transaction;
  }

  /**
   * Decides a commitTransaction: commit the open transaction, or succeed again for a committed
   * one. A committed transaction is known to every router (a router that did not run it recovers
   * the decision with the recovery token); an open one only to its own router.
   */
  commitDecision(request: WireRequest, records: TxnTable, owner?: string): CommitDecision {
    const fields = this.#commitOrAbortFields(request);
    const latest = this.#latestNumber(fields.sessionKey, records);
    this.#checkNotTooOld(fields, latest);
    const previous = this.#latest.get(fields.sessionKey);
    const record = records.get(fields.sessionKey);
    const committed =
      previous?.txnNumber === fields.txnNumber
        ? previous.state === 'committed'
        : record?.txnNumber === fields.txnNumber && record.committedTransaction === true;
    if (committed) return { kind: 'alreadyCommitted' };
    return { kind: 'commit', transaction: this.#known(fields, previous, owner) };
  }

  /** Runs abortTransaction. */
  abortCommand(request: WireRequest, records: TxnTable, owner?: string): Document {
    const fields = this.#commitOrAbortFields(request);
    const latest = this.#latestNumber(fields.sessionKey, records);
    this.#checkNotTooOld(fields, latest);
    const record = records.get(fields.sessionKey);
    const previous = this.#latest.get(fields.sessionKey);
    const committedElsewhere =
      previous?.txnNumber !== fields.txnNumber &&
      record?.txnNumber === fields.txnNumber &&
      record.committedTransaction === true;
    if (committedElsewhere || (previous?.txnNumber === fields.txnNumber && previous.state === 'committed')) {
      throw new CommandError(
        ServerErrorCode.TransactionCommitted,
        `Cannot abort transaction ${fields.txnNumber}: it has been committed.`,
      );
    }
    this.finish(this.#known(fields, previous, owner), 'aborted');
    return { ok: 1 };
  }

  /**
   * A retryable write (lsid and txnNumber, no autocommit) moves its session past any open
   * transaction: mongod aborts that transaction, and refuses a txnNumber older than it.
   */
  retryableWriteStarts(command: Document): void {
    const sessionKey = sessionKeyOf(command);
    const txnNumber = txnNumberOf(command);
    if (sessionKey === null || txnNumber === null) return;
    const latest = this.#latest.get(sessionKey);
    if (!latest) return;
    if (txnNumber < latest.txnNumber) {
      throw new CommandError(
        ServerErrorCode.TransactionTooOld,
        `Retryable write with txnNumber ${txnNumber} is prohibited on session because a newer transaction with txnNumber ${latest.txnNumber} has already started on this session.`,
      );
    }
    if (txnNumber > latest.txnNumber) this.finish(latest, 'aborted');
  }

  /** Ends a transaction; its locks are released and waiting plain writes go on. */
  finish(transaction: OpenTransaction, state: 'committed' | 'aborted'): void {
    if (transaction.state !== 'open') return;
    for (const key of transaction.held) if (this.#locks.get(key) === transaction) this.#locks.delete(key);
    transaction.end(state);
  }

  /** Aborts every open transaction (a step-down, a restart, killAllSessions). */
  abortAll(): void {
    for (const transaction of this.#latest.values()) this.finish(transaction, 'aborted');
  }

  /** Aborts the open transactions that started on router `owner` (the router died). */
  abortOwnedBy(owner: string): void {
    for (const transaction of this.#latest.values())
      if (transaction.owner === owner) this.finish(transaction, 'aborted');
  }

  /** Aborts the open transactions of these sessions (killSessions, endSessions: a list of lsids). */
  abortSessions(lsids: unknown): void {
    if (!Array.isArray(lsids)) return;
    for (const lsid of lsids) {
      const key = isPlainDocument(lsid) && lsid['id'] instanceof Binary ? sessionKeyOf({ lsid }) : null;
      const transaction = key === null ? undefined : this.#latest.get(key);
      if (transaction) this.finish(transaction, 'aborted');
    }
  }

  /** Forgets everything (a restarted process). */
  reset(): void {
    this.abortAll();
    this.#latest.clear();
  }

  /** The open transaction other than `except` holding what `key` names, if any. */
  holderOf(
    key: string,
    scope: 'document' | 'collection' | 'database',
    except?: OpenTransaction,
  ): OpenTransaction | undefined {
    const other = (holder: OpenTransaction | undefined): holder is OpenTransaction =>
      holder !== undefined && holder !== except;
    const exact = this.#locks.get(key);
    if (other(exact)) return exact;
    if (scope === 'document') {
      const collection = this.#locks.get(key.slice(0, key.indexOf(KEY_SEPARATOR)));
      return other(collection) ? collection : undefined;
    }
    const prefix = scope === 'collection' ? `${key}${KEY_SEPARATOR}` : key;
    for (const [held, holder] of this.#locks) if (held.startsWith(prefix) && other(holder)) return holder;
    return undefined;
  }

  /** Records that `transaction` holds `key`. */
  hold(key: string, transaction: OpenTransaction): void {
    this.#locks.set(key, transaction);
  }

  /**
   * For a plain write: throws HeldByTransaction when `op` touches what an open transaction holds
   * (the write then undoes its ops and waits; see writeOutsideTransactions).
   */
  guard(op: StoreOp): void {
    const { key, scope } = lockOf(op);
    const holder = this.holderOf(key, scope);
    if (holder) throw new HeldByTransaction(holder);
  }

  #commitOrAbortFields(request: WireRequest): TransactionFields {
    const fields = transactionFieldsOf(request.command);
    if (!fields) {
      throw invalidOptions(
        `'${request.commandName}' must be run with autocommit: false, a txnNumber and an lsid`,
      );
    }
    if (request.db !== 'admin') {
      throw new CommandError(
        ServerErrorCode.Unauthorized,
        `${request.commandName} may only be run against the admin database.`,
      );
    }
    return fields;
  }

  #latestNumber(sessionKey: string, records: TxnTable): number {
    return Math.max(this.#latest.get(sessionKey)?.txnNumber ?? -1, records.get(sessionKey)?.txnNumber ?? -1);
  }

  #checkNotTooOld(fields: TransactionFields, latest: number): void {
    if (fields.txnNumber < latest) {
      throw new CommandError(
        ServerErrorCode.TransactionTooOld,
        `Cannot start transaction ${fields.txnNumber} on session because a newer transaction ${latest} has already started.`,
      );
    }
  }

  /** The transaction `fields` names, which must be this server's (and router's) latest. */
  #known(
    fields: TransactionFields,
    latest: OpenTransaction | undefined,
    owner: string | undefined,
  ): OpenTransaction {
    if (!latest || latest.txnNumber !== fields.txnNumber) {
      throw noSuchTransaction(
        `Given transaction number ${fields.txnNumber} does not match any in-progress transactions.`,
      );
    }
    if (latest.owner !== owner) {
      throw noSuchTransaction(
        `Transaction ${fields.txnNumber} was not started on this router (${owner ?? 'unknown'}); routers do not share transaction state.`,
      );
    }
    if (latest.state === 'aborted')
      throw noSuchTransaction(`Transaction ${fields.txnNumber} has been aborted.`);
    return latest;
  }

  #checkReadConcern(readConcern: unknown): void {
    if (readConcern === undefined) return;
    if (!isPlainDocument(readConcern)) throw invalidOptions('readConcern must be a document');
    const level: unknown = readConcern['level'];
    if (level !== undefined && (typeof level !== 'string' || !READ_CONCERN_LEVELS.has(level))) {
      throw invalidOptions(
        `The readConcern level must be either 'local' (default), 'majority' or 'snapshot' in order to run in a transaction, got ${JSON.stringify(level)}`,
      );
    }
  }

  #checkPipeline(pipeline: unknown): void {
    if (!Array.isArray(pipeline)) return;
    for (const stage of pipeline) {
      const name = isPlainDocument(stage) ? (Object.keys(stage)[0] ?? '') : '';
      if (STAGES_NOT_IN_TRANSACTION.has(name)) {
        throw new CommandError(
          ServerErrorCode.OperationNotSupportedInTransaction,
          `${name} cannot be used in a transaction`,
        );
      }
    }
  }
}

/**
 * endSessions, killSessions and killAllSessions: they abort the sessions' open transactions
 * (the test runners' cleanup between tests relies on it). Undefined for any other command.
 */
export function sessionCommand(catalog: TransactionCatalog, request: WireRequest): Document | undefined {
  switch (request.commandName) {
    case 'endSessions':
    case 'killSessions':
      catalog.abortSessions(request.command[request.commandName]);
      return { ok: 1 };
    case 'killAllSessions':
    case 'killAllSessionsByPattern':
      catalog.abortAll();
      return { ok: 1 };
    default:
      return undefined;
  }
}

/** What a server lends transactionCommand. */
export interface TransactionServer {
  readonly catalog: TransactionCatalog;
  /** The server's replicated session records (committed transactions, retryable writes). */
  readonly records: TxnTable;
  readonly engine: QueryEngine;
  readonly cursors: CursorRegistry;
  /** The server's plain write path: a commit applies the transaction's ops through it. */
  readonly node: DataNode;
  /** The router that received the command (sharded clusters); undefined for a replica set. */
  readonly owner?: string;
  /** Throws when the server may not run transactions now (not primary, a standalone). */
  assertCanRun(): void;
  /** A retried commit of a committed transaction waits for its write concern: the error, or null. */
  awaitWriteConcern(): Promise<Document | null>;
}

/**
 * Runs commitTransaction, abortTransaction, or a statement of a transaction (a command with
 * `autocommit`); undefined for any other command.
 */
export function transactionCommand(
  server: TransactionServer,
  request: WireRequest,
): Promise<Document> | undefined {
  const name = request.commandName;
  const commitOrAbort = name === 'commitTransaction' || name === 'abortTransaction';
  const command = request.command;
  if (!commitOrAbort && command['autocommit'] === undefined && command['startTransaction'] === undefined) {
    server.catalog.retryableWriteStarts(command);
    return undefined;
  }
  return Promise.resolve().then(async () => {
    server.assertCanRun();
    const { catalog, records, owner } = server;
    if (name === 'abortTransaction') return catalog.abortCommand(request, records, owner);
    if (name === 'commitTransaction') return commit(server, request);
    const transaction = catalog.transactionFor(request, records, owner);
    if (!transaction)
      throw new CommandError(ServerErrorCode.InternalError, 'a statement without a transaction');
    const statement = crudCommand(transactionNode(transaction, server), request);
    if (!statement) {
      throw new CommandError(ServerErrorCode.CommandNotFound, `no such command: '${name}'`);
    }
    return runInTransaction(transaction, statement);
  });
}

/** The DataNode CRUD commands use inside `transaction`: its snapshot for reads, its writes held back. */
function transactionNode(transaction: OpenTransaction, server: TransactionServer): DataNode {
  return {
    engine: server.engine,
    cursors: server.cursors,
    readableStore: () => transaction.view,
    write: (_request, execute) => Promise.resolve(transaction.write(execute)),
  };
}

async function commit(server: TransactionServer, request: WireRequest): Promise<Document> {
  const decision = server.catalog.commitDecision(request, server.records, server.owner);
  if (decision.kind === 'alreadyCommitted') {
    const writeConcernError = await server.awaitWriteConcern();
    return writeConcernError ? { ok: 1, writeConcernError } : { ok: 1 };
  }
  const transaction = decision.transaction;
  if (breaksUniqueIndex(transaction, server.engine)) {
    server.catalog.finish(transaction, 'aborted');
    throw writeConflict();
  }
  return server.node.write(request, (_store, apply) => {
    server.catalog.finish(transaction, 'committed');
    for (const op of transaction.ops) apply(op);
    return { ok: 1 };
  });
}

/**
 * True when committing would break a unique index: a value the transaction writes was taken,
 * after its snapshot, by a document it did not write (a plain write, another transaction's
 * commit). The transaction's own snapshot checks could not see it; mongod reports a write conflict.
 */
function breaksUniqueIndex(transaction: OpenTransaction, engine: QueryEngine): boolean {
  const committed = transaction.catalog.committed();
  const checked = new Set<string>();
  for (const op of transaction.ops) {
    if (op.op !== 'insert' && op.op !== 'replace') continue;
    const id: unknown = op.document['_id'];
    const written = documentKey(op.ns, id);
    if (checked.has(written)) continue;
    checked.add(written);
    const final = transaction.view.findById(op.ns, id);
    if (!final) continue;
    const keys = new Set(uniqueIndexKeys(transaction.view, engine, op.ns, final));
    if (keys.size === 0) continue;
    for (const other of committed.documents(op.ns)) {
      if (transaction.held.has(documentKey(op.ns, other['_id']))) continue;
      if (uniqueIndexKeys(transaction.view, engine, op.ns, other).some((key) => keys.has(key))) return true;
    }
  }
  return false;
}

/** Runs `statement` in `transaction`; a failed statement aborts the transaction, as in mongod. */
async function runInTransaction(
  transaction: OpenTransaction,
  statement: Promise<Document>,
): Promise<Document> {
  try {
    return await statement;
  } catch (error) {
    transaction.catalog.finish(transaction, 'aborted');
    throw error;
  }
}

/** The reply of a transaction's statements on a router: the recovery token drivers send back on commit. */
export function withRecoveryToken(reply: Document, shardName: string): Document {
  return { ...reply, recoveryToken: { recoveryShardId: shardName } };
}

export type PlainWriteResult =
  | { readonly ok: true; readonly reply: Document; readonly ops: StoreOp[] }
  | { readonly ok: false; readonly error: unknown; readonly ops: StoreOp[] };

/** The ops that undo `op` on `store` (called before `op` is applied). */
function inverseOf(store: DocumentStore, op: StoreOp): StoreOp[] {
  switch (op.op) {
    case 'insert':
    case 'replace': {
      const before = store.findById(op.ns, op.document['_id']);
      return [
        before
          ? { op: 'replace', ns: op.ns, document: before }
          : { op: 'delete', ns: op.ns, id: op.document['_id'] },
      ];
    }
    case 'delete': {
      const before = store.findById(op.ns, op.id);
      return before ? [{ op: 'insert', ns: op.ns, document: before }] : [];
    }
    case 'create':
      return store.hasCollection(op.ns) ? [] : [{ op: 'drop', ns: op.ns }];
    default:
      return [];
  }
}

/**
 * Runs a plain (non-transaction) write: `prepare()` checks the server may still write and returns
 * its store; `execute` runs on it with an `apply` that changes it. When an op touches what an open
 * transaction holds, the ops applied so far are undone and the write waits for that transaction
 * to end (or the command's maxTimeMS: MaxTimeMSExpired), then runs again from the start.
 * Resolves with the reply and the ops applied, or the error `execute` threw and the ops it applied
 * before (an ordered batch keeps its first writes).
 */
export async function writeOutsideTransactions(
  catalog: TransactionCatalog,
  request: WireRequest,
  timers: TimerRegistry,
  prepare: () => DocumentStore,
  execute: (store: DocumentStore, apply: ApplyOp) => Document,
): Promise<PlainWriteResult> {
  const deadline = maxTimeDeadline(request);
  for (;;) {
    const store = prepare();
    const ops: StoreOp[] = [];
    const undo: StoreOp[] = [];
    try {
      const reply = execute(store, (op) => {
        if (!catalog.idle) {
          catalog.guard(op);
          undo.push(...inverseOf(store, op));
        }
        store.apply(op);
        ops.push(op);
      });
      return { ok: true, reply, ops };
    } catch (error) {
      if (!(error instanceof HeldByTransaction)) return { ok: false, error, ops };
      for (const op of undo.reverse()) store.apply(op);
      await waitForEnd(error.transaction, request, timers, deadline);
    }
  }
}

function maxTimeDeadline(request: WireRequest): number | null {
  const value: unknown = request.command['maxTimeMS'];
  const ms = typeof value === 'number' ? value : txnNumberOf({ txnNumber: value });
  return ms !== null && ms > 0 ? request.now() + ms : null;
}

/** Resolves when `transaction` ends; rejects at `deadline` (MaxTimeMSExpired), or when the request goes. */
function waitForEnd(
  transaction: OpenTransaction,
  request: WireRequest,
  timers: TimerRegistry,
  deadline: number | null,
): Promise<void> {
  if (timers.closed || request.signal.aborted) return Promise.reject(new WaitAbortedError('wait aborted'));
  return new Promise<void>((resolve, reject) => {
    let cancel = (): void => undefined;
    let forget = (): void => undefined;
    const settle = (error?: Error): void => {
      cancel();
      forget();
      request.signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = (): void => settle(new WaitAbortedError('wait aborted'));
    if (deadline !== null) {
      cancel = timers.setTimeout(
        () => settle(new CommandError(ServerErrorCode.MaxTimeMSExpired, 'operation exceeded time limit')),
        deadline - timers.now(),
      );
    }
    forget = timers.onClose(onAbort);
    request.signal.addEventListener('abort', onAbort, { once: true });
    void transaction.finished.then(() => settle());
  });
}
