/**
 * A Topology's settings: options from the connection string and from the constructor merged
 * (the constructor wins; for `mongodb+srv://`, a TXT record's options sit below both), defaults
 * applied, and every value and combination validated with an error that names the option.
 */
import { readFileSync } from 'node:fs';
import { systemClock, type Clock } from '../time/clock.js';
import type { Address } from '../description/types.js';
import { TopologyOptionsError } from '../errors.js';
import { didYouMean } from '../nearest-name.js';
import { checkOptionRules } from '../uri/option-rules.js';
import type {
  LookupFunction,
  ServerMonitorFactory,
  ServerMonitoringMode,
  TlsSettings,
} from '../monitor/server-monitor-types.js';
import type { SrvResolver } from '../monitor/srv-poller.js';

/** Options a Topology accepts in its constructor. URI options of the same name are overridden. */
export interface TopologyOptions {
  /** How often each server is checked, in ms (default 10000, at least minHeartbeatFrequencyMS). */
  heartbeatFrequencyMS?: number;
  /**
   * At most one immediate check per server per this many ms (default 500, the specification's
   * fixed value). Only tests have a reason to lower it.
   */
  minHeartbeatFrequencyMS?: number;
  /** How long `selectServer` and `connect` wait for a suitable server, in ms (default 30000). */
  serverSelectionTimeoutMS?: number;
  /** The latency window above the fastest suitable server, in ms (default 15). */
  localThresholdMS?: number;
  /** Connect timeout of monitoring connections, in ms (default 10000; 0 means none). */
  connectTimeoutMS?: number;
  /** `stream` (awaitable hello), `poll`, or `auto` (stream except in FaaS environments; default). */
  serverMonitoringMode?: ServerMonitoringMode;
  /** Talk to the one seed only, whatever it says about other members. */
  directConnection?: boolean;
  /** The replica set name every member must report. */
  replicaSet?: string;
  /** The one seed is a load balancer: no monitoring, the server is always selectable. */
  loadBalanced?: boolean;
  /** Sent to servers in the handshake (shows in server logs). */
  appName?: string;
  /** Use TLS (default false; true for `mongodb+srv://`). */
  tls?: boolean;
  /** Path of a PEM file of certificate authorities. */
  tlsCAFile?: string;
  /** Path of a PEM file holding the client certificate and its key. */
  tlsCertificateKeyFile?: string;
  /** PEM certificate authorities, given in memory (wins over tlsCAFile). */
  tlsCA?: string | Buffer;
  /** PEM client certificate and key, given in memory (wins over tlsCertificateKeyFile). */
  tlsCertificateKey?: string | Buffer;
  tlsAllowInvalidCertificates?: boolean;
  tlsAllowInvalidHostnames?: boolean;
  /** Both of the above. */
  tlsInsecure?: boolean;
  /** `mongodb+srv://` only: use at most this many hosts of the SRV records (0: all). */
  srvMaxHosts?: number;
  /** `mongodb+srv://` only: the SRV service name (default `mongodb`). */
  srvServiceName?: string;
  /**
   * `mongodb+srv://` only: how often the SRV records are rescanned while the topology is Sharded
   * or Unknown, in ms (default 60000, or the records' TTL when the resolver reports one).
   */
  rescanSRVIntervalMS?: number;
  /** Replaces DNS resolution of host names for monitoring connections. */
  lookup?: LookupFunction;
  /** Start monitoring on first use (selectServer, selectServerNow, scheduleRefresh, waitForRefresh) instead of at connect(). */
  lazy?: boolean;
  /** The clock every timer and time reading goes through (tests pass a virtual one). */
  clock?: Clock;
  /** Creates the server monitors (default: the socket monitors of this package). */
  monitorFactory?: ServerMonitorFactory;
  /** Resolves SRV and TXT records (default: node:dns). */
  srvResolver?: SrvResolver;
  /** Random numbers in [0, 1) for picking among equal servers and SRV hosts (tests pass a seeded one). */
  random?: () => number;
  /** Warn when more than this many topologies to one deployment are open in the process (default 10). */
  maxTopologiesPerDeployment?: number;
  /**
   * Receives each warning about the connection string or the SRV host's TXT record: an unknown
   * option (with the nearest known name) or an invalid value, which is ignored as the
   * specification requires. Default: a process warning (`WASPNEST_CONNECTION_STRING`), once per
   * message per process.
   */
  onWarning?: (message: string) => void;
}

