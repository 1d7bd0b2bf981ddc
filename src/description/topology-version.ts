/**
 * topologyVersion: a server process's id and a counter it bumps on every state change, sent in
 * hello replies and state-change errors (MongoDB 4.4+). It orders information from one server:
 * a reply or error carrying an older topologyVersion than the one already known is stale.
 */
import { isDocument, readInteger, readObjectIdHex } from './bson-values.js';
import type { TopologyVersion } from './types.js';

/**
 * The topologyVersion in a reply's `topologyVersion` field: `undefined` when absent (or null),
 * a reason string when present but malformed, else the frozen value.
 */
export function parseTopologyVersion(
  value: unknown,
): TopologyVersion | undefined | { readonly problem: string } {
  if (value === undefined || value === null) return undefined;
  if (!isDocument(value)) return { problem: '"topologyVersion" must be a document' };
  const processId = readObjectIdHex(value['processId']);
  if (processId === undefined) return { problem: '"topologyVersion.processId" must be an ObjectId' };
  const counter = readInteger(value['counter']);
  if (counter === undefined || counter < 0) {
    return { problem: '"topologyVersion.counter" must be a non-negative 64-bit integer' };
  }
  return Object.freeze({ processId, counter });
}

/** The reply's topologyVersion, or null when it is absent or malformed. */
export function topologyVersionOrNull(value: unknown): TopologyVersion | null {
  const parsed = parseTopologyVersion(value);
  return parsed === undefined || 'problem' in parsed ? null : parsed;
}

/**
 * Orders two topologyVersions the way the specification does: -1 when `a` is older than `b`,
 * 0 when equal, 1 when newer. When either is missing, or they come from different processes,
 * `b` is assumed to be newer (-1): a restarted server's information is always fresher.
 */
export function compareTopologyVersion(a: TopologyVersion | null, b: TopologyVersion | null): -1 | 0 | 1 {
  if (a === null || b === null || a.processId !== b.processId) return -1;
  if (a.counter === b.counter) return 0;
  return a.counter < b.counter ? -1 : 1;
}

export function sameTopologyVersion(a: TopologyVersion | null, b: TopologyVersion | null): boolean {
  if (a === null || b === null) return a === b;
  return a.processId === b.processId && a.counter === b.counter;
}
