/**
 * Rules that relate options to each other and to the hosts and scheme: combinations the
 * specifications declare errors (not warnings), because guessing would be unsafe. One set of
 * rules for every layer: a connection string checks them as parsed (ConnectionStringError), a
 * Topology over its merged options (TXT record, string, constructor; TopologyOptionsError), and
 * again once an SRV lookup has given the hosts.
 */
import { ConnectionStringError } from '../errors.js';
import type { HostIdentifier } from './hosts.js';
import type { ConnectionOptions } from './options.js';

/** The error a broken rule throws: its message names the options. */
export type OptionErrorClass = new (message: string) => Error;

export interface OptionRuleContext {
  readonly scheme: 'mongodb' | 'mongodb+srv';
  /** The hosts the options apply to; for mongodb+srv, none until the SRV records are resolved. */
  readonly hosts: readonly unknown[];
  readonly options: ConnectionOptions;
  /** Options given, valid or not (a connection string's invalid values are dropped from `options`). */
  readonly given: ReadonlySet<string>;
}

// Options that each relax TLS checking; the URI options specification forbids combining them
// because their combined meaning differs between TLS libraries.
const tlsConflicts: readonly (readonly [keyof ConnectionOptions, keyof ConnectionOptions])[] = [
  ['tlsInsecure', 'tlsAllowInvalidCertificates'],
  ['tlsInsecure', 'tlsAllowInvalidHostnames'],
  ['tlsInsecure', 'tlsDisableOCSPEndpointCheck'],
  ['tlsInsecure', 'tlsDisableCertificateRevocationCheck'],
  ['tlsAllowInvalidCertificates', 'tlsDisableOCSPEndpointCheck'],
  ['tlsAllowInvalidCertificates', 'tlsDisableCertificateRevocationCheck'],
  ['tlsDisableOCSPEndpointCheck', 'tlsDisableCertificateRevocationCheck'],
];

/** Options that mean something only for mongodb+srv:// (rescanSRVIntervalMS is the Topology's). */
const srvOnlyOptions = ['srvMaxHosts', 'srvServiceName', 'rescanSRVIntervalMS'] as const;

/** Throws `error` (default ConnectionStringError) for the first rule the options break. */
export function checkOptionRules(
  context: OptionRuleContext,
  error: OptionErrorClass = ConnectionStringError,
): void {
  const { scheme, hosts, options, given } = context;
  checkTls(options, error);
  checkSrvOptions(scheme, options, given, error);
  checkTopologyOptions(hosts, options, error);
  checkReadPreference(options, error);
  checkProxy(options, error);
}

/** The host of a mongodb+srv:// string: exactly one DNS name, without a port. */
export function checkSrvHost(hosts: readonly HostIdentifier[]): void {
  if (hosts.length !== 1) {
    throw new ConnectionStringError('A mongodb+srv:// connection string must name exactly one host');
  }
  const [host] = hosts;
  if (host && host.port !== null) {
    throw new ConnectionStringError(
      'A mongodb+srv:// connection string cannot have a port (the SRV records give the ports)',
    );
  }
  if (host && host.type !== 'hostname') {
    throw new ConnectionStringError(
      'A mongodb+srv:// connection string needs a DNS host name, not an address or socket',
    );
  }
}

function checkTls(options: ConnectionOptions, error: OptionErrorClass): void {
  for (const [a, b] of tlsConflicts) {
    if (options[a] !== undefined && options[b] !== undefined) {
      throw new error(`The options '${a}' and '${b}' cannot be used together`);
    }
  }
}

function checkSrvOptions(
  scheme: OptionRuleContext['scheme'],
  options: ConnectionOptions,
  given: ReadonlySet<string>,
  error: OptionErrorClass,
): void {
  if (scheme !== 'mongodb+srv') {
    for (const name of srvOnlyOptions) {
      if (given.has(name)) throw new error(`The option '${name}' can only be used with mongodb+srv://`);
    }
    return;
  }
  if (options.directConnection === true) {
    throw new error('directConnection=true cannot be used with mongodb+srv:// (it may name many hosts)');
  }
  // srvMaxHosts picks a random subset, which cannot work with a replica set name or a load balancer.
  if ((options.srvMaxHosts ?? 0) > 0) {
    if (options.replicaSet !== undefined) {
      throw new error('srvMaxHosts cannot be used together with replicaSet');
    }
    if (options.loadBalanced === true) {
      throw new error('srvMaxHosts cannot be used together with loadBalanced=true');
    }
  }
}

function checkTopologyOptions(
  hosts: readonly unknown[],
  options: ConnectionOptions,
  error: OptionErrorClass,
): void {
  if (options.directConnection === true && hosts.length > 1) {
    throw new error(`directConnection=true needs exactly one host, but ${hosts.length} were given`);
  }
  if (options.loadBalanced === true) {
    if (hosts.length > 1) {
      throw new error(
        `loadBalanced=true needs exactly one host (the load balancer), but ${hosts.length} were given`,
      );
    }
    if (options.replicaSet !== undefined) {
      throw new error('loadBalanced=true cannot be used together with replicaSet');
    }
    if (options.directConnection === true) {
      throw new error('loadBalanced=true cannot be used together with directConnection=true');
    }
  }
}

function checkReadPreference(options: ConnectionOptions, error: OptionErrorClass): void {
  const mode = options.readPreference ?? 'primary';
  if (mode !== 'primary') return;
  // The max staleness specification: a positive value with mode primary (even by default) is invalid.
  if ((options.maxStalenessSeconds ?? -1) > 0) {
    throw new error('maxStalenessSeconds cannot be used with read preference mode primary');
  }
  if (options.readPreferenceTags?.some((tags) => Object.keys(tags).length > 0)) {
    throw new error('readPreferenceTags cannot be used with read preference mode primary');
  }
}

/** The SOCKS5 specification: the other proxy options need proxyHost; user and password go together. */
function checkProxy(options: ConnectionOptions, error: OptionErrorClass): void {
  if (options.proxyHost === undefined) {
    for (const name of ['proxyPort', 'proxyUsername', 'proxyPassword'] as const) {
      if (options[name] !== undefined) throw new error(`The option '${name}' requires proxyHost`);
    }
    return;
  }
  if ((options.proxyUsername === undefined) !== (options.proxyPassword === undefined)) {
    throw new error('proxyUsername and proxyPassword must be given together');
  }
}
