/**
 * A real Topology with no sockets at all: its monitors are scripted and its clock is virtual.
 * A test feeds hello replies and errors per address, moves time forward, and reads the
 * topology's snapshot and events, deterministically and instantly.
 *
 * ```ts
 * const t = new ScriptedTopology('mongodb://a,b,c/?replicaSet=rs0');
 * t.start();
 * t.reply('a:27017', ScriptedHello.primary('rs0', ['a:27017', 'b:27017', 'c:27017']));
 * t.topology.selectServerNow('primary'); // a:27017
 * t.fail('a:27017');                      // a network error: the primary is Unknown now
 * t.advance(500);                         // timers fire in order on the virtual clock
 * ```
 */
import type { Document } from 'bson';
import { addRttSample, emptyRttStats, type RttStats } from '../description/round-trip-time.js';
import { serverDescriptionFromError, serverDescriptionFromHello } from '../description/server-description.js';
import type { Address } from '../description/types.js';
import { NetworkError } from '../errors.js';
import type { TimerHandle } from '../time/clock.js';
import { CheckScheduler } from '../monitor/check-scheduler.js';
import type {
  MonitorSettings,
  ServerMonitor,
  ServerMonitorFactory,
  ServerMonitorListener,
} from '../monitor/server-monitor-types.js';
import { Topology, type TopologyOptions } from '../topology/topology.js';
import { VirtualClock } from './virtual-clock.js';

export { VirtualClock } from './virtual-clock.js';

/** A standing answer: a reply, an error, or a function of the check number (from 1). */
export type ScriptedAnswer = Document | Error | ((check: number) => Document | Error);

/** Counters of one scripted monitor. */
export interface ScriptedMonitorStats {
  readonly address: Address;
  /** Checks begun (the first at start, then on schedule, on request, or by reply/fail). */
  readonly checks: number;
  /** `requestCheck()` calls the topology made. */
  readonly checkRequests: number;
  /** `cancelCheck()` calls the topology made. */
  readonly cancels: number;
  readonly checking: boolean;
  readonly closed: boolean;
}

/**
 * A monitor whose checks end only when the script answers. When it checks is decided by the
 * socket monitor's CheckScheduler. Not exported: ScriptedTopology drives it.
 */
class ScriptedMonitor implements ServerMonitor {
  readonly address: Address;
  readonly #listener: ServerMonitorListener;
  readonly #settings: MonitorSettings;
  readonly #checks: CheckScheduler;
  #answerTimer: TimerHandle | null = null;
  #checkStartedAt = 0;
  #connectionId = '';
  #rtt: RttStats = emptyRttStats;
  checks = 0;
  checkRequests = 0;
  cancels = 0;
  standing: { answer: ScriptedAnswer; latencyMS: number } | null = null;

