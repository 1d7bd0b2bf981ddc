/**
 * The higher-level events a person wants (`primaryChanged`, `writableChanged`,
 * `readableChanged`), derived from a pair of snapshots (previous, next). One derivation for
 * every source of snapshots, our Topology and the official-driver adapter (watchMongoClient), so
 * they cannot disagree. No I/O and no clock: the time of the change is a parameter. The only state
 * is when the primary was lost (for `durationMS`) and a per-snapshot cache.
 */
import { primaryOf } from '../description/topology-description.js';
import type { TopologyDescription } from '../description/types.js';
import type { PrimaryChangedEvent, ReadableChangedEvent, WritableChangedEvent } from './events.js';
import { toReadPreference } from '../selection/read-preference.js';
import { selectServers } from '../selection/select-servers.js';

type WithoutId<T> = Omit<T, 'topologyId'>;

/** One derived event, without the emitter's topologyId (the caller adds it). */
export type HighLevelEvent =
  | { readonly name: 'primaryChanged'; readonly payload: WithoutId<PrimaryChangedEvent> }
  | { readonly name: 'writableChanged'; readonly payload: WithoutId<WritableChangedEvent> }
  | { readonly name: 'readableChanged'; readonly payload: WithoutId<ReadableChangedEvent> };

export interface DerivedState {
  /** A write could be sent now: a primary, a mongos, the standalone or the load balancer is known. */
  readonly writable: boolean;
  /** A `nearest` read could be sent now. */
  readonly readable: boolean;
}

export interface HighLevelEventOptions {
  readonly localThresholdMS?: number;
  readonly heartbeatFrequencyMS?: number;
  /** When the source started without a primary (clock ms); `durationMS` of the first primary counts from here. */
  readonly startedAt: number;
}

const primary = toReadPreference('primary');
const nearest = toReadPreference('nearest');

/** Whether a snapshot can take a write and a read now, by the same selection the application uses. */
export function derivedStateOf(
  snapshot: TopologyDescription,
  options: Pick<HighLevelEventOptions, 'localThresholdMS' | 'heartbeatFrequencyMS'> = {},
): DerivedState {
  const selection = {
    ...(options.localThresholdMS === undefined ? {} : { localThresholdMS: options.localThresholdMS }),
    ...(options.heartbeatFrequencyMS === undefined
      ? {}
      : { heartbeatFrequencyMS: options.heartbeatFrequencyMS }),
  };
  return {
    writable: selectServers(snapshot, primary, { ...selection, operation: 'write' }).suitable.length > 0,
    readable: selectServers(snapshot, nearest, selection).suitable.length > 0,
  };
}

/**
 * Derives high-level events from successive snapshots of one source. Feed it every swap, in
 * order: `eventsBetween(previous, next, now)` returns the events for that change, in the order
 * primaryChanged, writableChanged, readableChanged.
 */
export class HighLevelEventDeriver {
  /** When the primary was lost (or the start, before the first one); null while there is one. */
  #withoutPrimarySince: number | null;
  // The states of the last two snapshots asked about (the previous and the next of a swap, while
  // it is derived), rather than a WeakMap entry per snapshot, one per heartbeat, measured as a real
  // cost in garbage collection. Plain fields: no pair object per snapshot.
  #newest: TopologyDescription | undefined = undefined;
  #newestState: DerivedState | undefined = undefined;
  #older: TopologyDescription | undefined = undefined;
  #olderState: DerivedState | undefined = undefined;
  readonly #options: HighLevelEventOptions;

  constructor(options: HighLevelEventOptions) {
    this.#options = options;
    this.#withoutPrimarySince = options.startedAt;
  }

  /** The writable/readable state of a snapshot (cached for the last two snapshots asked about). */
  stateOf(snapshot: TopologyDescription): DerivedState {
    const cached = this.#cached(snapshot);
    if (cached !== undefined) return cached;
    const state = derivedStateOf(snapshot, this.#options);
    this.#remember(snapshot, state);
    return state;
  }

  #cached(snapshot: TopologyDescription): DerivedState | undefined {
    if (this.#newest === snapshot) return this.#newestState;
    if (this.#older === snapshot) return this.#olderState;
    return undefined;
  }

  #remember(snapshot: TopologyDescription, state: DerivedState): void {
    this.#older = this.#newest;
    this.#olderState = this.#newestState;
    this.#newest = snapshot;
    this.#newestState = state;
  }

  eventsBetween(previous: TopologyDescription, next: TopologyDescription, now: number): HighLevelEvent[] {
    if (previous === next) return [];
    const events: HighLevelEvent[] = [];
    const before = primaryOf(previous)?.address ?? null;
    const after = primaryOf(next)?.address ?? null;
    if (before !== after) {
      let durationMS: number | null = null;
      // A direct switch had no gap; a primary after none counts the time since it was lost.
      if (after !== null) durationMS = before !== null ? 0 : now - (this.#withoutPrimarySince ?? now);
      this.#withoutPrimarySince = after === null ? now : null;
      events.push({
        name: 'primaryChanged',
        payload: { previous: before, current: after, durationMS, snapshot: next },
      });
    } else if (after !== null) {
      this.#withoutPrimarySince = null;
    }
    const was = this.stateOf(previous);
    // Most swaps only move a round-trip time: the answer cannot change, so it is carried over.
    if (this.#cached(next) === undefined && sameServerTypes(previous, next)) this.#remember(next, was);
    const is = this.stateOf(next);
    if (was.writable !== is.writable) {
      events.push({ name: 'writableChanged', payload: { writable: is.writable, snapshot: next } });
    }
    if (was.readable !== is.readable) {
      events.push({ name: 'readableChanged', payload: { readable: is.readable, snapshot: next } });
    }
    // The next change starts from `next`: keeping `previous` would only keep a stale snapshot alive
    // (about 500 B per topology); in the rare case it is asked about again, it is derived again.
    this.#older = undefined;
    this.#olderState = undefined;
    return events;
  }
}

/**
 * Whether two snapshots agree on everything writability and `nearest` readability read: the
 * topology type, compatibility, and the same servers with the same types (no tags and no
 * staleness limit are involved in either selection).
 */
function sameServerTypes(a: TopologyDescription, b: TopologyDescription): boolean {
  if (a.type !== b.type || a.compatible !== b.compatible || a.servers.size !== b.servers.size) return false;
  for (const server of b.servers.values()) {
    if (a.servers.get(server.address)?.type !== server.type) return false;
  }
  return true;
}
