/**
 * The `failCommand` fail point's rule: which commands it targets and what it does to them, read
 * from a `configureFailPoint` command (mongod's `data` document) or from the typed options of
 * `failCommand()`. Both forms become the same FailCommandRule; only their errors differ (a
 * CommandError with mongod's code for the wire, a SimulatorOptionsError naming the option for code).
 */
import type { Document } from 'bson';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import { SimulatorOptionsError } from '../errors.js';

/** Options of `failCommand()`: what `configureFailPoint: 'failCommand'` takes, typed. */
export interface FailCommandOptions {
  /**
   * Command names to fail, as mongod spells them (`failCommands`). A name matches the command and
   * its aliases: 'isMaster' also matches 'ismaster', 'findAndModify' 'findandmodify'; 'hello'
   * does not match 'isMaster' (list both to fail every handshake and heartbeat).
   */
  readonly commands: readonly string[];
  /** Fail this many matching commands, then turn off (mode `{ times }`); default: until `off()`. */
  readonly times?: number;
  /** Let this many matching commands through first (mode `{ skip }`); not with `times`. */
  readonly skip?: number;
  /** Answer `ok: 0` with this code (and its codeName), without running the command. */
  readonly errorCode?: number;
  /**
   * Labels of the error reply (or of the write concern error), replacing the ones the server
   * would add; `[]` for none. Absent: the server's own (RetryableWriteError for a retryable write
   * failing with a retryable code, as mongod 4.4+ adds).
   */
  readonly errorLabels?: readonly string[];
  /** Close the connection without a reply (the client sees a network error). */
  readonly closeConnection?: boolean;
  /** Hold the command this many ms before it fails or runs (`blockConnection` + `blockTimeMS`). */
  readonly blockMS?: number;
  /** Only commands on connections whose handshake said this `appName`. */
  readonly appName?: string;
  /** Only commands on this namespace (`'db.collection'`). */
  readonly namespace?: string;
  /** Run the write, then add this `writeConcernError` to its successful reply. */
  readonly writeConcernError?: WriteConcernErrorSpec;
}

/** A write concern error a fail point adds to a reply. */
export interface WriteConcernErrorSpec {
  readonly code: number;
  readonly errmsg?: string;
  readonly codeName?: string;
  readonly errInfo?: Document;
}

/** What a matching command suffers; one normalised form for both ways of setting a fail point. */
export interface FailCommandRule {
  /** Canonical command names, or 'all' (`failAllCommands`). */
  readonly commands: ReadonlySet<string> | 'all';
  readonly closeConnection: boolean;
  /** ms to hold the command; 0 = no block. */
  readonly blockMS: number;
  readonly errorCode: number | null;
  readonly errorLabels: readonly string[] | null;
  readonly writeConcernError: Document | null;
  readonly appName: string | null;
  readonly namespace: string | null;
}

/** How often a fail point fires (mongod's `mode`). */
export type FailPointMode =
  | { readonly kind: 'alwaysOn' }
  | { readonly kind: 'off' }
  | { readonly kind: 'times'; readonly n: number }
  | { readonly kind: 'skip'; readonly n: number }
  | { readonly kind: 'activationProbability'; readonly p: number };

/** What a command looks like to a fail point. */
export interface FailCommandTarget {
  readonly commandName: string;
  readonly db: string;
  readonly command: Document;
  /** The connection's handshake `client.application.name`, if any. */
  readonly appName: string | null;
}

/** The message mongod gives a command failed by `failCommand`. */
export const FAIL_COMMAND_MESSAGE = "Failing command via 'failCommand' failpoint";

/** Commands with more than one name in mongod: every alias names the same command. */
const ALIASES: Readonly<Record<string, string>> = {
  ismaster: 'isMaster',
  findandmodify: 'findAndModify',
  buildinfo: 'buildInfo',
};

/** The command's canonical name (aliases folded), as a fail point compares it. */
export function canonicalCommandName(name: string): string {
  return ALIASES[name] ?? name;
}

/**
 * Commands whose reply goes through mongod's write-concern wait, the only ones a
 * `writeConcernError` fail point acts on.
 */
const WRITE_CONCERN_COMMANDS: ReadonlySet<string> = new Set([
  'insert',
  'update',
  'delete',
  'findAndModify',
  'create',
  'drop',
  'dropDatabase',
  'createIndexes',
  'dropIndexes',
  'renameCollection',
  'collMod',
  'commitTransaction',
  'abortTransaction',
  'bulkWrite',
  'aggregate',
]);

/** True when the rule targets this command (the mode is not consulted). */
export function ruleMatches(rule: FailCommandRule, target: FailCommandTarget): boolean {
  const name = canonicalCommandName(target.commandName);
  // mongod never fails configureFailPoint itself, whatever failCommands says.
  if (name === 'configureFailPoint') return false;
  if (rule.commands !== 'all' && !rule.commands.has(name)) return false;
  if (rule.appName !== null && rule.appName !== target.appName) return false;
  if (rule.namespace !== null && rule.namespace !== namespaceOf(target)) return false;
  // A rule that only adds a write concern error acts on commands that wait for write concern.
  const actsBeforeRunning = rule.closeConnection || rule.blockMS > 0 || rule.errorCode !== null;
  return actsBeforeRunning || (rule.writeConcernError !== null && WRITE_CONCERN_COMMANDS.has(name));
}