  constructor(address: Address, listener: ServerMonitorListener, settings: MonitorSettings) {
    this.address = address;
    this.#listener = listener;
    this.#settings = settings;
    this.#checks = new CheckScheduler({
      clock: settings.clock,
      heartbeatFrequencyMS: settings.heartbeatFrequencyMS,
      minHeartbeatFrequencyMS: settings.minHeartbeatFrequencyMS,
      begin: () => this.#begin(),
      // Checks due at once start when the test advances the virtual clock.
      atOnce: 'clock',
    });
  }

  get checking(): boolean {
    return this.#checks.state === 'checking';
  }

  get closed(): boolean {
    return this.#checks.state === 'closed';
  }

  start(): void {
    this.#checks.start();
    // The first check is in flight at once, so that the script can answer it.
    this.#checks.beginNow();
  }

  requestCheck(): void {
    this.checkRequests += 1;
    this.#checks.requestCheck();
  }

  cancelCheck(): void {
    this.cancels += 1;
    if (!this.checking) return;
    this.#answerTimer?.cancel();
    this.#answerTimer = null;
    // Like the socket monitor: the application already marked the server Unknown, so the
    // cancelled check reports only its failure and the next one waits a heartbeat.
    const failure = new NetworkError(
      `check of ${this.address} cancelled: the application reported a network error`,
    );
    this.#checks.checkEnded();
    this.#listener.heartbeatFailed({
      address: this.address,
      awaited: false,
      connectionId: this.#connectionId,
      duration: this.#settings.clock.now() - this.#checkStartedAt,
      failure,
      phase: 'check',
    });
    this.#checks.nextHeartbeat();
  }

  close(): void {
    if (this.closed) return;
    this.#checks.close();
    this.#answerTimer?.cancel();
    this.#answerTimer = null;
  }

  /** Completes the check in flight (beginning one when none is) with `answer`. */
  answer(answer: Document | Error, rttMS: number): void {
    if (this.closed) throw new Error(`the monitor of ${this.address} is closed`);
    this.#checks.beginNow();
    this.#answerTimer?.cancel();
    this.#answerTimer = null;
    const clock = this.#settings.clock;
    const common = {
      address: this.address,
      awaited: false,
      connectionId: this.#connectionId,
      duration: rttMS,
    };
    this.#checks.checkEnded();
    if (answer instanceof Error) {
      this.#rtt = emptyRttStats;
      this.#listener.heartbeatFailed({ ...common, failure: answer, phase: 'check' });
      if (this.closed) return;
      this.#listener.description(serverDescriptionFromError(this.address, answer, { now: clock.now() }));
    } else {
      this.#rtt = addRttSample(this.#rtt, rttMS);
      this.#listener.heartbeatSucceeded({ ...common, reply: answer });
      if (this.closed) return;
      this.#listener.description(
        serverDescriptionFromHello(this.address, answer, { now: clock.now(), roundTripTime: this.#rtt }),
      );
    }
    this.#checks.nextHeartbeat();
  }

  #begin(): void {
    this.checks += 1;
    this.#checkStartedAt = this.#settings.clock.now();
    this.#connectionId = `scripted:${this.address}:${this.checks}`;
    this.#listener.heartbeatStarted({
      address: this.address,
      awaited: false,
      connectionId: this.#connectionId,
    });
    const standing = this.standing;
    if (standing !== null && this.checking) {
      const check = this.checks;
      this.#answerTimer = this.#settings.clock.setTimeout(() => {
        this.#answerTimer = null;
        const { answer } = standing;
        this.answer(typeof answer === 'function' ? answer(check) : answer, standing.latencyMS);
      }, standing.latencyMS);
    }
  }
}

/** Options of a ScriptedTopology: a Topology's, without the clock and monitor factory it brings itself. */
export interface ScriptedTopologyOptions extends Omit<TopologyOptions, 'clock' | 'monitorFactory'> {
  /** The virtual clock's start time in ms (default 0). */
  startTime?: number;
}

/**
 * A Topology on a virtual clock with scripted monitors. Monitoring starts with `start()` (or the
 * topology's own first use); every server then has a check in flight that `reply`/`fail` complete.
 */
export class ScriptedTopology {
  /** The real Topology underneath. */
  readonly topology: Topology;
  readonly clock: VirtualClock;
  readonly #monitors = new Map<Address, ScriptedMonitor>();
  /** Every monitor ever made, per address (a server removed and re-added gets a new one). */
  readonly #history = new Map<Address, ScriptedMonitor[]>();
  readonly #standing = new Map<Address, { answer: ScriptedAnswer; latencyMS: number }>();

  constructor(uri: string, options: ScriptedTopologyOptions = {}) {
    const { startTime, ...topologyOptions } = options;
    this.clock = new VirtualClock(startTime ?? 0);
    const factory: ServerMonitorFactory = (address, listener, settings) => {
      const monitor = new ScriptedMonitor(address, listener, settings);
      monitor.standing = this.#standing.get(address) ?? null;
      this.#monitors.set(address, monitor);
      const history = this.#history.get(address) ?? [];
      history.push(monitor);
      this.#history.set(address, history);
      return monitor;
    };
    this.topology = new Topology(uri, { ...topologyOptions, clock: this.clock, monitorFactory: factory });
  }

