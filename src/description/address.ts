/**
 * Server addresses as the snapshot keys them: `host:port` with the host lower-cased (DNS names
 * are case-insensitive, and the discovery specification requires lower-casing seeds and every
 * name in a hello reply), `[v6]:port` for IPv6 literals, and the path itself for a Unix domain
 * socket (paths are case-sensitive, so their case is kept).
 */
import { AddressError } from '../errors.js';
import type { Address } from './types.js';

export const DEFAULT_PORT = 27017;

/** Why `hostPort` is not a usable address, or null when it is. */
export function addressProblem(hostPort: string): string | null {
  const text = hostPort.trim();
  if (text === '') return 'the address is empty';
  if (isSocketPath(text)) return null;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) return `the IPv6 literal in "${hostPort}" has no closing bracket`;
    if (close === 1) return `the IPv6 literal in "${hostPort}" is empty`;
    const rest = text.slice(close + 1);
    if (rest === '') return null;
    if (!rest.startsWith(':'))
      return `"${hostPort}" has characters after the IPv6 literal that are not a port`;
    return portProblem(rest.slice(1), hostPort);
  }
  const colons = text.split(':').length - 1;
  // A bare IPv6 address (several colons, no brackets) carries no port.
  if (colons > 1) return null;
  if (colons === 0) return /\s/.test(text) ? `the host "${hostPort}" contains white space` : null;
  const colon = text.indexOf(':');
  if (colon === 0) return `"${hostPort}" has no host before the port`;
  if (/\s/.test(text.slice(0, colon))) return `the host "${hostPort}" contains white space`;
  return portProblem(text.slice(colon + 1), hostPort);
}

/**
 * The normalised address of `hostPort` (`Example.COM` → `example.com:27017`, `[::1]` →
 * `[::1]:27017`, `::1` → `[::1]:27017`). Throws an AddressError naming the problem when the text
 * cannot be an address (empty, bad port); use {@link addressProblem} to check first.
 */
export function normalizeAddress(hostPort: string): Address {
  const problem = addressProblem(hostPort);
  if (problem !== null) throw new AddressError(`Invalid server address: ${problem}`);
  const text = hostPort.trim();
  if (isSocketPath(text)) return text;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    const host = text.slice(1, close).toLowerCase();
    const rest = text.slice(close + 1);
    return `[${host}]:${rest === '' ? DEFAULT_PORT : Number(rest.slice(1))}`;
  }
  const colons = text.split(':').length - 1;
  if (colons > 1) return `[${text.toLowerCase()}]:${DEFAULT_PORT}`;
  if (colons === 0) return `${text.toLowerCase()}:${DEFAULT_PORT}`;
  const colon = text.indexOf(':');
  return `${text.slice(0, colon).toLowerCase()}:${Number(text.slice(colon + 1))}`;
}

/**
 * Texts already normalised, by the text as given. Heartbeats repeat the same few names every
 * time (the server's own address, me, primary, hosts), so each is validated once. Bounded
 * (cleared when full) so that replies full of ever-new names cannot grow it without limit.
 */
const normalizedByText = new Map<string, Address>();
const MAX_REMEMBERED_ADDRESSES = 4096;

/**
 * {@link normalizeAddress} for text that may not be an address: the normalised address, or null
 * when {@link addressProblem} finds a problem (ask it for the reason). Memoised.
 */
export function tryNormalizeAddress(hostPort: string): Address | null {
  const known = normalizedByText.get(hostPort);
  if (known !== undefined) return known;
  if (addressProblem(hostPort) !== null) return null;
  const address = normalizeAddress(hostPort);
  if (normalizedByText.size >= MAX_REMEMBERED_ADDRESSES) normalizedByText.clear();
  normalizedByText.set(hostPort, address);
  return address;
}

/** The host and port of a normalised address; a socket path has port null. */
export function splitAddress(address: Address): { readonly host: string; readonly port: number | null } {
  if (isSocketPath(address)) return { host: address, port: null };
  const colon = address.lastIndexOf(':');
  if (colon === -1) return { host: address, port: DEFAULT_PORT };
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  return { host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host, port };
}

/** Orders addresses by host, then by port as a number (127.0.0.1:9 before 127.0.0.1:10). */
export function compareAddresses(a: Address, b: Address): number {
  const x = splitAddress(a);
  const y = splitAddress(b);
  if (x.host !== y.host) return x.host < y.host ? -1 : 1;
  return (x.port ?? 0) - (y.port ?? 0);
}

function isSocketPath(text: string): boolean {
  return text.startsWith('/') || text.toLowerCase().endsWith('.sock');
}

function portProblem(port: string, hostPort: string): string | null {
  if (!/^\d{1,5}$/.test(port)) return `the port of "${hostPort}" is not a number`;
  const value = Number(port);
  if (value < 1 || value > 65535) return `the port of "${hostPort}" is outside 1-65535`;
  return null;
}