function namespaceOf(target: FailCommandTarget): string {
  const collection: unknown = target.command[target.commandName];
  return typeof collection === 'string' ? `${target.db}.${collection}` : target.db;
}

// ---- the wire form: configureFailPoint ---------------------------------------------------------

/** Parses `mode` as mongod does, with its codes: IllegalOperation, BadValue, TypeMismatch. */
export function parseFailPointMode(mode: unknown): FailPointMode {
  if (mode === undefined)
    throw new CommandError(
      ServerErrorCode.IllegalOperation,
      "When setting a failpoint, you must supply a 'mode'",
    );
  if (typeof mode === 'string') {
    if (mode === 'off' || mode === 'alwaysOn') return { kind: mode };
    throw new CommandError(ServerErrorCode.BadValue, `unknown mode: ${mode}`);
  }
  if (!isPlainDocument(mode))
    throw new CommandError(ServerErrorCode.TypeMismatch, "'mode' must be a string or JSON object");
  for (const kind of ['times', 'skip'] as const) {
    if (!(kind in mode)) continue;
    const n = mode[kind];
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      throw new CommandError(
        ServerErrorCode.TypeMismatch,
        `Expected field "${kind}" to have an integral numeric type, but found ${describe(n)}`,
      );
    }
    if (n < 0)
      throw new CommandError(ServerErrorCode.BadValue, `'${kind}' option to 'mode' must be positive`);
    if (n > 0x7fffffff)
      throw new CommandError(ServerErrorCode.BadValue, `'${kind}' option to 'mode' is too large`);
    return { kind, n };
  }
  if ('activationProbability' in mode) {
    const p = mode['activationProbability'];
    if (typeof p !== 'number') {
      throw new CommandError(
        ServerErrorCode.TypeMismatch,
        "the 'activationProbability' option to 'mode' must be a double between 0 and 1",
      );
    }
    if (!(p >= 0 && p <= 1))
      throw new CommandError(
        ServerErrorCode.BadValue,
        `activationProbability must be between 0.0 and 1.0; found ${p}`,
      );
    return { kind: 'activationProbability', p };
  }
  throw new CommandError(
    ServerErrorCode.BadValue,
    "'mode' must be one of 'off', 'alwaysOn', '{times:n}', '{skip:n}' or '{activationProbability:p}'",
  );
}

/**
 * Parses `failCommand`'s `data`. mongod reads it only when a command arrives (and ignores what it
 * cannot read); the simulator checks it when the fail point is set, answering with the code mongod
 * would give the targeted command (InvalidOptions for blockTimeMS) or TypeMismatch, and naming the
 * field. Fields it does not know are ignored, as mongod does.
 */
export function parseFailCommandData(data: unknown): FailCommandRule {
  if (data === undefined)
    throw new CommandError(
      ServerErrorCode.BadValue,
      "the failCommand fail point needs 'data' with 'failCommands'",
    );
  if (!isPlainDocument(data))
    throw new CommandError(ServerErrorCode.TypeMismatch, "the 'data' option must be a JSON object");
  const mismatch = (field: string, wanted: string): CommandError =>
    new CommandError(
      ServerErrorCode.TypeMismatch,
      `failCommand data field '${field}' must be ${wanted}, found ${describe(data[field])}`,
    );
  const optionalBoolean = (field: string): boolean => {
    const value = data[field];
    if (value === undefined) return false;
    if (typeof value !== 'boolean') throw mismatch(field, 'a boolean');
    return value;
  };
  const optionalString = (field: string): string | null => {
    const value = data[field];
    if (value === undefined) return null;
    if (typeof value !== 'string') throw mismatch(field, 'a string');
    return value;
  };

  let commands: ReadonlySet<string> | 'all';
  if (data['failAllCommands'] === true) {
    commands = 'all';
  } else {
    const list = data['failCommands'];
    if (list === undefined) {
      throw new CommandError(
        ServerErrorCode.BadValue,
        "failCommand data needs 'failCommands' (an array of command names) or 'failAllCommands: true'",
      );
    }
    if (!Array.isArray(list) || !list.every((name) => typeof name === 'string'))
      throw mismatch('failCommands', 'an array of command names');
    commands = new Set(list.map((name: string) => canonicalCommandName(name)));
  }

  let blockMS = 0;
  if (optionalBoolean('blockConnection')) {
    const ms = data['blockTimeMS'];
    if (typeof ms !== 'number' || !Number.isInteger(ms)) {
      throw new CommandError(
        ServerErrorCode.InvalidOptions,
        "must specify 'blockTimeMS' when 'blockConnection' is true",
      );
    }
    if (ms < 0) throw new CommandError(ServerErrorCode.InvalidOptions, "'blockTimeMS' must be non-negative");
    blockMS = ms;
  }

  let errorCode: number | null = null;
  if (data['errorCode'] !== undefined) {
    const code = data['errorCode'];
    if (typeof code !== 'number' || !Number.isInteger(code)) throw mismatch('errorCode', 'an integer');
    errorCode = code;
  }

  let errorLabels: string[] | null = null;
  if (data['errorLabels'] !== undefined) {
    const labels = data['errorLabels'];
    if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string'))
      throw mismatch('errorLabels', 'an array of strings');
    errorLabels = [...(labels as string[])];
  }

  let writeConcernError: Document | null = null;
  if (data['writeConcernError'] !== undefined) {
    const wce = data['writeConcernError'];
    if (!isPlainDocument(wce) || typeof wce['code'] !== 'number')
      throw mismatch('writeConcernError', "a document with a numeric 'code'");
    writeConcernError = { ...wce };
  }

  return {
    commands,
    closeConnection: optionalBoolean('closeConnection'),
    blockMS,
    errorCode,
    errorLabels,
    writeConcernError,
    appName: optionalString('appName'),
    namespace: optionalString('namespace'),
  };
}

