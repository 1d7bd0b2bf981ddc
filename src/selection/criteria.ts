/**
 * What a selection asks for (read preference, operation, servers to avoid), made once per call
 * from the public arguments, and the key under which equal criteria share one selection.
 */
import type { Address } from '../description/types.js';
import { toReadPreference, type ReadPreference, type ReadPreferenceLike } from './read-preference.js';

export interface SelectionCriteria {
  readonly readPreference: ReadPreference;
  readonly operation: 'read' | 'write' | undefined;
  readonly deprioritized: readonly Address[];
}

/** The per-call options that shape the criteria. */
export interface CriteriaOptions {
  readonly operation?: 'read' | 'write';
  readonly deprioritized?: readonly Address[];
}

const noDeprioritized: readonly Address[] = Object.freeze([]);

/** @throws ReadPreferenceError for an invalid read preference. */
export function selectionCriteria(
  readPreference: ReadPreferenceLike | undefined,
  options: CriteriaOptions | undefined,
): SelectionCriteria {
  return {
    readPreference: toReadPreference(readPreference),
    operation: options?.operation,
    deprioritized: options?.deprioritized ?? noDeprioritized,
  };
}

/** What connect() waits for: any server a read could use (primary, secondary, mongos, standalone, load balancer). */
export const connectCriteria: SelectionCriteria = Object.freeze({
  readPreference: toReadPreference('primaryPreferred'),
  operation: undefined,
  deprioritized: noDeprioritized,
});

/** A stable key for criteria: callers with equal keys share one selection per snapshot. */
export function selectionKey(criteria: SelectionCriteria): string {
  const { readPreference: rp, operation, deprioritized } = criteria;
  if (rp.tags.length === 0 && rp.maxStalenessSeconds === null && deprioritized.length === 0) {
    return `${rp.mode}|${operation ?? ''}`;
  }
  return JSON.stringify([rp.mode, rp.tags, rp.maxStalenessSeconds, operation ?? '', deprioritized]);
}
