/**
 * Resolved addresses per host name. `dns.lookup` runs getaddrinfo on libuv's small thread pool,
 * shared with file and crypto work; a busy pool would queue every reconnect behind it. So a
 * positive answer is reused for `ttlMS`, the last good answer outlives its TTL as a fallback when
 * a refresh fails, and concurrent lookups of one name share one getaddrinfo call.
 */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export interface DnsCacheOptions {
  /** How long a positive answer is used without asking again (ms); default 60 000. */
  readonly ttlMS?: number;
  /** Names remembered at most (the oldest is forgotten first); default 1000. */
  readonly maxEntries?: number;
}

interface Entry {
  readonly addresses: readonly ResolvedAddress[];
  readonly storedAt: number;
}

export class DnsCache {
  readonly ttlMS: number;
  readonly maxEntries: number;
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<readonly ResolvedAddress[]>>();

  constructor(options: DnsCacheOptions = {}) {
    this.ttlMS = options.ttlMS ?? 60_000;
    this.maxEntries = options.maxEntries ?? 1000;
  }

  /** The answer for `hostname` if it is younger than the TTL at `now`. */
  fresh(hostname: string, now: number): readonly ResolvedAddress[] | undefined {
    const entry = this.#entries.get(key(hostname));
    return entry && now - entry.storedAt < this.ttlMS ? entry.addresses : undefined;
  }

  /** The last good answer for `hostname`, however old (the fallback when a refresh fails). */
  lastGood(hostname: string): readonly ResolvedAddress[] | undefined {
    return this.#entries.get(key(hostname))?.addresses;
  }

  store(hostname: string, addresses: readonly ResolvedAddress[], now: number): void {
    if (addresses.length === 0) return; // only positive answers are cached
    const k = key(hostname);
    this.#entries.delete(k); // re-insert so that Map order is age order
    this.#entries.set(k, { addresses: Object.freeze([...addresses]), storedAt: now });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Runs `lookup` for `hostname` unless one is already running; callers share its result. */
  shared(
    hostname: string,
    lookup: () => Promise<readonly ResolvedAddress[]>,
  ): Promise<readonly ResolvedAddress[]> {
    const k = key(hostname);
    const running = this.#inFlight.get(k);
    if (running) return running;
    const started = lookup().finally(() => this.#inFlight.delete(k));
    this.#inFlight.set(k, started);
    return started;
  }

  forget(hostname: string): void {
    this.#entries.delete(key(hostname));
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

function key(hostname: string): string {
  return hostname.toLowerCase();
}

/** The cache monitors use unless given their own: one per process, since DNS answers are. */
export const sharedDnsCache = new DnsCache();
