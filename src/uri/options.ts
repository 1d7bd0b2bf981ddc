/**
 * The connection options (`?key=value&...`) of a connection string, per the URI options
 * specification: case-insensitive keys, percent-decoded values, typed parsing, and the rule
 * that an unknown key or an invalid value is ignored with a warning rather than an error.
 * Rules that relate several options to each other live in option-rules.ts.
 */
import { ConnectionStringError } from '../errors.js';
import type { ReadPreferenceMode, TagSet } from '../selection/read-preference.js';
import { didYouMean } from '../nearest-name.js';
import { percentDecode } from './percent-encoding.js';

export type CompressorName = 'snappy' | 'zlib' | 'zstd';

/** How monitors check servers: a streaming (awaitable) hello, polling, or streaming outside FaaS. */
export type ServerMonitoringMode = 'stream' | 'poll' | 'auto';

/**
 * Every option waspnest understands, typed, with the specification's camelCase names.
 * An option is present only when the connection string gave a valid value for it.
 * Secrets (proxyPassword, tlsCertificateKeyFilePassword, authMechanismProperties.AWS_SESSION_TOKEN)
 * are non-enumerable so that printing or spreading the options never shows them: read them directly.
 */
export interface ConnectionOptions {
  readonly adaptiveRetries?: boolean;
  readonly appName?: string;
  readonly authMechanism?: string;
  readonly authMechanismProperties?: Readonly<Record<string, string | boolean>>;
  readonly authSource?: string;
  readonly compressors?: readonly CompressorName[];
  /** 0 means no timeout. */
  readonly connectTimeoutMS?: number;
  readonly directConnection?: boolean;
  /** At least 500. */
  readonly heartbeatFrequencyMS?: number;
  readonly journal?: boolean;
  readonly loadBalanced?: boolean;
  readonly localThresholdMS?: number;
  readonly maxConnecting?: number;
  readonly maxIdleTimeMS?: number;
  readonly maxPoolSize?: number;
  /** -1 means no maximum staleness. */
  readonly maxStalenessSeconds?: number;
  readonly minPoolSize?: number;
  readonly proxyHost?: string;
  readonly proxyPassword?: string;
  readonly proxyPort?: number;
  readonly proxyUsername?: string;
  readonly readConcernLevel?: string;
  readonly readPreference?: ReadPreferenceMode;
  /** Ordered tag sets, one per readPreferenceTags occurrence; an empty value gives `{}` (any server). */
  readonly readPreferenceTags?: readonly TagSet[];
  readonly replicaSet?: string;
  readonly retryReads?: boolean;
  readonly retryWrites?: boolean;
  readonly serverMonitoringMode?: ServerMonitoringMode;
  /** 0 is accepted and means: do not wait, decide from the current snapshot. */
  readonly serverSelectionTimeoutMS?: number;
  readonly serverSelectionTryOnce?: boolean;
  readonly socketTimeoutMS?: number;
  /** 0 means no limit. Only with mongodb+srv. */
  readonly srvMaxHosts?: number;
  /** Only with mongodb+srv; the default is "mongodb". */
  readonly srvServiceName?: string;
  readonly timeoutMS?: number;
  /** `ssl` is an alias. Defaults to true for mongodb+srv. */
  readonly tls?: boolean;
  readonly tlsAllowInvalidCertificates?: boolean;
  readonly tlsAllowInvalidHostnames?: boolean;
  readonly tlsCAFile?: string;
  readonly tlsCertificateKeyFile?: string;
  readonly tlsCertificateKeyFilePassword?: string;
  readonly tlsDisableCertificateRevocationCheck?: boolean;
  readonly tlsDisableOCSPEndpointCheck?: boolean;
  readonly tlsInsecure?: boolean;
  /** A number of nodes, or a string such as "majority" or a tag set name. */
  readonly w?: number | string;
  readonly waitQueueTimeoutMS?: number;
  readonly wTimeoutMS?: number;
  /** -1 (the library default) to 9. */
  readonly zlibCompressionLevel?: number;
}

