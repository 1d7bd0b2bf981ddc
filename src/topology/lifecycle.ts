/**
 * Background work must not surprise the process. This file holds what outlives a careless user:
 * - `KeepAlive`: the one ref'd handle while callers wait (monitors alone never keep the process alive).
 * - `TopologyResources`: the monitors and other closable parts of one topology, kept apart from
 *   the Topology object so that a FinalizationRegistry can close them when the Topology is
 *   garbage-collected without `close()`. The registry holds only these resources, never the
 *   Topology (monitors reach their topology through a WeakRef), or the Topology could never be
 *   collected.
 * - a count of live topologies per deployment, with one clear warning when a process opens many
 *   topologies to the same seed list (a client per request, a leak).
 */
import type { Address } from '../description/types.js';
import type { ServerMonitor } from '../monitor/server-monitor-types.js';

/** The closable parts of one topology. */
export class TopologyResources {
  /** The monitor of each server in the snapshot. */
  readonly monitors = new Map<Address, ServerMonitor>();
  /**
   * One to three parts (the live count, a waiting caller's handle, the SRV poller), each added and
   * removed rarely: an array copied on change, not a Set (about 130 B more per topology).
   */
  #closers: readonly (() => void)[] = [];
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Registers something to close with the topology; returns a function that unregisters it. */
  add(close: () => void): () => void {
    if (this.#closed) {
      close();
      return () => undefined;
    }
    // concat and slice make arrays of exactly their length (spread and filter leave 17 slots).
    if (!this.#closers.includes(close)) this.#closers = this.#closers.concat([close]);
    return () => {
      const closers = this.#closers;
      const index = closers.indexOf(close);
      if (index >= 0) this.#closers = closers.slice(0, index).concat(closers.slice(index + 1));
    };
  }

  /** Closes every monitor and registered part. Idempotent; never throws. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const monitor of this.monitors.values()) closeQuietly(() => monitor.close());
    this.monitors.clear();
    // A part unregistered by an earlier one's closing is not closed.
    for (const close of this.#closers) if (this.#closers.includes(close)) closeQuietly(close);
    this.#closers = [];
  }
}

function closeQuietly(close: () => void): void {
  try {
    close();
  } catch {
    // Closing is best effort: one failing part must not keep the others open.
  }
}

/**
 * Monitors never keep the process alive, but a caller awaiting connect(), selectServer() or
 * waitForRefresh() does, as a pending fetch would: otherwise `await topology.connect()` at the
 * top of a script could end the process before the first check. One ref'd handle while any kind
 * of caller waits, none otherwise (also closed with the resources if the topology is collected).
 */
export class KeepAlive {
  readonly #resources: TopologyResources;
  /** Releases the ref'd handle; null when there is none. */
  #release: (() => void) | null = null;

  constructor(resources: TopologyResources) {
    this.#resources = resources;
  }

  /** Whether any caller is waiting now (idempotent). */
  needed(needed: boolean): void {
    if (needed && this.#release === null) {
      const handle = setInterval(() => undefined, 2 ** 31 - 1);
      const unregister = this.#resources.add(() => clearInterval(handle));
      this.#release = () => {
        clearInterval(handle);
        unregister();
      };
    } else if (!needed && this.#release !== null) {
      this.#release();
      this.#release = null;
    }
  }
}

let warnedAboutLeak = false;

const leakRegistry = new FinalizationRegistry<TopologyResources>((resources) => {
  if (resources.closed) return;
  resources.close();
  if (!warnedAboutLeak) {
    warnedAboutLeak = true;
    process.emitWarning(
      'A waspnest Topology was garbage-collected without close(); its monitors were stopped. ' +
        'Call topology.close() when you are done with it.',
      { code: 'WASPNEST_TOPOLOGY_NOT_CLOSED' },
    );
  }
});

/** Closes `resources` if `owner` is garbage-collected while they are still open. */
export function closeWhenCollected(owner: object, resources: TopologyResources): void {
  leakRegistry.register(owner, resources, resources);
}

/** The owner closed its resources itself: no need to watch it any longer. */
export function stopWatching(resources: TopologyResources): void {
  leakRegistry.unregister(resources);
}

/** Live topologies per deployment key. */
const liveTopologies = new Map<string, number>();
const warnedDeployments = new Set<string>();

/** Above this many live topologies to one deployment, the process is warned (once per deployment). */
export const MANY_TOPOLOGIES_THRESHOLD = 10;

/** What identifies a deployment for {@link countLiveTopology}: its seeds (or SRV host), without credentials. */
export function deploymentKey(settings: {
  readonly srvHost: string | null;
  readonly seeds: readonly string[];
  readonly replicaSet: string | null;
}): string {
  if (settings.srvHost !== null) return `mongodb+srv://${settings.srvHost}`;
  const replicaSet = settings.replicaSet === null ? '' : `/?replicaSet=${settings.replicaSet}`;
  return `mongodb://${[...settings.seeds].sort().join(',')}${replicaSet}`;
}

/**
 * Counts a topology that started monitoring `deploymentKey` (its seed list, without credentials).
 * Returns the function that uncounts it (idempotent), to call on close or collection.
 */
export function countLiveTopology(deploymentKey: string, threshold = MANY_TOPOLOGIES_THRESHOLD): () => void {
  const live = (liveTopologies.get(deploymentKey) ?? 0) + 1;
  liveTopologies.set(deploymentKey, live);
  if (live > threshold && !warnedDeployments.has(deploymentKey)) {
    warnedDeployments.add(deploymentKey);
    process.emitWarning(
      `${live} waspnest topologies are open to ${deploymentKey} in this process. Each one monitors every ` +
        'server on its own; share one Topology per deployment and close() the ones you no longer use.',
      { code: 'WASPNEST_MANY_TOPOLOGIES' },
    );
  }
  let counted = true;
  return () => {
    if (!counted) return;
    counted = false;
    const remaining = (liveTopologies.get(deploymentKey) ?? 1) - 1;
    if (remaining > 0) liveTopologies.set(deploymentKey, remaining);
    else liveTopologies.delete(deploymentKey);
  };
}

/** How many topologies are live for `deploymentKey` (for tests and diagnostics). */
export function liveTopologyCount(deploymentKey: string): number {
  return liveTopologies.get(deploymentKey) ?? 0;
}