/** Every key of TopologyOptions: the constructor rejects any other, so a misspelling cannot pass unnoticed. */
export const topologyOptionNames = Object.freeze([
  'heartbeatFrequencyMS',
  'minHeartbeatFrequencyMS',
  'serverSelectionTimeoutMS',
  'localThresholdMS',
  'connectTimeoutMS',
  'serverMonitoringMode',
  'directConnection',
  'replicaSet',
  'loadBalanced',
  'appName',
  'tls',
  'tlsCAFile',
  'tlsCertificateKeyFile',
  'tlsCA',
  'tlsCertificateKey',
  'tlsAllowInvalidCertificates',
  'tlsAllowInvalidHostnames',
  'tlsInsecure',
  'srvMaxHosts',
  'srvServiceName',
  'rescanSRVIntervalMS',
  'lookup',
  'lazy',
  'clock',
  'monitorFactory',
  'srvResolver',
  'random',
  'maxTopologiesPerDeployment',
  'onWarning',
] as const satisfies readonly (keyof TopologyOptions)[]);
// Fails to compile when an option is added to TopologyOptions but not to the list above.
const _everyOptionListed: [Exclude<keyof TopologyOptions, (typeof topologyOptionNames)[number]>] extends [
  never,
]
  ? true
  : never = true;
const knownOptionNames: ReadonlySet<string> = new Set(topologyOptionNames);

/**
 * The options this file reads from a parsed connection string (or a TXT record), by their
 * canonical names. Values are already typed by the connection-string parser.
 */
export interface UriTopologyOptions {
  readonly heartbeatFrequencyMS?: number;
  readonly serverSelectionTimeoutMS?: number;
  readonly localThresholdMS?: number;
  readonly connectTimeoutMS?: number;
  readonly serverMonitoringMode?: string;
  readonly directConnection?: boolean;
  readonly replicaSet?: string;
  readonly loadBalanced?: boolean;
  readonly appName?: string;
  readonly tls?: boolean;
  readonly tlsCAFile?: string;
  readonly tlsCertificateKeyFile?: string;
  readonly tlsAllowInvalidCertificates?: boolean;
  readonly tlsAllowInvalidHostnames?: boolean;
  readonly tlsInsecure?: boolean;
  readonly srvMaxHosts?: number;
  readonly srvServiceName?: string;
}

const uriOptionNames: ReadonlySet<string> = new Set(
  Object.keys({
    heartbeatFrequencyMS: true,
    serverSelectionTimeoutMS: true,
    localThresholdMS: true,
    connectTimeoutMS: true,
    serverMonitoringMode: true,
    directConnection: true,
    replicaSet: true,
    loadBalanced: true,
    appName: true,
    tls: true,
    tlsCAFile: true,
    tlsCertificateKeyFile: true,
    tlsAllowInvalidCertificates: true,
    tlsAllowInvalidHostnames: true,
    tlsInsecure: true,
    srvMaxHosts: true,
    srvServiceName: true,
  } satisfies Record<keyof UriTopologyOptions, true>),
);

/** Where the seeds come from. */
export interface SeedSource {
  readonly scheme: 'mongodb' | 'mongodb+srv';
  /** The hosts of a `mongodb://` string (empty for `mongodb+srv://` until resolved). */
  readonly hosts: readonly Address[];
  /** The SRV host name of a `mongodb+srv://` string, or null. */
  readonly srvHost: string | null;
}

