/**
 * Command-line arguments of `waspnest`, parsed with node:util parseArgs into a plain value.
 * Pure: no process access, so the parser is tested with arrays of strings.
 */
import { parseArgs } from 'node:util';
import { didYouMean } from '../nearest-name.js';

export interface CommonOptions {
  /** Print events as NDJSON instead of the live view. */
  readonly json: boolean;
  /** Run unattended for this many seconds, then print a summary and exit; null runs until Ctrl-C. */
  readonly durationSeconds: number | null;
  /** Colours and cursor movement: 'auto' uses them only on a TTY. */
  readonly color: 'auto' | 'always' | 'never';
}

export interface DemoOptions extends CommonOptions {
  readonly members: number;
  /** Concurrent application callers. */
  readonly callers: number;
  readonly heartbeatFrequencyMS: number;
}

export interface WatchOptions extends CommonOptions {
  readonly uri: string;
  readonly serverSelectionTimeoutMS: number;
  readonly heartbeatFrequencyMS: number | null;
  readonly serverMonitoringMode: 'stream' | 'poll' | 'auto' | null;
}

export type CliCommand =
  | { readonly command: 'help'; readonly topic: 'demo' | 'watch' | null }
  | { readonly command: 'version' }
  | { readonly command: 'demo'; readonly options: DemoOptions }
  | { readonly command: 'watch'; readonly options: WatchOptions };

/** A mistake on the command line: the message says what and the caller prints the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const usage = `waspnest — watch a MongoDB deployment's topology, or see a failover demo

Usage:
  waspnest demo [options]          a simulated 3-member replica set, a monitor, a load of
                                   application calls and a schedule of failovers
  waspnest watch <uri> [options]   the same live view for any deployment
                                   (mongodb:// or mongodb+srv://)
  waspnest --help | --version

Options (both commands):
  --duration <s>     run unattended for <s> seconds, print a summary, exit (0 on success)
  --json             print events as NDJSON (one JSON object per line) instead of the view
  --color <when>     auto (default: only on a TTY), always or never; NO_COLOR is honoured

Demo options:
  --members <n>      replica set members (default 3, at least 3)
  --callers <n>      concurrent application callers (default 50)
  --heartbeat <ms>   heartbeatFrequencyMS of the monitor (default 1000)

Watch options:
  --timeout <ms>     serverSelectionTimeoutMS: give up when no server answers (default 10000)
  --heartbeat <ms>   heartbeatFrequencyMS (default: the URI's, else 10000)
  --mode <m>         serverMonitoringMode: stream, poll or auto

Exit codes: 0 done, 1 deployment unreachable (DNS, refused, timeout), 2 bad usage or URI,
130 interrupted before the deployment was reached.`;

const optionSpec = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  json: { type: 'boolean' },
  duration: { type: 'string' },
  color: { type: 'string' },
  members: { type: 'string' },
  callers: { type: 'string' },
  heartbeat: { type: 'string' },
  timeout: { type: 'string' },
  mode: { type: 'string' },
} as const;

function numberOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  { min, integer }: { min: number; integer: boolean },
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number';
    throw new UsageError(`--${name} must be ${kind} of at least ${min}, got "${raw}"`);
  }
  return value;
}

function colorOption(raw: string | undefined): CommonOptions['color'] {
  if (raw === undefined) return 'auto';
  if (raw === 'auto' || raw === 'always' || raw === 'never') return raw;
  throw new UsageError(`--color must be auto, always or never, got "${raw}"`);
}

type OptionName = keyof typeof optionSpec;
type OptionValues = {
  -readonly [K in OptionName]?: (typeof optionSpec)[K]['type'] extends 'string' ? string : boolean;
};

const longNames = Object.keys(optionSpec).map((name) => `--${name}`);

/**
 * node:util parseArgs, but with our own words for mistakes: its strict mode says "Unknown option
 * '--x'. To specify a positional argument starting with a '-' …" and calls `--duration -1`
 * ambiguous. Here an unknown option gets the nearest known one, an option that needs a value
 * says so, and a negative number is taken as a value (and then refused by its range check).
 */