export type OptionName = keyof ConnectionOptions;

type OptionValue<K extends OptionName> = NonNullable<ConnectionOptions[K]>;

type Parsed<T> =
  | { readonly ok: true; readonly value: T; readonly warning?: string }
  | { readonly ok: false; readonly reason: string };

interface OptionDefinition<T> {
  parse(text: string): Parsed<T>;
  /** Present for list options: repeated keys add to the list instead of replacing it. */
  merge?(previous: T, next: T): T;
  /** Never echo the value (in warnings, errors, or the redacted string). */
  readonly sensitive?: boolean;
}

const ok = <T>(value: T, warning?: string): Parsed<T> =>
  warning ? { ok: true, value, warning } : { ok: true, value };
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

const int32Max = 2 ** 31 - 1;

function integer(min: number, max = int32Max): OptionDefinition<number> {
  return {
    parse(text) {
      if (!/^-?\d+$/.test(text)) return bad('is not an integer');
      const n = Number(text);
      if (!Number.isSafeInteger(n) || n > max) return bad(`must be at most ${max}`);
      if (n < min) return bad(`must be at least ${min}`);
      return ok(n);
    },
  };
}

const boolean: OptionDefinition<boolean> = {
  parse(text) {
    const lower = text.toLowerCase();
    if (lower === 'true') return ok(true);
    if (lower === 'false') return ok(false);
    return bad('must be "true" or "false"');
  },
};

const anyString: OptionDefinition<string> = { parse: (text) => ok(text) };
const secretString: OptionDefinition<string> = { parse: (text) => ok(text), sensitive: true };

function oneOf<T extends string>(values: readonly T[]): OptionDefinition<T> {
  const byLower = new Map(values.map((v) => [v.toLowerCase(), v] as const));
  return {
    parse(text) {
      const value = byLower.get(text.toLowerCase());
      return value === undefined ? bad(`must be one of ${values.join(', ')}`) : ok(value);
    },
  };
}

/** `k1:v1,k2:v2`: the key is up to the first ':', the value may itself contain ':'. */
function parseKeyValueList(text: string): Parsed<Map<string, string>> {
  const pairs = new Map<string, string>();
  for (const item of text.split(',')) {
    const colon = item.indexOf(':');
    if (colon <= 0)
      return bad('must be a comma-separated list of key:value pairs (a value cannot contain a comma)');
    const key = item.slice(0, colon);
    if (pairs.has(key)) return bad(`names the key '${key}' twice`);
    pairs.set(key, item.slice(colon + 1));
  }
  return ok(pairs);
}

const readPreferenceTags: OptionDefinition<readonly TagSet[]> = {
  parse(text) {
    if (text === '') return ok([Object.freeze({})]); // the empty tag set: any server
    const pairs = parseKeyValueList(text);
    if (!pairs.ok) return pairs;
    return ok([Object.freeze(Object.fromEntries(pairs.value))]);
  },
  merge: (previous, next) => [...previous, ...next],
};

// Secret properties are kept non-enumerable, like the password.
const secretAuthProperties = new Set(['AWS_SESSION_TOKEN']);

const authMechanismProperties: OptionDefinition<Readonly<Record<string, string | boolean>>> = {
  parse(text) {
    const pairs = parseKeyValueList(text);
    if (!pairs.ok) return pairs;
    const properties: Record<string, string | boolean> = {};
    for (const [key, value] of pairs.value) {
      // The auth specification gives CANONICALIZE_HOST_NAME the legacy boolean values too.
      const typed =
        key === 'CANONICALIZE_HOST_NAME' && /^(true|false)$/i.test(value)
          ? value.toLowerCase() === 'true'
          : value;
      Object.defineProperty(properties, key, { value: typed, enumerable: !secretAuthProperties.has(key) });
    }
    return ok(Object.freeze(properties));
  },
  sensitive: true,
};

