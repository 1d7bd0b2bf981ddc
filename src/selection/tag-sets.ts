/**
 * Tag sets: a read preference's ordered list of tag sets narrows the candidates to those of the
 * first set that matches any of them (server selection specification, "tag_sets").
 */
import type { ServerDescription } from '../description/types.js';
import type { TagSet } from './read-preference.js';

/** Whether the server carries every tag of the set (the set is a subset of the server's tags). */
export function tagSetMatches(serverTags: Readonly<Record<string, string>>, set: TagSet): boolean {
  // for...in over a small frozen object: no Object.keys array per call. Tag sets are plain
  // objects built by toReadPreference, so there are no inherited enumerable keys to skip. No own-
  // property check on the server's tags either: the wanted value is a string, and an inherited
  // member (toString, __proto__) is never a string, so it can never compare equal.
  for (const key in set) {
    if (serverTags[key] !== set[key]) return false;
  }
  return true;
}

function isEmptySet(set: TagSet): boolean {
  for (const _key in set) return false;
  return true;
}

/**
 * The candidates matching the first tag set that matches at least one of them; the candidates
 * themselves (same array) when the list is empty or reaches an empty set first; an empty array
 * when no set matches any candidate.
 */
export function filterByTagSets(
  candidates: readonly ServerDescription[],
  tagSets: readonly TagSet[],
): readonly ServerDescription[] {
  if (tagSets.length === 0) return candidates;
  for (const set of tagSets) {
    if (isEmptySet(set)) return candidates;
    let matching: ServerDescription[] | undefined;
    for (const server of candidates) {
      if (tagSetMatches(server.tags, set)) (matching ??= []).push(server);
    }
    if (matching) return matching;
  }
  return NO_SERVERS;
}

const NO_SERVERS: readonly ServerDescription[] = Object.freeze([]);