function parseTokens(argv: readonly string[]): { values: OptionValues; positionals: string[] } {
  const { tokens } = parseArgs({
    args: [...argv],
    options: optionSpec,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const values: OptionValues = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const spec = (optionSpec as Record<string, { type: 'string' | 'boolean' } | undefined>)[token.name];
    if (spec === undefined) {
      const nearest = token.rawName.startsWith('--') ? didYouMean(token.rawName, longNames) : '';
      throw new UsageError(`unknown option ${token.rawName}${nearest}`);
    }
    const name = token.name as OptionName;
    if (spec.type === 'boolean') {
      if (token.inlineValue) throw new UsageError(`${token.rawName} takes no value`);
      (values as Record<string, boolean>)[name] = true;
      continue;
    }
    const value = token.value;
    if (value === undefined || (!token.inlineValue && value.startsWith('-') && !/^-\.?\d/.test(value))) {
      throw new UsageError(
        `${token.rawName} needs a value, as in ${token.rawName} ${placeholders[name] ?? '<value>'}`,
      );
    }
    (values as Record<string, string>)[name] = value;
  }
  return { values, positionals };
}

/** What the usage text calls each option's value. */
const placeholders: Partial<Record<OptionName, string>> = {
  duration: '<s>',
  color: '<when>',
  members: '<n>',
  callers: '<n>',
  heartbeat: '<ms>',
  timeout: '<ms>',
  mode: '<m>',
};

/** Parses `argv` (without node and the script). Throws UsageError with a clear message. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const parsed = parseTokens(argv);
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;

  if (values.version) return { command: 'version' };
  if (values.help || command === 'help') {
    const topic = command === 'help' ? rest[0] : command;
    return { command: 'help', topic: topic === 'demo' || topic === 'watch' ? topic : null };
  }
  if (command === undefined) {
    throw new UsageError('missing command: use "waspnest demo" or "waspnest watch <uri>"');
  }

  const common: CommonOptions = {
    json: values.json ?? false,
    durationSeconds:
      values.duration === undefined
        ? null
        : numberOption('duration', values.duration, 0, { min: 0.1, integer: false }),
    color: colorOption(values.color),
  };

  if (command === 'demo') {
    if (rest.length > 0) throw new UsageError(`demo takes no arguments, got "${rest.join(' ')}"`);
    for (const name of ['timeout', 'mode'] as const) {
      if (values[name] !== undefined) throw new UsageError(`--${name} applies to watch, not to demo`);
    }
    return {
      command: 'demo',
      options: {
        ...common,
        members: numberOption('members', values.members, 3, { min: 3, integer: true }),
        callers: numberOption('callers', values.callers, 50, { min: 0, integer: true }),
        heartbeatFrequencyMS: numberOption('heartbeat', values.heartbeat, 1000, { min: 500, integer: true }),
      },
    };
  }

  if (command === 'watch') {
    const [uri, ...extra] = rest;
    if (uri === undefined) throw new UsageError('watch needs a connection string: waspnest watch <uri>');
    if (extra.length > 0)
      throw new UsageError(`watch takes one connection string, got also "${extra.join(' ')}"`);
    for (const name of ['members', 'callers'] as const) {
      if (values[name] !== undefined) throw new UsageError(`--${name} applies to demo, not to watch`);
    }
    const mode = values.mode;
    if (mode !== undefined && mode !== 'stream' && mode !== 'poll' && mode !== 'auto') {
      throw new UsageError(`--mode must be stream, poll or auto, got "${mode}"`);
    }
    return {
      command: 'watch',
      options: {
        ...common,
        uri,
        serverSelectionTimeoutMS: numberOption('timeout', values.timeout, 10_000, { min: 1, integer: true }),
        heartbeatFrequencyMS:
          values.heartbeat === undefined
            ? null
            : numberOption('heartbeat', values.heartbeat, 0, { min: 500, integer: true }),
        serverMonitoringMode: mode ?? null,
      },
    };
  }

  throw new UsageError(`unknown command "${command}": use "waspnest demo" or "waspnest watch <uri>"`);
}
