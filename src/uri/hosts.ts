/**
 * The host information of a connection string: a comma-separated list of host identifiers,
 * each a host name, an IPv4 address, an IPv6 literal in brackets, or a percent-encoded
 * Unix domain socket path ending in `.sock`, with an optional port.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ConnectionStringError } from '../errors.js';
import type { Address } from '../description/types.js';
import { percentDecode } from './percent-encoding.js';

export const defaultPort = 27017;

export type HostType = 'hostname' | 'ipv4' | 'ip_literal' | 'unix';

/** One host as written in the connection string (decoded, case kept). */
export interface HostIdentifier {
  readonly type: HostType;
  /** The host name, the IPv4 address, the IPv6 address without brackets, or the socket path. */
  readonly host: string;
  /** The port as written, or null when none was given (the default applies only in addresses). */
  readonly port: number | null;
}

// Characters that cannot appear in a host name; most of them mean a delimiter was not encoded.
const forbiddenInHostname = /[\s/\\?#@[\]:%<>"{}|^`]/;

/** Parses the host information (the text between the userinfo and the path or options). */
export function parseHostList(hostInfo: string): HostIdentifier[] {
  if (hostInfo === '') throw new ConnectionStringError('The connection string names no host');
  return hostInfo.split(',').map(parseHostIdentifier);
}

/** Parses one host identifier, e.g. `example.com:27018`, `[::1]`, `%2Ftmp%2Fmongodb-27017.sock`. */
export function parseHostIdentifier(text: string): HostIdentifier {
  if (text === '') {
    throw new ConnectionStringError(
      'The host list contains an empty host (two commas in a row, or a trailing comma)',
    );
  }
  if (text.startsWith('[')) return parseIpLiteral(text);

  // A socket path may itself contain ':' once decoded; it never has a port.
  const decodedWhole = percentDecode(text, `The host '${text}'`);
  if (decodedWhole.includes('/')) {
    if (!decodedWhole.toLowerCase().endsWith('.sock')) {
      throw new ConnectionStringError(
        `The host '${decodedWhole}' contains '/': a Unix domain socket path must end in '.sock', ` +
          'and other hosts cannot contain a slash',
      );
    }
    return { type: 'unix', host: decodedWhole, port: null };
  }

  const colon = text.lastIndexOf(':');
  const rawHost = colon === -1 ? text : text.slice(0, colon);
  const port = colon === -1 ? null : parsePort(text.slice(colon + 1), text);
  const host = percentDecode(rawHost, `The host '${text}'`);
  if (host === '')
    throw new ConnectionStringError(`The host identifier '${text}' has no host before the port`);
  if (host.includes(':')) {
    throw new ConnectionStringError(
      isIPv6(host) || isIPv6(text)
        ? `The host '${text}' looks like an IPv6 address: write it in brackets, e.g. [${isIPv6(text) ? text : host}]:27017`
        : `The host identifier '${text}' has more than one ':'`,
    );
  }
  if (forbiddenInHostname.test(host)) {
    throw new ConnectionStringError(
      `The host '${host}' contains a character that is not allowed in a host name`,
    );
  }
  return { type: isIPv4(host) ? 'ipv4' : 'hostname', host, port };
}

function parseIpLiteral(text: string): HostIdentifier {
  const close = text.indexOf(']');
  if (close === -1) throw new ConnectionStringError(`The IPv6 literal '${text}' has no closing ']'`);
  const host = percentDecode(text.slice(1, close), `The host '${text}'`);
  if (!isIPv6(host)) throw new ConnectionStringError(`'${host}' in brackets is not an IPv6 address`);
  const rest = text.slice(close + 1);
  if (rest === '') return { type: 'ip_literal', host, port: null };
  if (!rest.startsWith(':')) {
    throw new ConnectionStringError(`Unexpected text after the IPv6 literal in '${text}' (expected ':port')`);
  }
  return { type: 'ip_literal', host, port: parsePort(rest.slice(1), text) };
}

/** A port is a decimal integer from 1 to 65535. */
export function parsePort(text: string, hostIdentifier: string): number {
  if (!/^\d+$/.test(text)) {
    throw new ConnectionStringError(
      text === ''
        ? `The host '${hostIdentifier}' has ':' but no port after it`
        : `The port in '${hostIdentifier}' is not a number from 1 to 65535`,
    );
  }
  const port = Number(text);
  if (port < 1 || port > 65535) {
    throw new ConnectionStringError(`The port in '${hostIdentifier}' is out of range (1 to 65535)`);
  }
  return port;
}

/**
 * The address the rest of waspnest uses for a host: `host:port` with the host lower-cased and
 * the default port applied, `[v6]:port` for IPv6, and the path itself for a Unix socket
 * (paths are case-sensitive, so their case is kept).
 */
export function hostIdentifierAddress(identifier: HostIdentifier): Address {
  const port = identifier.port ?? defaultPort;
  switch (identifier.type) {
    case 'unix':
      return identifier.host;
    case 'ip_literal':
      return `[${identifier.host.toLowerCase()}]:${port}`;
    default:
      return `${identifier.host.toLowerCase()}:${port}`;
  }
}
