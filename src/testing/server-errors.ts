/**
 * The errors a simulated server answers with: the codes, names and labels mongod uses, so drivers
 * take the same paths (retry, mark the server Unknown, clear the pool) as against a real server.
 */
import type { Document } from 'bson';

/** Server error codes the simulator uses, by their mongod codeName. */
export const ServerErrorCode = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  CursorNotFound: 43,
  NoMatchingDocument: 47,
  NamespaceExists: 48,
  CommandNotFound: 59,
  WriteConcernFailed: 64,
  InvalidNamespace: 73,
  NoReplicationEnabled: 76,
  ShutdownInProgress: 91,
  PrimarySteppedDown: 189,
  TransactionTooOld: 225,
  NotImplemented: 238,
  InvalidResumeToken: 260,
  ExceededTimeLimit: 262,
  ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286,
  UnsupportedOpQueryCommand: 352,
  DuplicateKey: 11000,
  NotWritablePrimary: 10107,
  InterruptedDueToReplStateChange: 11602,
  NotPrimaryNoSecondaryOk: 13435,
  NotPrimaryOrSecondary: 13436,
  MissingDollarDb: 40571,
} as const;

const codeNames = new Map<number, string>(
  Object.entries(ServerErrorCode).map(([name, code]) => [code, name]),
);
codeNames.set(ServerErrorCode.MissingDollarDb, 'Location40571');

/**
 * Codes mongod labels `RetryableWriteError` when the failed command was a retryable write
 * (it carried a txnNumber outside a transaction). Drivers on wire version 9+ rely on the label.
 */
const RETRYABLE_WRITE_CODES: ReadonlySet<number> = new Set([
  6, 7, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436,
]);

/** An error a command handler throws to answer `ok: 0` with a mongod code. */
export class CommandError extends Error {
  override name = 'CommandError';
  readonly codeName: string;
  constructor(
    readonly code: number,
    message: string,
    readonly extra: Document = {},
  ) {
    super(message);
    this.codeName = codeNames.get(code) ?? `Location${code}`;
  }

  /** The `ok: 0` reply; `retryableWrite` adds the label mongod adds for a retryable write. */
  toReply(options: { retryableWrite?: boolean } = {}): Document {
    const reply: Document = {
      ok: 0,
      errmsg: this.message,
      code: this.code,
      codeName: this.codeName,
      ...this.extra,
    };
    if (options.retryableWrite === true && RETRYABLE_WRITE_CODES.has(this.code)) {
      reply['errorLabels'] = ['RetryableWriteError'];
    }
    return reply;
  }
}

/** True when a reply's code is one a retryable write may be retried after. */
export function isRetryableWriteCode(code: number): boolean {
  return RETRYABLE_WRITE_CODES.has(code);
}

export function codeNameOf(code: number): string {
  return codeNames.get(code) ?? `Location${code}`;
}

/** An internal failure turned into a reply, so a bug in the simulator never crashes the process. */
export function internalErrorReply(error: unknown): Document {
  const message = error instanceof Error ? error.message : String(error);
  return new CommandError(ServerErrorCode.InternalError, `simulator internal error: ${message}`).toReply();
}