  /** Starts monitoring without waiting for a server (connect() would). */
  start(): this {
    // A first use starts monitoring; it joins the first round of checks, so it requests none.
    this.topology.scheduleRefresh();
    return this;
  }

  /** The addresses that have a live monitor. */
  get monitored(): Address[] {
    return [...this.#monitors].filter(([, monitor]) => !monitor.closed).map(([address]) => address);
  }

  /** Completes a check of `address` with a hello reply (beginning one when none is in flight). */
  reply(address: Address, hello: Document, options?: { rttMS?: number }): this {
    this.#monitor(address).answer(hello, options?.rttMS ?? 1);
    return this;
  }

  /** Completes a check of `address` with an error (default: a NetworkError). */
  fail(address: Address, error?: Error, options?: { rttMS?: number }): this {
    this.#monitor(address).answer(
      error ?? new NetworkError(`scripted network error from ${address}`),
      options?.rttMS ?? 1,
    );
    return this;
  }

  /**
   * Makes every future check of `address` answer by itself after `latencyMS` of virtual time
   * (default 1; answers come only as the clock advances). `null` stops answering.
   */
  respond(address: Address, answer: ScriptedAnswer | null, options?: { latencyMS?: number }): this {
    const standing = answer === null ? null : { answer, latencyMS: options?.latencyMS ?? 1 };
    if (standing === null) this.#standing.delete(address);
    else this.#standing.set(address, standing);
    const monitor = this.#monitors.get(address);
    if (monitor !== undefined) monitor.standing = standing;
    return this;
  }

  /** Moves the virtual clock forward, firing due timers in order. Returns how many fired. */
  advance(ms: number): number {
    return this.clock.advance(ms);
  }

  /** Counters of the current monitor of `address`. */
  stats(address: Address): ScriptedMonitorStats {
    const monitor = this.#monitor(address);
    return {
      address,
      checks: monitor.checks,
      checkRequests: monitor.checkRequests,
      cancels: monitor.cancels,
      checking: monitor.checking,
      closed: monitor.closed,
    };
  }

  /** Checks begun on `address`, over all its monitors so far. */
  checks(address: Address): number {
    return (this.#history.get(address) ?? []).reduce((sum, monitor) => sum + monitor.checks, 0);
  }

  /** `requestCheck()` calls made to `address`, over all its monitors so far. */
  checkRequests(address: Address): number {
    return (this.#history.get(address) ?? []).reduce((sum, monitor) => sum + monitor.checkRequests, 0);
  }

  /** Closes the topology. */
  close(): Promise<void> {
    return this.topology.close();
  }

  #monitor(address: Address): ScriptedMonitor {
    const monitor = this.#monitors.get(address);
    if (monitor === undefined) {
      const known = [...this.#monitors.keys()].join(', ') || 'none (call start() first)';
      throw new Error(`${address} has no scripted monitor; monitored addresses: ${known}`);
    }
    return monitor;
  }
}

/** Hello replies for scripts: the fields a server sends, with sensible defaults. */
export const ScriptedHello = {
  /** A replica-set primary of `setName` listing `hosts`. */
  primary(setName: string, hosts: readonly Address[], extra: Document = {}): Document {
    return { ...base(), isWritablePrimary: true, setName, hosts: [...hosts], setVersion: 1, ...extra };
  },
  /** A replica-set secondary of `setName` listing `hosts`. */
  secondary(setName: string, hosts: readonly Address[], extra: Document = {}): Document {
    return {
      ...base(),
      isWritablePrimary: false,
      secondary: true,
      setName,
      hosts: [...hosts],
      setVersion: 1,
      ...extra,
    };
  },
  /** A mongos router. */
  mongos(extra: Document = {}): Document {
    return { ...base(), isWritablePrimary: true, msg: 'isdbgrid', ...extra };
  },
  /** A standalone server. */
  standalone(extra: Document = {}): Document {
    return { ...base(), isWritablePrimary: true, ...extra };
  },
} as const;

function base(): Document {
  return { ok: 1, helloOk: true, minWireVersion: 0, maxWireVersion: 21, maxBsonObjectSize: 16 * 1024 * 1024 };
}