const knownCompressors: readonly CompressorName[] = ['snappy', 'zlib', 'zstd'];

const compressors: OptionDefinition<readonly CompressorName[]> = {
  parse(text) {
    const names = text.split(',');
    const known = names.filter((n): n is CompressorName =>
      (knownCompressors as readonly string[]).includes(n),
    );
    const unknown = names.filter((n) => !(knownCompressors as readonly string[]).includes(n));
    if (known.length === 0) return bad(`names no supported compressor (${knownCompressors.join(', ')})`);
    return ok(
      [...new Set(known)],
      unknown.length > 0
        ? `Unsupported compressors ${unknown.map((n) => `'${n}'`).join(', ')} ignored`
        : undefined,
    );
  },
};

const knownAuthMechanisms = [
  'DEFAULT',
  'GSSAPI',
  'MONGODB-AWS',
  'MONGODB-CR',
  'MONGODB-OIDC',
  'MONGODB-X509',
  'PLAIN',
  'SCRAM-SHA-1',
  'SCRAM-SHA-256',
] as const;

const maxStalenessSeconds: OptionDefinition<number> = {
  parse(text) {
    const n = integer(-1).parse(text);
    if (n.ok && n.value === 0) return bad('must be -1 (no maximum) or a positive number of seconds');
    return n;
  },
};

const writeConcernW: OptionDefinition<number | string> = {
  parse(text) {
    if (/^-?\d+$/.test(text)) return integer(0).parse(text);
    return ok(text);
  },
};

/** RFC 6335 service names, allowed to exceed 15 characters as the seedlist specification says. */
const srvServiceName: OptionDefinition<string> = {
  parse(text) {
    const valid =
      text.length <= 62 &&
      /^[A-Za-z0-9-]+$/.test(text) &&
      /[A-Za-z]/.test(text) &&
      !text.startsWith('-') &&
      !text.endsWith('-') &&
      !text.includes('--');
    return valid ? ok(text) : bad('is not a valid SRV service name (letters, digits and single hyphens)');
  },
};

const appName: OptionDefinition<string> = {
  parse(text) {
    // The handshake specification caps the application name at 128 bytes.
    return Buffer.byteLength(text, 'utf8') > 128 ? bad('is longer than 128 bytes') : ok(text);
  },
};

/** The definition of every option, by its specification name. */
const definitions: { readonly [K in OptionName]-?: OptionDefinition<OptionValue<K>> } = {
  adaptiveRetries: boolean,
  appName,
  authMechanism: oneOf(knownAuthMechanisms),
  authMechanismProperties,
  authSource: anyString,
  compressors,
  connectTimeoutMS: integer(0),
  directConnection: boolean,
  heartbeatFrequencyMS: integer(500),
  journal: boolean,
  loadBalanced: boolean,
  localThresholdMS: integer(0),
  maxConnecting: integer(1),
  maxIdleTimeMS: integer(0),
  maxPoolSize: integer(0),
  maxStalenessSeconds,
  minPoolSize: integer(0),
  proxyHost: anyString,
  proxyPassword: secretString,
  proxyPort: integer(0, 65535),
  proxyUsername: anyString,
  readConcernLevel: anyString,
  readPreference: oneOf<ReadPreferenceMode>([
    'primary',
    'primaryPreferred',
    'secondary',
    'secondaryPreferred',
    'nearest',
  ]),
  readPreferenceTags,
  replicaSet: anyString,
  retryReads: boolean,
  retryWrites: boolean,
  serverMonitoringMode: oneOf<ServerMonitoringMode>(['stream', 'poll', 'auto']),
  serverSelectionTimeoutMS: integer(0),
  serverSelectionTryOnce: boolean,
  socketTimeoutMS: integer(0),
  srvMaxHosts: integer(0),
  srvServiceName,
  timeoutMS: integer(0),
  tls: boolean,
  tlsAllowInvalidCertificates: boolean,
  tlsAllowInvalidHostnames: boolean,
  tlsCAFile: anyString,
  tlsCertificateKeyFile: anyString,
  tlsCertificateKeyFilePassword: secretString,
  tlsDisableCertificateRevocationCheck: boolean,
  tlsDisableOCSPEndpointCheck: boolean,
  tlsInsecure: boolean,
  w: writeConcernW,
  waitQueueTimeoutMS: integer(0),
  wTimeoutMS: integer(0, Number.MAX_SAFE_INTEGER),
  zlibCompressionLevel: integer(-1, 9),
};

