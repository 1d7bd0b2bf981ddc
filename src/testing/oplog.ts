/**
 * The replication log of a simulated replica set, and the session bookkeeping that travels with
 * it. Each entry records the StoreOps of one write command, or of one whole committed transaction:
 * - a plain write: `ops`, `txn: null`;
 * - a retryable write: `ops` and `txn` = the session, txnNumber and reply, so a retry on any
 *   member that has the entry returns the first reply instead of writing twice (mongod keeps the
 *   same record in config.transactions);
 * - a committed multi-document transaction: ONE entry holding every op of the transaction in
 *   order (mongod's applyOps entry), `transaction` = the client's `lsid` and `txnNumber`, and
 *   `txn` = the session record with `committedTransaction: true`, so a retried commitTransaction
 *   on any member that has the entry succeeds again. Secondaries and change streams see the whole
 *   transaction at once; an aborted or read-only transaction writes no entry.
 */
import { Binary, Long, type Document, type Timestamp } from 'bson';
import type { DocumentStore, StoreOp } from './document-store.js';
import { CommandError, ServerErrorCode } from './server-errors.js';

export interface TxnRecord {
  readonly txnNumber: number;
  readonly reply: Document;
  /** The session's transaction `txnNumber` committed (a retried commit succeeds again). */
  readonly committedTransaction?: boolean;
}

export interface OplogEntry {
  readonly ts: Timestamp;
  readonly term: number;
  /** Wall-clock time of the write (a hello's lastWrite.lastWriteDate). */
  readonly wall: Date;
  readonly ops: readonly StoreOp[];
  readonly txn: (TxnRecord & { readonly sessionKey: string }) | null;
  /**
   * Set on a committed multi-document transaction's entry: `lsid` as the client sent it, and
   * `txnNumber` as a NumberLong (how change events carry both).
   */
  readonly transaction?: { readonly lsid: Document; readonly txnNumber: Long };
}

/** Sessions' records of their latest retryable write: session key → record. */
export type TxnTable = Map<string, TxnRecord>;

/** A stable key for a command's `lsid` (its UUID as hex), or null when there is none. */
export function sessionKeyOf(command: Document): string | null {
  const lsid: unknown = command['lsid'];
  if (lsid === null || typeof lsid !== 'object') return null;
  const id: unknown = (lsid as Document)['id'];
  if (id instanceof Binary) return Buffer.from(id.buffer).toString('hex');
  return null;
}

/** The command's txnNumber as a number, or null. */
export function txnNumberOf(command: Document): number | null {
  const value: unknown = command['txnNumber'];
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (
    value !== null &&
    typeof value === 'object' &&
    'toNumber' in value &&
    typeof value.toNumber === 'function'
  ) {
    return (value as { toNumber(): number }).toNumber();
  }
  return null;
}

/**
 * The `txn` and `transaction` fields of a committed transaction's entry, from its
 * commitTransaction command (whose lsid and txnNumber the transaction checked).
 */
export function committedTransactionFields(
  command: Document,
  reply: Document,
): { txn: OplogEntry['txn']; transaction: NonNullable<OplogEntry['transaction']> } {
  const sessionKey = sessionKeyOf(command) ?? '';
  const txnNumber = txnNumberOf(command) ?? 0;
  return {
    txn: { sessionKey, txnNumber, reply, committedTransaction: true },
    transaction: { lsid: command['lsid'] as Document, txnNumber: Long.fromNumber(txnNumber) },
  };
}

/**
 * The session and txnNumber of a retryable write, or null for a plain write or a statement of a
 * transaction (which carries `autocommit`).
 */
export function retryableWriteOf(command: Document): { sessionKey: string; txnNumber: number } | null {
  if (command['autocommit'] !== undefined) return null;
  const sessionKey = sessionKeyOf(command);
  const txnNumber = txnNumberOf(command);
  return sessionKey !== null && txnNumber !== null ? { sessionKey, txnNumber } : null;
}

/**
 * The stored reply when this write already ran (a retry), null when it must run.
 * @throws CommandError TransactionTooOld when the session has since moved to a later txnNumber.
 */
export function previousReply(
  txns: TxnTable,
  write: { sessionKey: string; txnNumber: number },
): Document | null {
  const record = txns.get(write.sessionKey);
  if (!record) return null;
  if (write.txnNumber === record.txnNumber) return record.reply;
  if (write.txnNumber < record.txnNumber) {
    throw new CommandError(
      ServerErrorCode.TransactionTooOld,
      `Retryable write with txnNumber ${write.txnNumber} is prohibited on session because a newer retryable write with txnNumber ${record.txnNumber} has already started on this session.`,
    );
  }
  return null;
}

/**
 * The op as the oplog records it: a replace or delete carries the document it replaced or deleted
 * (`before`), read from `store` just before the op is applied there.
 */
export function withPreImage(store: DocumentStore, op: StoreOp): StoreOp {
  if (op.op !== 'replace' && op.op !== 'delete') return op;
  const before = store.findById(op.ns, op.op === 'replace' ? op.document['_id'] : op.id);
  return before === undefined ? op : { ...op, before };
}
