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
  Unauthorized: 13,
  TypeMismatch: 14,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NoMatchingDocument: 47,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  DollarPrefixedFieldName: 52,
  CommandNotFound: 59,
  WriteConcernFailed: 64,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  FailPointSetFailed: 74,
  InvalidNamespace: 73,
  NoReplicationEnabled: 76,
  NotSecondary: 135,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  WriteConflict: 112,
  ConflictingOperationInProgress: 117,
  ShutdownInProgress: 91,
  DocumentValidationFailure: 121,
  ViewDepthLimitExceeded: 149,
  CommandNotSupportedOnView: 166,
  OptionNotSupportedOnView: 167,
  InvalidIndexSpecificationOption: 197,
  PrimarySteppedDown: 189,
  TransactionTooOld: 225,
  AmbiguousIndexKeyPattern: 359,
  NotImplemented: 238,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  InvalidResumeToken: 260,
  ExceededTimeLimit: 262,
  OperationNotSupportedInTransaction: 263,
  ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286,
  UnsupportedOpQueryCommand: 352,
  DuplicateKey: 11000,
  MergeStageNoMatchingDocument: 13113,
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
// Codes the simulator never raises by itself but a fail point may inject: mongod's names for them.
for (const [code, name] of [
  [6, 'HostUnreachable'],
  [7, 'HostNotFound'],
  [8, 'UnknownError'],
  [11, 'UserNotFound'],
  [18, 'AuthenticationFailed'],
  [24, 'LockTimeout'],
  [63, 'StaleShardVersion'],
  [89, 'NetworkTimeout'],
  [133, 'FailedToSatisfyReadPreference'],
  [134, 'ReadConcernMajorityNotAvailableYet'],
  [150, 'StaleEpoch'],
  [216, 'ElectionInProgress'],
  [234, 'RetryChangeStream'],
  [246, 'SnapshotUnavailable'],
  [9001, 'SocketException'],
  [11600, 'InterruptedAtShutdown'],
  [11601, 'Interrupted'],
] as const) {
  if (!codeNames.has(code)) codeNames.set(code, name);
}

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
  /**
   * Labels that replace whatever the server would add (a failCommand fail point's `errorLabels`);
   * `[]` means none. Null: the server's own labels (error-labels.ts).
   */
  labelsOverride: readonly string[] | null = null;
  constructor(
    readonly code: number,
    message: string,
    readonly extra: Document = {},
  ) {
    super(message);
    this.codeName = codeNames.get(code) ?? `Location${code}`;
  }

  /**
   * The `ok: 0` reply (labels are added on the way out: see error-labels.ts, which keeps labels a
   * reply already has, such as a fail point's).
   */
  toReply(): Document {
    return {
      ok: 0,
      errmsg: this.message,
      code: this.code,
      codeName: this.codeName,
      ...this.extra,
      ...(this.labelsOverride === null ? {} : { errorLabels: [...this.labelsOverride] }),
    };
  }
}

/**
 * Thrown by a handler that must close its connection without replying, as mongod ends a session
 * (a fail point's `closeConnection` acting inside a command).
 */
export class CloseConnectionError extends Error {
  override name = 'CloseConnectionError';
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
