/**
 * The monitors of one topology, one per server of its snapshot, and what the topology needs to
 * know about them: which have an awaitable (streaming) hello in flight, and each server's pool
 * generation. Monitors report through listeners that reach the topology through the one weak
 * reference held here, so that an unclosed topology can still be garbage-collected; a report from
 * a monitor that is no longer the one for its address (closed, replaced) is dropped, so a late
 * report cannot resurrect a server.
 */
import type { ChecksAfterChange } from '../description/checks-after-change.js';
import { TopologyType } from '../description/server-type.js';
import type { Address, ServerDescription, TopologyDescription } from '../description/types.js';
import { createServerMonitor } from '../monitor/server-monitor.js';
import type {
  HeartbeatFailedInfo,
  HeartbeatStartedInfo,
  HeartbeatSucceededInfo,
  MonitorSettings,
  ServerMonitor,
  ServerMonitorFactory,
  ServerMonitorListener,
} from '../monitor/server-monitor-types.js';
import type { TopologySettings } from './topology-options.js';

/** What the monitors report to. Held weakly: only the topology keeps it alive. */
export interface MonitorSetOwner {
  /** Whether reports are wanted now (the topology is open). */
  accepting(): boolean;
  snapshot(): TopologyDescription;
  heartbeatStarted(info: HeartbeatStartedInfo): void;
  heartbeatSucceeded(info: HeartbeatSucceededInfo): void;
  heartbeatFailed(info: HeartbeatFailedInfo): void;
  description(address: Address, description: ServerDescription): void;
}

export class MonitorSet {
  readonly #monitors: Map<Address, ServerMonitor>;
  readonly #owner: WeakRef<MonitorSetOwner>;
  /** Servers whose monitor has an awaitable (streaming) hello in flight. */
  readonly #awaitedInFlight = new Set<Address>();
  readonly #poolGenerations = new Map<Address, number>();

  /**
   * @param monitors the map the topology's resources close when it is collected unclosed.
   * @param owner what the monitors report to, weakly (the topology holds it strongly).
   */
  constructor(monitors: Map<Address, ServerMonitor>, owner: WeakRef<MonitorSetOwner>) {
    this.#monitors = monitors;
    this.#owner = owner;
  }

  get size(): number {
    return this.#monitors.size;
  }

  addresses(): IterableIterator<Address> {
    return this.#monitors.keys();
  }

  /**
   * The servers whose check a refresh round waits for: a streaming monitor with an awaitable
   * hello in flight is current by construction (the server answers the moment anything changes).
   */
  notStreaming(): Address[] {
    return [...this.#monitors.keys()].filter((address) => !this.#awaitedInFlight.has(address));
  }

  /**
   * Gives every server of `snapshot` a monitor and closes the monitors of removed ones (none are
   * started for a load balancer, which is never checked). Returns the addresses whose monitor closed.
   */
  reconcile(snapshot: TopologyDescription, settings: TopologySettings): Address[] {
    const removed: Address[] = [];
    for (const [address, monitor] of this.#monitors) {
      if (snapshot.servers.has(address)) continue;
      this.#monitors.delete(address);
      this.#poolGenerations.delete(address);
      this.#awaitedInFlight.delete(address);
      monitor.close();
      removed.push(address);
    }
    if (snapshot.type === TopologyType.LoadBalanced) return removed;
    const factory: ServerMonitorFactory = settings.monitorFactory ?? createServerMonitor;
    for (const address of snapshot.servers.keys()) {
      if (this.#monitors.has(address)) continue;
      const holder: { monitor?: ServerMonitor } = {};
      const monitor = factory(
        address,
        this.#listenerFor(address, holder),
        this.#monitorSettings(address, settings),
      );
      holder.monitor = monitor;
      this.#monitors.set(address, monitor);
      monitor.start();
    }
    return removed;
  }

  /** Asks every monitor for a check (each paces its own). */
  requestAll(): void {
    for (const monitor of [...this.#monitors.values()]) monitor.requestCheck();
  }

  requestCheck(address: Address): void {
    this.#monitors.get(address)?.requestCheck();
  }

  requestChecks(checks: ChecksAfterChange): void {
    if (checks === 'all') this.requestAll();
    else for (const address of checks) this.requestCheck(address);
  }

  cancelCheck(address: Address): void {
    this.#monitors.get(address)?.cancelCheck();
  }

  /** The current pool generation of `address` (0 until its pool is first cleared). */
  poolGeneration(address: Address): number {
    return this.#poolGenerations.get(address) ?? 0;
  }

  /** Bumps the pool generation of `address` (its pool is cleared) and returns the new one. */
  clearPool(address: Address): number {
    const generation = this.poolGeneration(address) + 1;
    this.#poolGenerations.set(address, generation);
    return generation;
  }

  #monitorSettings(address: Address, settings: TopologySettings): MonitorSettings {
    const owner = this.#owner;
    return {
      heartbeatFrequencyMS: settings.heartbeatFrequencyMS,
      minHeartbeatFrequencyMS: settings.minHeartbeatFrequencyMS,
      connectTimeoutMS: settings.connectTimeoutMS,
      mode: settings.serverMonitoringMode,
      ...(settings.appName === null ? {} : { appName: settings.appName }),
      ...(settings.tls === undefined ? {} : { tls: settings.tls }),
      ...(settings.lookup === undefined ? {} : { lookup: settings.lookup }),
      clock: settings.clock,
      currentDescription: () => owner.deref()?.snapshot().servers.get(address),
    };
  }

  #listenerFor(address: Address, holder: { monitor?: ServerMonitor }): ServerMonitorListener {
    const current = (): MonitorSetOwner | undefined => {
      const owner = this.#owner.deref();
      if (owner === undefined || !owner.accepting()) return undefined;
      const monitor = this.#monitors.get(address);
      return monitor !== undefined && (holder.monitor === undefined || monitor === holder.monitor)
        ? owner
        : undefined;
    };
    return {
      heartbeatStarted: (info) => {
        const owner = current();
        if (owner === undefined) return;
        if (info.awaited) this.#awaitedInFlight.add(info.address);
        else this.#awaitedInFlight.delete(info.address);
        owner.heartbeatStarted(info);
      },
      heartbeatSucceeded: (info) => {
        const owner = current();
        if (owner === undefined) return;
        this.#awaitedInFlight.delete(info.address);
        owner.heartbeatSucceeded(info);
      },
      heartbeatFailed: (info) => {
        const owner = current();
        if (owner === undefined) return;
        this.#awaitedInFlight.delete(info.address);
        owner.heartbeatFailed(info);
      },
      description: (description) => current()?.description(address, description),
    };
  }
}