/** Every setting of a Topology, resolved and validated. */
export interface TopologySettings {
  readonly scheme: 'mongodb' | 'mongodb+srv';
  readonly srvHost: string | null;
  readonly seeds: readonly Address[];
  readonly heartbeatFrequencyMS: number;
  readonly minHeartbeatFrequencyMS: number;
  readonly serverSelectionTimeoutMS: number;
  readonly localThresholdMS: number;
  readonly connectTimeoutMS: number;
  readonly serverMonitoringMode: ServerMonitoringMode;
  readonly directConnection: boolean;
  readonly replicaSet: string | null;
  readonly loadBalanced: boolean;
  readonly appName: string | null;
  readonly tls: TlsSettings | undefined;
  readonly srvMaxHosts: number;
  readonly srvServiceName: string;
  readonly rescanSRVIntervalMS: number;
  readonly lookup: LookupFunction | undefined;
  readonly lazy: boolean;
  readonly clock: Clock;
  readonly monitorFactory: ServerMonitorFactory | undefined;
  readonly srvResolver: SrvResolver | undefined;
  readonly random: () => number;
  readonly maxTopologiesPerDeployment: number;
  readonly onWarning: (message: string) => void;
}

export const DEFAULTS = {
  heartbeatFrequencyMS: 10_000,
  minHeartbeatFrequencyMS: 500,
  serverSelectionTimeoutMS: 30_000,
  localThresholdMS: 15,
  connectTimeoutMS: 10_000,
  serverMonitoringMode: 'auto',
  srvServiceName: 'mongodb',
  rescanSRVIntervalMS: 60_000,
  maxTopologiesPerDeployment: 10,
} as const;

const monitoringModes: readonly string[] = ['stream', 'poll', 'auto'];

/**
 * Merges the layers (lowest first: TXT record options, connection-string options, constructor
 * options), applies defaults and validates: each value on its own, then the combinations with the
 * connection string's rules (uri/option-rules.ts). Throws TopologyOptionsError naming the option.
 */
export function resolveTopologySettings(
  source: SeedSource,
  uriOptions: UriTopologyOptions,
  options: TopologyOptions,
  txtOptions: UriTopologyOptions = {},
): TopologySettings {
  rejectUnknownOptions(options);
  const merged = mergeLayers(options, uriOptions, txtOptions);
  const isSrv = source.scheme === 'mongodb+srv';
  const timing = timingSettings(merged, options);
  const deployment = deploymentSettings(merged, options);
  const tlsFlags = tlsOptions(merged);
  const given = new Set(Object.keys(merged));
  if (options.rescanSRVIntervalMS !== undefined) given.add('rescanSRVIntervalMS');
  checkOptionRules(
    {
      scheme: source.scheme,
      hosts: source.hosts,
      options: {
        directConnection: deployment.directConnection,
        loadBalanced: deployment.loadBalanced,
        srvMaxHosts: deployment.srvMaxHosts,
        ...(deployment.replicaSet === null ? {} : { replicaSet: deployment.replicaSet }),
        ...tlsFlags.given,
      },
      given,
    },
    TopologyOptionsError,
  );
  return Object.freeze({
    scheme: source.scheme,
    srvHost: source.srvHost,
    seeds: Object.freeze([...source.hosts]),
    ...timing,
    ...deployment,
    tls: tlsSettings(isSrv, merged, options, tlsFlags),
    ...embedderSettings(options),
  });
}

/** Each option's value from the highest layer that sets it. */
function mergeLayers(
  options: TopologyOptions,
  uriOptions: UriTopologyOptions,
  txtOptions: UriTopologyOptions,
): UriTopologyOptions {
  const merged: Record<string, unknown> = {};
  for (const layer of [txtOptions, uriOptions, options as UriTopologyOptions]) {
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined && uriOptionNames.has(key)) merged[key] = value;
    }
  }
  return merged as UriTopologyOptions;
}

type TimingSettings = Pick<
  TopologySettings,
  | 'heartbeatFrequencyMS'
  | 'minHeartbeatFrequencyMS'
  | 'serverSelectionTimeoutMS'
  | 'localThresholdMS'
  | 'connectTimeoutMS'
  | 'serverMonitoringMode'
>;

