/**
 * The error labels mongod (and mongos) put on a failed command's reply, from the command's session
 * fields and the error's codes. Drivers decide what to retry from these labels (wire version 9+),
 * so every error reply of a simulated server gets them here, in one place:
 * - `TransientTransactionError`: a statement of a transaction (it carries `autocommit`) failed
 *   with WriteConflict, a snapshot error, NoSuchTransaction or a retryable code; on
 *   commitTransaction/abortTransaction only NoSuchTransaction without a writeConcernError counts.
 * - `RetryableWriteError`: a retryable write (txnNumber without `autocommit`), or a transaction's
 *   commit/abort, failed with a retryable code, at top level or in its writeConcernError.
 * `UnknownTransactionCommitResult` is never a server label: drivers add it themselves.
 */
import type { Document } from 'bson';
import { isRetryableWriteCode, ServerErrorCode } from './server-errors.js';

/** Codes that always make a transaction statement's error transient (besides retryable codes). */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([
  ServerErrorCode.WriteConflict,
  24, // LockTimeout
  267, // PreparedTransactionInProgress
  239, // SnapshotTooOld
  246, // SnapshotUnavailable
  13388, // StaleConfig
  249, // StaleDbVersion
]);

const COMMIT_OR_ABORT: ReadonlySet<string> = new Set(['commitTransaction', 'abortTransaction']);

function hasField(command: Document, field: string): boolean {
  return command[field] !== undefined && command[field] !== null;
}

/** The labels mongod gives a reply with top-level error `code` and/or writeConcernError `wcCode`. */
export function errorLabelsFor(
  commandName: string,
  command: Document,
  code: number | undefined,
  wcCode: number | undefined,
): string[] {
  const txnNumber = hasField(command, 'txnNumber');
  const inTransaction = txnNumber && hasField(command, 'autocommit');
  const commitOrAbort = COMMIT_OR_ABORT.has(commandName);
  if (code !== undefined && inTransaction) {
    const noSuchTransaction = code === ServerErrorCode.NoSuchTransaction;
    const transient =
      TRANSIENT_CODES.has(code) ||
      (commitOrAbort
        ? noSuchTransaction && wcCode === undefined
        : noSuchTransaction || isRetryableWriteCode(code));
    if (transient) return ['TransientTransactionError'];
  }
  const retryableWrite = txnNumber && !inTransaction;
  if (retryableWrite || (inTransaction && commitOrAbort)) {
    if (
      (code !== undefined && isRetryableWriteCode(code)) ||
      (wcCode !== undefined && isRetryableWriteCode(wcCode))
    ) {
      return ['RetryableWriteError'];
    }
  }
  return [];
}

function codeOf(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/**
 * `reply` with the labels mongod would add, unless it already has `errorLabels` (a fail point that
 * names its labels replaces mongod's, as `failCommand` does). Only error replies change.
 */
export function withErrorLabels(commandName: string, command: Document, reply: Document): Document {
  if (reply['errorLabels'] !== undefined) return reply;
  const code = reply['ok'] === 0 || reply['ok'] === false ? codeOf(reply['code']) : undefined;
  const writeConcernError: unknown = reply['writeConcernError'];
  const wcCode =
    writeConcernError !== null && typeof writeConcernError === 'object'
      ? codeOf((writeConcernError as Document)['code'])
      : undefined;
  if (code === undefined && wcCode === undefined) return reply;
  const labels = errorLabelsFor(commandName, command, code, wcCode);
  return labels.length === 0 ? reply : { ...reply, errorLabels: labels };
}
