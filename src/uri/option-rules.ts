/**
 * Rules that relate options to each other and to the hosts and scheme: combinations the
 * specifications declare errors (not warnings), because guessing would be unsafe.
 */
import { ConnectionStringError } from '../errors.js';
import type { HostIdentifier } from './hosts.js';
import type { ConnectionOptions, OptionName } from './options.js';

export interface OptionRuleContext {
  readonly scheme: 'mongodb' | 'mongodb+srv';
  readonly hosts: readonly HostIdentifier[];
  readonly options: ConnectionOptions;
  /** Options written in the string, valid or not. */
  readonly given: ReadonlySet<OptionName>;
}

// Options that each relax TLS checking; the URI options specification forbids combining them
// because their combined meaning differs between TLS libraries.
const tlsConflicts: readonly (readonly [OptionName, OptionName])[] = [
  ['tlsInsecure', 'tlsAllowInvalidCertificates'],
  ['tlsInsecure', 'tlsAllowInvalidHostnames'],
  ['tlsInsecure', 'tlsDisableOCSPEndpointCheck'],
  ['tlsInsecure', 'tlsDisableCertificateRevocationCheck'],
  ['tlsAllowInvalidCertificates', 'tlsDisableOCSPEndpointCheck'],
  ['tlsAllowInvalidCertificates', 'tlsDisableCertificateRevocationCheck'],
  ['tlsDisableOCSPEndpointCheck', 'tlsDisableCertificateRevocationCheck'],
];

/** Throws ConnectionStringError for the first rule the options break. */
export function checkOptionRules(context: OptionRuleContext): void {
  checkTls(context.options);
  checkSrv(context);
  checkTopologyOptions(context);
  checkReadPreference(context.options);
  checkProxy(context.options);
}

function checkTls(options: ConnectionOptions): void {
  for (const [a, b] of tlsConflicts) {
    if (options[a] !== undefined && options[b] !== undefined) {
      throw new ConnectionStringError(`The options '${a}' and '${b}' cannot be used together`);
    }
  }
}

function checkSrv({ scheme, hosts, options, given }: OptionRuleContext): void {
  if (scheme !== 'mongodb+srv') {
    for (const name of ['srvMaxHosts', 'srvServiceName'] as const) {
      if (given.has(name))
        throw new ConnectionStringError(`The option '${name}' can only be used with mongodb+srv://`);
    }
    return;
  }
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
  if (options.directConnection === true) {
    throw new ConnectionStringError(
      'directConnection=true cannot be used with mongodb+srv:// (it may name many hosts)',
    );
  }
  checkSrvMaxHosts(options);
}

/** srvMaxHosts picks a random subset, which cannot work with a replica set name or a load balancer. */
export function checkSrvMaxHosts(options: ConnectionOptions): void {
  if ((options.srvMaxHosts ?? 0) > 0) {
    if (options.replicaSet !== undefined) {
      throw new ConnectionStringError('srvMaxHosts cannot be used together with replicaSet');
    }
    if (options.loadBalanced === true) {
      throw new ConnectionStringError('srvMaxHosts cannot be used together with loadBalanced=true');
    }
  }
}

/** directConnection and loadBalanced constraints, also checked again after SRV resolution. */
export function checkTopologyOptions(context: {
  readonly scheme: 'mongodb' | 'mongodb+srv';
  readonly hosts: readonly unknown[];
  readonly options: ConnectionOptions;
}): void {
  const { options, hosts } = context;
  if (options.directConnection === true && hosts.length > 1) {
    throw new ConnectionStringError('directConnection=true cannot be used with more than one host');
  }
  if (options.loadBalanced === true) {
    if (hosts.length > 1)
      throw new ConnectionStringError('loadBalanced=true cannot be used with more than one host');
    if (options.replicaSet !== undefined) {
      throw new ConnectionStringError('loadBalanced=true cannot be used together with replicaSet');
    }
    if (options.directConnection === true) {
      throw new ConnectionStringError('loadBalanced=true cannot be used together with directConnection=true');
    }
  }
}

function checkReadPreference(options: ConnectionOptions): void {
  const mode = options.readPreference ?? 'primary';
  if (mode !== 'primary') return;
  // The max staleness specification: a positive value with mode primary (even by default) is invalid.
  if ((options.maxStalenessSeconds ?? -1) > 0) {
    throw new ConnectionStringError('maxStalenessSeconds cannot be used with read preference mode primary');
  }
  if (options.readPreferenceTags?.some((tags) => Object.keys(tags).length > 0)) {
    throw new ConnectionStringError('readPreferenceTags cannot be used with read preference mode primary');
  }
}

/** The SOCKS5 specification: the other proxy options need proxyHost; user and password go together. */
function checkProxy(options: ConnectionOptions): void {
  if (options.proxyHost === undefined) {
    for (const name of ['proxyPort', 'proxyUsername', 'proxyPassword'] as const) {
      if (options[name] !== undefined)
        throw new ConnectionStringError(`The option '${name}' requires proxyHost`);
    }
    return;
  }
  if ((options.proxyUsername === undefined) !== (options.proxyPassword === undefined)) {
    throw new ConnectionStringError('proxyUsername and proxyPassword must be given together');
  }
}
