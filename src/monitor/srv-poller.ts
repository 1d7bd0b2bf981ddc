/**
 * `mongodb+srv://`: the DNS side. The initial lookup turns the SRV host into a seed list (plus
 * the TXT record's options), and the poller rescans the SRV records while the topology is
 * Sharded or Unknown, feeding changed host lists to the topology (which applies them with the
 * pure `replaceSeedList`). The rules over the answers (parent domain, srvMaxHosts, TXT options,
 * what a rescan changes) are the pure helpers of uri/srv.ts; this file does the querying, the
 * timing and the error handling. The resolver is injectable, so tests need no DNS.
 */
import { promises as dns } from 'node:dns';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { Address } from '../description/types.js';
import { DnsError } from '../errors.js';
import { startDeadline } from '../time/deadline.js';
import {
  applySrvMaxHosts,
  diffSrvHosts,
  parseTxtOptions,
  srvQueryName,
  validateSrvRecords,
  type RejectedSrvRecord,
  type SrvRecord,
  type TxtOptions,
} from '../uri/srv.js';

/** One SRV answer; `ttl` (seconds) when the resolver knows it (node:dns does not report it). */
export interface SrvAnswer extends SrvRecord {
  readonly ttl?: number;
}

/** Resolves SRV and TXT records: node:dns by default, anything in tests. */
export interface SrvResolver {
  resolveSrv(name: string): Promise<readonly SrvAnswer[]>;
  /** TXT records, each as its character strings (node:dns's shape). */
  resolveTxt(name: string): Promise<readonly (readonly string[])[]>;
}

/** The resolver of node:dns (c-ares, off libuv's thread pool). */
export const systemSrvResolver: SrvResolver = {
  resolveSrv: (name) => dns.resolveSrv(name),
  resolveTxt: (name) => dns.resolveTxt(name),
};

/** The specification's floor for rescanning by TTL. */
const MIN_TTL_RESCAN_MS = 60_000;

export interface SeedListResolution {
  readonly hosts: readonly Address[];
  /** Options the TXT record sets (authSource, replicaSet, loadBalanced). */
  readonly txtOptions: TxtOptions;
  /** The smallest TTL of the SRV answers in ms, or null when the resolver does not report TTLs. */
  readonly ttlMS: number | null;
  readonly warnings: readonly string[];
}

export interface SrvLookupOptions {
  readonly resolver: SrvResolver;
  readonly srvServiceName: string;
  readonly srvMaxHosts: number;
  readonly random: () => number;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The DNS error code, or the message: what to say about a failed lookup. */
function reasonOf(error: unknown): string {
  return codeOf(error) ?? (error instanceof Error ? error.message : String(error));
}

function smallestTtlMS(answers: readonly SrvAnswer[]): number | null {
  let smallest: number | null = null;
  for (const answer of answers) {
    if (typeof answer.ttl === 'number' && Number.isFinite(answer.ttl) && answer.ttl >= 0) {
      smallest = smallest === null ? answer.ttl : Math.min(smallest, answer.ttl);
    }
  }
  return smallest === null ? null : smallest * 1000;
}

/**
 * The initial seedlist discovery: queries SRV and TXT records (both before any connection),
 * validates them and applies srvMaxHosts.
 * @throws DnsError when a lookup fails; ConnectionStringError when the answers cannot be used
 *   (no records, a host outside the SRV host's domain, several TXT records, a forbidden TXT option).
 */
export async function resolveInitialSeedList(
  srvHost: string,
  options: SrvLookupOptions,
): Promise<SeedListResolution> {
  const query = srvQueryName(srvHost, options.srvServiceName);
  const [answers, txtRecords] = await Promise.all([
    options.resolver.resolveSrv(query).catch((error: unknown) => {
      throw new DnsError(
        `The SRV lookup of ${query} failed (${reasonOf(error)}): ` +
          'the mongodb+srv:// connection string names no hosts',
        query,
        { cause: error },
      );
    }),
    options.resolver.resolveTxt(srvHost).catch((error: unknown) => {
      // No TXT record is normal: it only supplies default options.
      const code = codeOf(error);
      if (code === 'ENODATA' || code === 'ENOTFOUND') return [] as readonly (readonly string[])[];
      throw new DnsError(`The TXT lookup of ${srvHost} failed (${reasonOf(error)})`, srvHost, {
        cause: error,
      });
    }),
  ]);
  const validated = validateSrvRecords(srvHost, answers);
  if (validated.error !== null) throw validated.error;
  const txt = parseTxtOptions(txtRecords);
  return {
    hosts: applySrvMaxHosts(validated.addresses, options.srvMaxHosts, options.random),
    txtOptions: txt.options,
    ttlMS: smallestTtlMS(answers),
    warnings: txt.warnings,
  };
}

export interface SrvPollerOptions extends SrvLookupOptions {
  readonly srvHost: string;
  readonly clock: Clock;
  /** The interval when the records report no TTL (the specification's 60 s). */
  readonly rescanIntervalMS: number;
  /** The interval after a failed or empty rescan, until one succeeds. */
  readonly heartbeatFrequencyMS: number;
  /**
   * How long one rescan's SRV lookup may take before it counts as failed (0 = no limit). A
   * resolver that never answers would otherwise stop polling for good.
   */
  readonly lookupTimeoutMS?: number;
  /** The topology's hosts, or null when it must not be rescanned now (not Sharded or Unknown). */
  readonly currentHosts: () => readonly Address[] | null;
  /** A rescan changed the host list. */
  readonly update: (hosts: readonly Address[]) => void;
  /** A rescan failed: the hosts stay as they are (the specification asks to log this). */
  readonly failed?: (failure: SrvRescanFailure) => void;
  /**
   * A rescan that found valid hosts also returned records that were rejected (a host outside the
   * SRV host's domain, a bad port): those are ignored, and the specification asks to log them.
   */
  readonly rejected?: (records: readonly RejectedSrvRecord[]) => void;
}

/**
 * Why a rescan changed nothing: the lookup failed (a DNS error or timeout), the answer held no
 * records, or every record was rejected (a host outside the SRV host's domain, a bad port).
 */
export type SrvRescanFailureReason = 'dnsError' | 'noRecords' | 'noValidHosts';

/** A rescan that changed nothing, and the hosts it kept. */
export interface SrvRescanFailure {
  readonly reason: SrvRescanFailureReason;
  /** Names the queried name (its `hostname`) and says why the answer could not be used. */
  readonly error: DnsError;
  readonly keptHosts: readonly Address[];
}

/**
 * Rescans the SRV records every rescan interval, counted from the end of the previous scan. A
 * failed lookup, an empty answer or an answer with no valid host changes nothing, is reported to
 * `failed`, and shortens the interval to heartbeatFrequencyMS until a scan succeeds.
 */
export class SrvPoller {
  readonly #options: SrvPollerOptions;
  #timer: TimerHandle | null = null;
  #lookupTimer: TimerHandle | null = null;
  #stopped = false;
  #scans = 0;