function timingSettings(merged: UriTopologyOptions, options: TopologyOptions): TimingSettings {
  const minHeartbeatFrequencyMS = duration(
    'minHeartbeatFrequencyMS',
    options.minHeartbeatFrequencyMS,
    DEFAULTS.minHeartbeatFrequencyMS,
  );
  const heartbeatFrequencyMS = duration(
    'heartbeatFrequencyMS',
    merged.heartbeatFrequencyMS,
    DEFAULTS.heartbeatFrequencyMS,
  );
  if (heartbeatFrequencyMS < minHeartbeatFrequencyMS) {
    throw new TopologyOptionsError(
      `heartbeatFrequencyMS must be at least ${minHeartbeatFrequencyMS} (minHeartbeatFrequencyMS), got ${heartbeatFrequencyMS}`,
    );
  }
  const mode = merged.serverMonitoringMode ?? DEFAULTS.serverMonitoringMode;
  if (!monitoringModes.includes(mode)) {
    throw new TopologyOptionsError(
      `serverMonitoringMode must be 'stream', 'poll' or 'auto', got ${describe(mode)}`,
    );
  }
  return {
    heartbeatFrequencyMS,
    minHeartbeatFrequencyMS,
    serverSelectionTimeoutMS: duration(
      'serverSelectionTimeoutMS',
      merged.serverSelectionTimeoutMS,
      DEFAULTS.serverSelectionTimeoutMS,
      { infinite: true },
    ),
    localThresholdMS: duration('localThresholdMS', merged.localThresholdMS, DEFAULTS.localThresholdMS),
    connectTimeoutMS: duration('connectTimeoutMS', merged.connectTimeoutMS, DEFAULTS.connectTimeoutMS),
    serverMonitoringMode: mode as ServerMonitoringMode,
  };
}

type DeploymentSettings = Pick<
  TopologySettings,
  | 'directConnection'
  | 'loadBalanced'
  | 'replicaSet'
  | 'appName'
  | 'srvMaxHosts'
  | 'srvServiceName'
  | 'rescanSRVIntervalMS'
>;

function deploymentSettings(merged: UriTopologyOptions, options: TopologyOptions): DeploymentSettings {
  const srvServiceName = optionalString('srvServiceName', merged.srvServiceName) ?? DEFAULTS.srvServiceName;
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61})$/.test(srvServiceName)) {
    throw new TopologyOptionsError(
      `srvServiceName must be letters, digits and hyphens (at most 62), got ${describe(srvServiceName)}`,
    );
  }
  return {
    directConnection: flag('directConnection', merged.directConnection, false),
    loadBalanced: flag('loadBalanced', merged.loadBalanced, false),
    replicaSet: optionalString('replicaSet', merged.replicaSet) ?? null,
    appName: optionalString('appName', merged.appName) ?? null,
    srvMaxHosts: count('srvMaxHosts', merged.srvMaxHosts, 0),
    srvServiceName,
    rescanSRVIntervalMS: duration(
      'rescanSRVIntervalMS',
      options.rescanSRVIntervalMS,
      DEFAULTS.rescanSRVIntervalMS,
    ),
  };
}

type EmbedderSettings = Pick<
  TopologySettings,
  | 'lookup'
  | 'lazy'
  | 'clock'
  | 'monitorFactory'
  | 'srvResolver'
  | 'random'
  | 'maxTopologiesPerDeployment'
  | 'onWarning'
>;

/** What only the constructor can give: functions, the clock, and behaviour switches. */
function embedderSettings(options: TopologyOptions): EmbedderSettings {
  for (const name of ['lookup', 'monitorFactory', 'random', 'onWarning'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'function') {
      throw new TopologyOptionsError(`${name} must be a function, got ${describe(value)}`);
    }
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function') {
    throw new TopologyOptionsError('clock must have now() and setTimeout(callback, ms)');
  }
  return {
    lookup: options.lookup,
    lazy: flag('lazy', options.lazy, false),
    clock,
    monitorFactory: options.monitorFactory,
    srvResolver: options.srvResolver,
    random: options.random ?? Math.random,
    maxTopologiesPerDeployment: count(
      'maxTopologiesPerDeployment',
      options.maxTopologiesPerDeployment,
      DEFAULTS.maxTopologiesPerDeployment,
    ),
    onWarning: options.onWarning ?? emitProcessWarning,
  };
}

