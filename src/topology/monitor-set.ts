/**
 * The monitors of one topology, one per server of its snapshot, and what the topology needs to
 * know about them: which have an awaitable (streaming) hello in flight, and each server's pool
 * generation. Monitors report through listeners that reach the topology through the one weak
 * reference held here, so that an unclosed topology can still be garbage-collected; a report from
 * a monitor that is no longer the one for its address (closed, replaced) is dropped, so a late
 * report cannot resurrect a server.
 */
import type { Document } from 'bson';
import { buildClientMetadata } from '../net/handshake.js';
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
   * The handshake's client metadata, built once for all the monitors of this topology (it reads
   * the environment and the file system): undefined until the first monitor; null when building
   * it failed, so that each connection builds it and reports why.
   */
  #clientMetadata: Document | null | undefined;

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
    const custom = settings.monitorFactory;
    for (const address of snapshot.servers.keys()) {
      if (this.#monitors.has(address)) continue;
      const listener = new MonitorSet.#Reports(this, address);
      const monitorSettings = new MonitorSettingsOf(
        settings,
        this.#owner,
        address,
        this.#metadataFor(settings),
      );
      // Our monitor keeps the two prototype-method objects; a factory of the application's gets
      // plain objects with their own properties, which it may spread or copy.
      const monitor =
        custom === undefined
          ? createServerMonitor(address, listener, monitorSettings)
          : custom(address, plainListener(listener), {
              ...monitorSettings,
              currentDescription: () => monitorSettings.currentDescription(),
            });
      listener.monitor = monitor;
      this.#monitors.set(address, monitor);
      monitor.start();
    }
    return removed;
  }

  #metadataFor(settings: TopologySettings): Document | undefined {
    if (this.#clientMetadata === undefined) {
      try {
        this.#clientMetadata = deepFreeze(
          buildClientMetadata(settings.appName === null ? {} : { appName: settings.appName }),
        );
      } catch {
        this.#clientMetadata = null;
      }
    }
    return this.#clientMetadata ?? undefined;
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

  /**
   * One monitor's listener: an object whose methods live on the prototype, so that a topology of
   * 1,000 servers keeps 1,000 small objects rather than 1,000 sets of closures. Written inside
   * MonitorSet to reach its private members.
   */
  static readonly #Reports = class MonitorReports implements ServerMonitorListener {
    /** The monitor this listens to, once made: reports from any other are dropped. */
    monitor: ServerMonitor | undefined;

    constructor(
      readonly set: MonitorSet,
      readonly address: Address,
    ) {}

    /**
     * The topology a report goes to: undefined when the topology is gone or closed, or when this
     * listener's monitor is no longer the one for its address.
     */
    #destination(): MonitorSetOwner | undefined {
      const owner = this.set.#owner.deref();
      if (owner === undefined || !owner.accepting()) return undefined;
      const current = this.set.#monitors.get(this.address);
      return current !== undefined && (this.monitor === undefined || current === this.monitor)
        ? owner
        : undefined;
    }

    heartbeatStarted(info: HeartbeatStartedInfo): void {
      const owner = this.#destination();
      if (owner === undefined) return;
      if (info.awaited) this.set.#awaitedInFlight.add(info.address);
      else this.set.#awaitedInFlight.delete(info.address);
      owner.heartbeatStarted(info);
    }

    heartbeatSucceeded(info: HeartbeatSucceededInfo): void {
      const owner = this.#destination();
      if (owner === undefined) return;
      this.set.#awaitedInFlight.delete(info.address);
      owner.heartbeatSucceeded(info);
    }

    heartbeatFailed(info: HeartbeatFailedInfo): void {
      const owner = this.#destination();
      if (owner === undefined) return;
      this.set.#awaitedInFlight.delete(info.address);
      owner.heartbeatFailed(info);
    }

    description(description: ServerDescription): void {
      this.#destination()?.description(this.address, description);
    }
  };
}

/**
 * A monitor's settings, read from the topology's, with its own server's current description
 * (a method, not a closure per monitor).
 */
class MonitorSettingsOf implements MonitorSettings {
  readonly heartbeatFrequencyMS: number;
  readonly minHeartbeatFrequencyMS: number;
  readonly connectTimeoutMS: number;
  readonly mode: MonitorSettings['mode'];
  declare readonly appName?: string;
  declare readonly tls?: MonitorSettings['tls'];
  declare readonly lookup?: MonitorSettings['lookup'];
  declare readonly clientMetadata?: Document;
  readonly clock: MonitorSettings['clock'];
  readonly #owner: WeakRef<MonitorSetOwner>;
  readonly #address: Address;

  constructor(
    settings: TopologySettings,
    owner: WeakRef<MonitorSetOwner>,
    address: Address,
    clientMetadata: Document | undefined,
  ) {
    this.heartbeatFrequencyMS = settings.heartbeatFrequencyMS;
    this.minHeartbeatFrequencyMS = settings.minHeartbeatFrequencyMS;
    this.connectTimeoutMS = settings.connectTimeoutMS;
    this.mode = settings.serverMonitoringMode;
    if (settings.appName !== null) this.appName = settings.appName;
    if (settings.tls !== undefined) this.tls = settings.tls;
    if (settings.lookup !== undefined) this.lookup = settings.lookup;
    if (clientMetadata !== undefined) this.clientMetadata = clientMetadata;
    this.clock = settings.clock;
    this.#owner = owner;
    this.#address = address;
  }

  currentDescription(): ServerDescription | undefined {
    return this.#owner.deref()?.snapshot().servers.get(this.#address);
  }
}

/** `listener` as an object with its own properties (for a monitor factory of the application's). */
function plainListener(listener: ServerMonitorListener): ServerMonitorListener {
  return {
    heartbeatStarted: (info) => listener.heartbeatStarted(info),
    heartbeatSucceeded: (info) => listener.heartbeatSucceeded(info),
    heartbeatFailed: (info) => listener.heartbeatFailed(info),
    description: (description) => listener.description(description),
  };
}

/** `document` and every document in it, frozen. */
function deepFreeze(document: Document): Document {
  for (const value of Object.values(document)) {
    if (typeof value === 'object' && value !== null) deepFreeze(value as Document);
  }
  return Object.freeze(document);
}