/** Other spellings accepted for an option. `ssl` is required for Atlas connection strings. */
const aliases: Readonly<Record<string, OptionName>> = { ssl: 'tls' };

/** Every option name waspnest understands (aliases not included). */
export const knownOptionNames: readonly OptionName[] = Object.freeze(
  Object.keys(definitions) as OptionName[],
);

/** Connection string keys are normalised by lower-casing ASCII A-Z only. */
export function normaliseOptionKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

const namesByKey: ReadonlyMap<string, OptionName> = new Map<string, OptionName>([
  ...knownOptionNames.map((name) => [normaliseOptionKey(name), name] as const),
  ...Object.entries(aliases),
]);

/** The option a key names (any case, aliases included), or undefined for an unknown key. */
export function optionNameFor(key: string): OptionName | undefined {
  return namesByKey.get(normaliseOptionKey(key));
}

/** Whether an option's value must never be printed. */
export function isSensitiveOption(name: OptionName): boolean {
  return definitions[name].sensitive === true;
}

/** One `key=value` of the options part, as written and decoded. */
export interface OptionPair {
  readonly rawKey: string;
  readonly rawValue: string;
  /** The decoded key, as written (case kept). */
  readonly key: string;
  readonly name: OptionName | undefined;
}

/**
 * Splits `a=1&b=2` into pairs. Empty segments (`a=1&&b=2`, a trailing `&`) are skipped;
 * a segment without `=` is an error, since its meaning cannot be guessed.
 */
export function splitOptionPairs(query: string): OptionPair[] {
  const pairs: OptionPair[] = [];
  for (const segment of query.split('&')) {
    if (segment === '') continue;
    const equals = segment.indexOf('=');
    if (equals === -1) {
      throw new ConnectionStringError(
        segment.includes('@')
          ? "An option has no '=' and contains '@': the user name or password probably contains an unescaped '?'; " +
              'percent-encode it'
          : `The option '${segment}' has no value: options are written key=value`,
      );
    }
    const rawKey = segment.slice(0, equals);
    if (rawKey.includes('@')) {
      throw new ConnectionStringError(
        "An option name contains '@': the user name or password probably contains an unescaped '?'; percent-encode it",
      );
    }
    const key = percentDecode(rawKey, 'An option name');
    if (key === '')
      throw new ConnectionStringError("An option has an empty name (a segment starts with '=')");
    pairs.push({ rawKey, rawValue: segment.slice(equals + 1), key, name: optionNameFor(key) });
  }
  return pairs;
}

export interface ParsedOptions {
  readonly options: ConnectionOptions;
  readonly warnings: readonly string[];
  /** Every known option that was written, valid or not (some rules depend on mere presence). */
  readonly given: ReadonlySet<OptionName>;
}

/** Options whose repetition is an error rather than a warning (the SOCKS5 specification). */
const repeatIsError: ReadonlySet<OptionName> = new Set([
  'proxyHost',
  'proxyPort',
  'proxyUsername',
  'proxyPassword',
]);