/** A copy of the constructor's options, after checking that it is an object with known keys only. */
export function copyOptions(options: unknown): TopologyOptions {
  rejectUnknownOptions(options);
  return { ...(options as TopologyOptions) };
}

function rejectUnknownOptions(options: unknown): asserts options is object {
  if (typeof options !== 'object' || options === null) {
    throw new TopologyOptionsError(`the options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!knownOptionNames.has(key)) {
      throw new TopologyOptionsError(`unknown option '${key}'${didYouMean(key, topologyOptionNames)}`);
    }
  }
}

const warnedMessages = new Set<string>();

/** The default onWarning: each message once per process, as Node does for deprecations. */
function emitProcessWarning(message: string): void {
  if (warnedMessages.has(message)) return;
  warnedMessages.add(message);
  process.emitWarning(message, { code: 'WASPNEST_CONNECTION_STRING' });
}

interface TlsOptions {
  /** The TLS-relaxing flags that were set, for the combination rules. */
  readonly given: Pick<
    UriTopologyOptions,
    'tlsInsecure' | 'tlsAllowInvalidCertificates' | 'tlsAllowInvalidHostnames'
  >;
  readonly caFile: string | undefined;
  readonly keyFile: string | undefined;
}

function tlsOptions(merged: UriTopologyOptions): TlsOptions {
  const given: Record<string, boolean> = {};
  for (const name of ['tlsInsecure', 'tlsAllowInvalidCertificates', 'tlsAllowInvalidHostnames'] as const) {
    if (merged[name] !== undefined) given[name] = flag(name, merged[name], false);
  }
  return {
    given,
    caFile: optionalString('tlsCAFile', merged.tlsCAFile),
    keyFile: optionalString('tlsCertificateKeyFile', merged.tlsCertificateKeyFile),
  };
}

function tlsSettings(
  isSrv: boolean,
  merged: UriTopologyOptions,
  options: TopologyOptions,
  { given, caFile, keyFile }: TlsOptions,
): TlsSettings | undefined {
  const insecure = given.tlsInsecure === true;
  const anyTlsOption =
    Object.keys(given).length > 0 ||
    caFile !== undefined ||
    keyFile !== undefined ||
    options.tlsCA !== undefined ||
    options.tlsCertificateKey !== undefined;
  const enabled = flag('tls', merged.tls, isSrv || anyTlsOption);
  if (!enabled) {
    if (anyTlsOption) {
      throw new TopologyOptionsError('TLS options were given but tls=false: remove them or set tls=true');
    }
    return undefined;
  }
  const ca = options.tlsCA ?? (caFile === undefined ? undefined : readPem('tlsCAFile', caFile));
  const certificateKey =
    options.tlsCertificateKey ??
    (keyFile === undefined ? undefined : readPem('tlsCertificateKeyFile', keyFile));
  return Object.freeze({
    enabled: true,
    ...(ca === undefined ? {} : { ca }),
    // One PEM holds both: Node's TLS takes the certificate and the key out of it.
    ...(certificateKey === undefined ? {} : { cert: certificateKey, key: certificateKey }),
    allowInvalidCertificates: insecure || given.tlsAllowInvalidCertificates === true,
    allowInvalidHostnames: insecure || given.tlsAllowInvalidHostnames === true,
  });
}

function readPem(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new TopologyOptionsError(`${option}: cannot read ${path} (${(error as Error).message})`, {
      cause: error,
    });
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function duration(name: string, value: unknown, fallback: number, { infinite = false } = {}): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < 0 ||
    (!infinite && !Number.isFinite(value))
  ) {
    throw new TopologyOptionsError(
      `${name} must be a non-negative number of milliseconds${infinite ? ' (or Infinity)' : ''}, got ${describe(value)}`,
    );
  }
  return value;
}

function count(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TopologyOptionsError(`${name} must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new TopologyOptionsError(`${name} must be true or false, got ${describe(value)}`);
  return value;
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new TopologyOptionsError(`${name} must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}