// ---- the typed form: failCommand() -------------------------------------------------------------

const OPTION_KEYS: ReadonlySet<string> = new Set([
  'commands',
  'times',
  'skip',
  'errorCode',
  'errorLabels',
  'closeConnection',
  'blockMS',
  'appName',
  'namespace',
  'writeConcernError',
]);

/** Checks `failCommand()`'s options; throws a SimulatorOptionsError naming the first bad one. */
export function ruleFromOptions(options: FailCommandOptions): { rule: FailCommandRule; mode: FailPointMode } {
  if (!isPlainDocument(options)) throw new SimulatorOptionsError('failCommand options must be an object');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new SimulatorOptionsError(
        `failCommand: unknown option '${key}' (known: ${[...OPTION_KEYS].join(', ')})`,
      );
    }
  }
  const { commands } = options;
  if (
    !Array.isArray(commands) ||
    commands.length === 0 ||
    !commands.every((c) => typeof c === 'string' && c !== '')
  ) {
    throw new SimulatorOptionsError("failCommand: 'commands' must be a non-empty array of command names");
  }
  const count = (key: 'times' | 'skip'): number | undefined => {
    const value = options[key];
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || value < 1)
      throw new SimulatorOptionsError(
        `failCommand: '${key}' must be a positive integer, got ${String(value)}`,
      );
    return value;
  };
  const times = count('times');
  const skip = count('skip');
  if (times !== undefined && skip !== undefined)
    throw new SimulatorOptionsError("failCommand: give 'times' or 'skip', not both");
  const { errorCode, errorLabels, closeConnection, blockMS, appName, namespace, writeConcernError } = options;
  if (errorCode !== undefined && !Number.isInteger(errorCode))
    throw new SimulatorOptionsError(`failCommand: 'errorCode' must be an integer, got ${String(errorCode)}`);
  if (
    errorLabels !== undefined &&
    (!Array.isArray(errorLabels) || !errorLabels.every((l) => typeof l === 'string'))
  )
    throw new SimulatorOptionsError("failCommand: 'errorLabels' must be an array of strings");
  if (closeConnection !== undefined && typeof closeConnection !== 'boolean')
    throw new SimulatorOptionsError("failCommand: 'closeConnection' must be a boolean");
  if (blockMS !== undefined && !(Number.isInteger(blockMS) && blockMS >= 0))
    throw new SimulatorOptionsError(
      `failCommand: 'blockMS' must be an integer number of ms >= 0, got ${String(blockMS)}`,
    );
  for (const [key, value] of [
    ['appName', appName],
    ['namespace', namespace],
  ] as const) {
    if (value !== undefined && typeof value !== 'string')
      throw new SimulatorOptionsError(`failCommand: '${key}' must be a string`);
  }
  if (
    writeConcernError !== undefined &&
    !(isPlainDocument(writeConcernError) && Number.isInteger(writeConcernError.code))
  )
    throw new SimulatorOptionsError(
      "failCommand: 'writeConcernError' must be an object with an integer 'code'",
    );
  const rule: FailCommandRule = {
    commands: new Set(commands.map((name) => canonicalCommandName(name))),
    closeConnection: closeConnection ?? false,
    blockMS: blockMS ?? 0,
    errorCode: errorCode ?? null,
    errorLabels: errorLabels === undefined ? null : [...errorLabels],
    writeConcernError:
      writeConcernError === undefined
        ? null
        : { errmsg: "Injected by the simulator's failCommand fail point", ...writeConcernError },
    appName: appName ?? null,
    namespace: namespace ?? null,
  };
  if (
    !rule.closeConnection &&
    rule.blockMS === 0 &&
    rule.errorCode === null &&
    rule.writeConcernError === null
  ) {
    throw new SimulatorOptionsError(
      'failCommand: give at least one of errorCode, closeConnection, blockMS or writeConcernError (otherwise it does nothing)',
    );
  }
  const mode: FailPointMode =
    times !== undefined
      ? { kind: 'times', n: times }
      : skip !== undefined
        ? { kind: 'skip', n: skip }
        : { kind: 'alwaysOn' };
  return { rule, mode };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