/** Parses the options part of a connection string (the text after `?`, or a TXT record). */
export function parseOptions(query: string): ParsedOptions {
  const warnings: string[] = [];
  const occurrences = new Map<OptionName, { key: string; value: string }[]>();
  for (const pair of splitOptionPairs(query)) {
    if (pair.name === undefined) {
      warnings.push(`Unsupported option '${pair.key}' (ignored)${didYouMean(pair.key, knownOptionNames)}`);
      continue;
    }
    const value = percentDecode(pair.rawValue, `The value of option '${pair.key}'`);
    const list = occurrences.get(pair.name) ?? [];
    list.push({ key: pair.key, value });
    occurrences.set(pair.name, list);
  }

  const values: Partial<Record<OptionName, unknown>> = {};
  for (const [name, given] of occurrences) {
    const value = resolveOption(name, given, warnings);
    if (value !== undefined) values[name] = value;
  }
  return { options: freezeOptions(values), warnings, given: new Set(occurrences.keys()) };
}

/** The value of one option from all its occurrences, or undefined when none is usable. */
function resolveOption(
  name: OptionName,
  given: readonly { key: string; value: string }[],
  warnings: string[],
): unknown {
  const definition = definitions[name] as OptionDefinition<unknown>;
  const parseOne = ({ key, value }: { key: string; value: string }): Parsed<unknown> | undefined => {
    if (value === '' && !definition.merge) {
      warnings.push(`Option '${key}' has an empty value (ignored)`);
      return undefined;
    }
    const parsed = definition.parse(value);
    if (!parsed.ok) {
      const shown = definition.sensitive ? '' : ` "${value}"`;
      warnings.push(`Unsupported value${shown} for option '${key}': it ${parsed.reason} (ignored)`);
      return undefined;
    }
    if (parsed.warning) warnings.push(`Option '${key}': ${parsed.warning}`);
    return parsed;
  };

  if (given.length > 1 && repeatIsError.has(name)) {
    throw new ConnectionStringError(`The option '${name}' is given more than once`);
  }
  if (definition.merge) {
    let merged: unknown;
    for (const occurrence of given) {
      const parsed = parseOne(occurrence);
      if (parsed?.ok) merged = merged === undefined ? parsed.value : definition.merge(merged, parsed.value);
    }
    return merged;
  }
  if (name === 'tls') return resolveTls(given, parseOne);

  const last = given[given.length - 1];
  if (given.length > 1)
    warnings.push(`The option '${last?.key ?? name}' is given more than once; the last value is used`);
  const parsed = last ? parseOne(last) : undefined;
  return parsed?.ok ? parsed.value : undefined;
}

/** `tls` and `ssl` may both appear, any number of times, as long as they all agree. */
function resolveTls(
  given: readonly { key: string; value: string }[],
  parseOne: (o: { key: string; value: string }) => Parsed<unknown> | undefined,
): unknown {
  const seen = new Set<unknown>();
  for (const occurrence of given) {
    const parsed = parseOne(occurrence);
    if (parsed?.ok) seen.add(parsed.value);
  }
  if (seen.size > 1) {
    throw new ConnectionStringError(
      `The options ${[...new Set(given.map((g) => `'${g.key}'`))].join(' and ')} disagree: all tls and ssl values must be the same`,
    );
  }
  return [...seen][0];
}

/** Freezes the options with the secret values non-enumerable. */
function freezeOptions(values: Partial<Record<OptionName, unknown>>): ConnectionOptions {
  const options: Partial<Record<OptionName, unknown>> = {};
  for (const name of Object.keys(values) as OptionName[]) {
    const secret = definitions[name] === secretString;
    Object.defineProperty(options, name, { value: values[name], enumerable: !secret });
  }
  // The values were produced by each option's typed parser above.
  return Object.freeze(options) as ConnectionOptions;
}

/** The options with other values overlaid (later wins), keeping secrets non-enumerable. */
export function mergeOptions(base: ConnectionOptions, ...overlays: ConnectionOptions[]): ConnectionOptions {
  const values: Partial<Record<OptionName, unknown>> = {};
  for (const source of [base, ...overlays]) {
    for (const name of Object.getOwnPropertyNames(source) as OptionName[]) values[name] = source[name];
  }
  return freezeOptions(values);
}
