/**
 * The pure selection, cached for the current snapshot: a repeated selection costs a Map lookup.
 * The writer tells the cache when the snapshot changes; a selection against any other snapshot is
 * computed and not kept.
 */
import type { TopologyDescription } from '../description/types.js';
import { selectionKey, type SelectionCriteria } from './criteria.js';
import { selectServers, type SelectionResult } from './select-servers.js';

/** The settings a selection depends on besides the snapshot and the criteria. */
export interface SelectionSettings {
  readonly localThresholdMS: number;
  readonly heartbeatFrequencyMS: number;
}

/** From how many servers a selection with tags or staleness is worth caching per snapshot. */
const CACHE_TAGGED_ABOVE_SERVERS = 8;

export class SelectionCache {
  #current: TopologyDescription;
  #results = new Map<string, SelectionResult>();
  readonly #settings: () => SelectionSettings;

  constructor(current: TopologyDescription, settings: () => SelectionSettings) {
    this.#current = current;
    this.#settings = settings;
  }

  /** A new snapshot is current: the results of the previous one no longer apply. */
  snapshotChanged(current: TopologyDescription): void {
    this.#current = current;
    this.#results = new Map();
  }

  select(snapshot: TopologyDescription, criteria: SelectionCriteria): SelectionResult {
    const { readPreference, operation, deprioritized } = criteria;
    // Plain criteria have a short string key. For tag sets or maxStalenessSeconds the key is JSON,
    // which costs about as much as selecting among a few servers (measured): cache those only for
    // larger deployments. Deprioritized lists are one-off (a retry's server): never cached.
    const plain = readPreference.tags.length === 0 && readPreference.maxStalenessSeconds === null;
    const cacheable =
      snapshot === this.#current &&
      deprioritized.length === 0 &&
      (plain || snapshot.servers.size > CACHE_TAGGED_ABOVE_SERVERS);
    const key = cacheable ? selectionKey(criteria) : '';
    if (cacheable) {
      const cached = this.#results.get(key);
      if (cached !== undefined) return cached;
    }
    const settings = this.#settings();
    const result = selectServers(snapshot, readPreference, {
      ...(operation === undefined ? {} : { operation }),
      localThresholdMS: settings.localThresholdMS,
      heartbeatFrequencyMS: settings.heartbeatFrequencyMS,
      deprioritized,
    });
    if (cacheable) this.#results.set(key, result);
    return result;
  }
}