  constructor(options: SrvPollerOptions) {
    this.#options = options;
  }

  /** How many rescans ran (for tests and diagnostics). */
  get scans(): number {
    return this.#scans;
  }

  /** Schedules the first rescan; `ttlMS` is the initial lookup's smallest TTL, if known. */
  start(ttlMS: number | null): void {
    this.#schedule(this.#intervalFor(ttlMS));
  }

  /** Stops polling: no timer remains, and a lookup in flight is ignored. Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.#lookupTimer?.cancel();
    this.#lookupTimer = null;
  }

  #intervalFor(ttlMS: number | null): number {
    if (ttlMS === null) return this.#options.rescanIntervalMS;
    return Math.max(ttlMS, Math.min(MIN_TTL_RESCAN_MS, this.#options.rescanIntervalMS));
  }

  #schedule(delayMS: number): void {
    if (this.#stopped) return;
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = null;
      void this.#scan();
    }, delayMS);
  }

  async #scan(): Promise<void> {
    const options = this.#options;
    if (options.currentHosts() === null) {
      // A replica set or a single server: the SRV records no longer drive the seed list.
      this.#schedule(options.rescanIntervalMS);
      return;
    }
    this.#scans += 1;
    const query = srvQueryName(options.srvHost, options.srvServiceName);
    let answers: readonly SrvAnswer[];
    try {
      answers = await this.#lookup(query);
    } catch (error) {
      if (this.#stopped) return;
      this.#failed('dnsError', `failed (${reasonOf(error)})`, query, error);
      return;
    }
    if (this.#stopped) return;
    if (answers.length === 0) {
      this.#failed('noRecords', 'returned no records', query);
      return;
    }
    const validated = validateSrvRecords(options.srvHost, answers);
    if (validated.addresses.length === 0) {
      const rejected = validated.rejected.map((r) => `${r.name}:${r.port}: ${r.reason}`).join('; ');
      this.#failed('noValidHosts', `found no valid host (${rejected})`, query);
      return;
    }
    const current = options.currentHosts();
    if (current !== null) {
      const diff = diffSrvHosts(current, validated.addresses, options.srvMaxHosts, options.random);
      if (diff.added.length > 0 || diff.removed.length > 0) options.update(diff.hosts);
    }
    this.#schedule(this.#intervalFor(smallestTtlMS(answers)));
    // Reported after the next rescan is scheduled: whatever the report does, polling goes on.
    if (validated.rejected.length > 0) options.rejected?.(validated.rejected);
  }

  /** The SRV answer for `query`, or a rejection once lookupTimeoutMS has passed without one. */
  #lookup(query: string): Promise<readonly SrvAnswer[]> {
    const limitMS = this.#options.lookupTimeoutMS ?? 0;
    const answer = this.#options.resolver.resolveSrv(query);
    return new Promise((resolve, reject) => {
      this.#lookupTimer = startDeadline(this.#options.clock, limitMS, () => {
        this.#lookupTimer = null;
        reject(new Error(`timed out after ${limitMS} ms`));
      });
      const settle = (): void => {
        this.#lookupTimer?.cancel();
        this.#lookupTimer = null;
      };
      answer.finally(settle).then(resolve, reject);
    });
  }

  /** Reports a rescan that changed nothing and retries at heartbeatFrequencyMS, as the specification says. */
  #failed(reason: SrvRescanFailureReason, what: string, query: string, cause?: unknown): void {
    const options = this.#options;
    // Scheduled first: whatever the report does, polling goes on.
    this.#schedule(options.heartbeatFrequencyMS);
    const keptHosts = options.currentHosts();
    // null: the topology stopped being Sharded or Unknown meanwhile, so the rescan no longer matters.
    if (keptHosts === null || options.failed === undefined) return;
    const message = `The SRV rescan of ${query} ${what}; keeping the last hosts`;
    const error = new DnsError(message, query, cause === undefined ? undefined : { cause });
    options.failed({ reason, error, keptHosts });
  }
}
