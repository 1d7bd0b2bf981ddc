/**
 * The pure selection, cached for the current snapshot: a repeated selection costs an identity
 * compare or two and allocates nothing. The writer tells the cache when the snapshot changes
 * (every heartbeat replaces a description, and its RTT may move the latency window, so no result
 * is carried over to another snapshot); a selection against any other snapshot is computed and
 * not kept.
 */
import type { ServerDescription, TopologyDescription } from '../description/types.js';
import { selectionKey, type SelectionCriteria } from './criteria.js';
import type { ReadPreference } from './read-preference.js';
import { selectServers, type SelectionResult } from './select-servers.js';

/** The settings a selection depends on besides the snapshot and the criteria. */
export interface SelectionSettings {
  readonly localThresholdMS: number;
  readonly heartbeatFrequencyMS: number;
}

/** Where the cache reads the current settings (the topology: a method, not a closure per cache). */
export interface SelectionSettingsSource {
  selectionSettings(): SelectionSettings;
}

/** One cached selection of the current snapshot. */
export class CachedSelection {
  /** The one server of the latency window when there is exactly one (no random pick needed). */
  readonly only: ServerDescription | undefined;
  /**
   * A settled promise of `only`, made on first need by the caller that awaits selections: every
   * later `await selectServer` of this snapshot and criteria shares it (a settled promise is
   * immutable, so sharing it is safe).
   */
  resolved: Promise<ServerDescription> | undefined = undefined;

  constructor(
    readonly readPreference: ReadPreference,
    readonly operation: 'read' | 'write' | undefined,
    readonly result: SelectionResult,
  ) {
    this.only = result.inLatencyWindow.length === 1 ? result.inLatencyWindow[0] : undefined;
  }
}

/** From how many servers a selection keyed by JSON (tags or staleness) is worth caching. */
const CACHE_TAGGED_ABOVE_SERVERS = 8;
/** Read preferences with tags or staleness remembered by identity per snapshot (a ring). */
const OTHER_ENTRIES = 8;

export class SelectionCache {
  #current: TopologyDescription;
  /** Plain read preferences (the shared presets of each mode): at most 5 modes x 3 operations. */
  #plain: CachedSelection[] = [];
  /** Others by object identity: found without a key when built once with toReadPreference. */
  #other: CachedSelection[] = [];
  #nextOther = 0;
  /** Others by JSON key: read preferences with tags made again for each call (made on first need). */
  #byKey: Map<string, SelectionResult> | null = null;
  readonly #settings: SelectionSettingsSource;

  constructor(current: TopologyDescription, settings: SelectionSettingsSource) {
    this.#current = current;
    this.#settings = settings;
  }

  /** A new snapshot is current: the results of the previous one no longer apply. */
  snapshotChanged(current: TopologyDescription): void {
    this.#current = current;
    if (this.#plain.length > 0) this.#plain = [];
    if (this.#other.length > 0) this.#other = [];
    this.#nextOther = 0;
    this.#byKey = null;
  }

  /**
   * The selection for a normalised read preference without deprioritized servers, remembered
   * while `snapshot` is current. A hit is a few identity compares and allocates nothing.
   */
  cached(
    snapshot: TopologyDescription,
    readPreference: ReadPreference,
    operation: 'read' | 'write' | undefined,
  ): CachedSelection {
    const current = snapshot === this.#current;
    const plain = readPreference.tags.length === 0 && readPreference.maxStalenessSeconds === null;
    const entries = plain ? this.#plain : this.#other;
    if (current) {
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i] as CachedSelection;
        if (entry.readPreference === readPreference && entry.operation === operation) return entry;
      }
    }
    const entry = new CachedSelection(
      readPreference,
      operation,
      plain || !current
        ? this.#compute(snapshot, readPreference, operation, undefined)
        : this.#keyed(snapshot, readPreference, operation),
    );
    if (current) {
      if (plain) entries.push(entry);
      else {
        entries[this.#nextOther] = entry;
        this.#nextOther = (this.#nextOther + 1) % OTHER_ENTRIES;
      }
    }
    return entry;
  }

  select(snapshot: TopologyDescription, criteria: SelectionCriteria): SelectionResult {
    const { readPreference, operation, deprioritized } = criteria;
    // Deprioritized lists are one-off (a retry's server): never cached.
    if (deprioritized.length === 0) return this.cached(snapshot, readPreference, operation).result;
    return this.#compute(snapshot, readPreference, operation, deprioritized);
  }

  /**
   * A read preference with tags or staleness made per call has no identity to find it by; its
   * JSON key costs about as much as selecting among a few servers (measured), so it is cached by
   * key only for larger deployments.
   */
  #keyed(
    snapshot: TopologyDescription,
    readPreference: ReadPreference,
    operation: 'read' | 'write' | undefined,
  ): SelectionResult {
    if (snapshot.servers.size <= CACHE_TAGGED_ABOVE_SERVERS) {
      return this.#compute(snapshot, readPreference, operation, undefined);
    }
    const key = selectionKey({ readPreference, operation, deprioritized: [] });
    const byKey = (this.#byKey ??= new Map());
    const cached = byKey.get(key);
    if (cached !== undefined) return cached;
    const result = this.#compute(snapshot, readPreference, operation, undefined);
    byKey.set(key, result);
    return result;
  }

  #compute(
    snapshot: TopologyDescription,
    readPreference: ReadPreference,
    operation: 'read' | 'write' | undefined,
    deprioritized: SelectionCriteria['deprioritized'] | undefined,
  ): SelectionResult {
    const settings = this.#settings.selectionSettings();
    return selectServers(snapshot, readPreference, {
      ...(operation === undefined ? {} : { operation }),
      localThresholdMS: settings.localThresholdMS,
      heartbeatFrequencyMS: settings.heartbeatFrequencyMS,
      ...(deprioritized === undefined ? {} : { deprioritized }),
    });
  }
}
