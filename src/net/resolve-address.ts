/**
 * Host name → IP addresses, without letting DNS pose as the network: IP literals and `localhost`
 * never reach the resolver, answers are cached, resolution is timed on its own, and a slow or
 * failing lookup is a DnsError (never a connect timeout).
 */
import type { CancelSignal } from './cancel-signal.js';
import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../time/clock.js';
import type { Address } from '../description/types.js';
import { DnsError, ProcessStallError } from '../errors.js';
import type { LookupFunction } from './connection-settings.js';
import { startDeadline } from '../time/deadline.js';
import type { DnsCache, ResolvedAddress } from './dns-cache.js';

export type { ResolvedAddress } from './dns-cache.js';

/** Where the answer came from; `stale-cache` = the last good answer, reused because a refresh failed. */
export type ResolutionSource = 'literal' | 'localhost' | 'cache' | 'lookup' | 'stale-cache';

export interface Resolution {
  readonly hostname: string;
  /** In the order to try them (for `localhost`: 127.0.0.1 first, then ::1). Never empty. */
  readonly addresses: readonly ResolvedAddress[];
  readonly source: ResolutionSource;
  /** Time spent resolving, by the clock (0 when no lookup was needed). */
  readonly durationMS: number;
}

export interface ResolveOptions {
  /** Replaces `dns.promises.lookup` (which runs getaddrinfo on libuv's thread pool). */
  readonly lookup?: LookupFunction;
  /** Where answers are kept between calls; null or absent = no caching. */
  readonly cache?: DnsCache | null;
  readonly clock?: Clock;
  /** The lookup's own limit in ms (the caller's connectTimeoutMS); 0 or absent = none. */
  readonly timeoutMS?: number;
  readonly signal?: CancelSignal;
}

/** A place to connect to: a TCP host and port, or a Unix domain socket path. */
export type Endpoint =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** Splits `host:port`, `[v6]:port`, bare hosts (port 27017) and socket paths (`/tmp/m.sock`). */
export function parseEndpoint(address: Address): Endpoint {
  if (address.startsWith('/') || address.endsWith('.sock')) return { kind: 'unix', path: address };
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    const host = address.slice(1, close < 0 ? undefined : close);
    const rest = close < 0 ? '' : address.slice(close + 1);
    return { kind: 'tcp', host, port: rest.startsWith(':') ? parsePort(address, rest.slice(1)) : 27017 };
  }
  const colon = address.lastIndexOf(':');
  if (colon >= 0 && address.indexOf(':') === colon) {
    return { kind: 'tcp', host: address.slice(0, colon), port: parsePort(address, address.slice(colon + 1)) };
  }
  // No colon, or an unbracketed IPv6 literal (several colons): the whole thing is the host.
  return { kind: 'tcp', host: address, port: 27017 };
}

function parsePort(address: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new DnsError(`invalid port in server address "${address}"`, address);
  }
  return port;
}

const loopback: readonly ResolvedAddress[] = Object.freeze([
  Object.freeze({ address: '127.0.0.1', family: 4 as const }),
  Object.freeze({ address: '::1', family: 6 as const }),
]);

/** `localhost`, `localhost.` and names under `.localhost` are the loopback addresses (RFC 6761 §6.3). */
export function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** The real resolver: getaddrinfo on libuv's thread pool, every address it knows. */
export const systemLookup: LookupFunction = async (hostname) => {
  const answers = await dnsPromises.lookup(hostname, { all: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** Resolves `host` (a name or an IP literal, IPv6 with or without brackets) to addresses to connect to. */
export async function resolveAddress(host: string, options: ResolveOptions = {}): Promise<Resolution> {
  const hostname = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(hostname);
  if (family === 4 || family === 6) {
    return { hostname, addresses: [{ address: hostname, family }], source: 'literal', durationMS: 0 };
  }
  if (isLocalhostName(hostname)) {
    return { hostname, addresses: loopback, source: 'localhost', durationMS: 0 };
  }
  if (hostname === '') throw new DnsError('cannot resolve an empty host name', hostname);

  const clock = options.clock ?? systemClock;
  const cache = options.cache ?? null;
  const started = clock.now();
  const cached = cache?.fresh(hostname, started);
  if (cached) return { hostname, addresses: cached, source: 'cache', durationMS: 0 };

  const lookup = options.lookup ?? systemLookup;
  const run = async (): Promise<readonly ResolvedAddress[]> => {
    const answers = await lookup(hostname);
    if (answers.length === 0)
      throw new DnsError(`DNS lookup of "${hostname}" returned no addresses`, hostname);
    return answers;
  };
  try {
    const addresses = await withDeadline(
      cache ? cache.shared(hostname, run) : run(),
      hostname,
      clock,
      options,
    );
    const done = clock.now();
    cache?.store(hostname, addresses, done);
    return { hostname, addresses, source: 'lookup', durationMS: done - started };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const stale = cache?.lastGood(hostname);
    if (stale)
      return { hostname, addresses: stale, source: 'stale-cache', durationMS: clock.now() - started };
    throw asDnsError(error, hostname);
  }
}

function asDnsError(error: unknown, hostname: string): Error {
  if (error instanceof DnsError || error instanceof ProcessStallError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return new DnsError(`cannot resolve host "${hostname}": ${detail}`, hostname, { cause: error });
}

/** Races the lookup (which cannot be cancelled: getaddrinfo runs to its end) against its own limit. */
function withDeadline<T>(
  work: Promise<T>,
  hostname: string,
  clock: Clock,
  options: ResolveOptions,
): Promise<T> {
  const { signal } = options;
  const timeoutMS = options.timeoutMS ?? 0;
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => settle(() => reject(signal?.reason));
    const timer = startDeadline(clock, timeoutMS, ({ elapsedMS, stalled }) =>
      settle(() =>
        reject(
          stalled
            ? new ProcessStallError(
                `DNS lookup of "${hostname}" was cut short: this process was paused (${Math.round(elapsedMS)} ms passed, ` +
                  `${timeoutMS} ms allowed)`,
                elapsedMS,
              )
            : new DnsError(
                `DNS lookup of "${hostname}" took longer than ${timeoutMS} ms (slow resolver or busy libuv thread pool); ` +
                  'the server itself was not contacted',
                hostname,
              ),
        ),
      ),
    );
    let settled = false;
    function settle(finish: () => void): void {
      if (settled) return;
      settled = true;
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
      finish();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
