/**
 * Server selection, pure: (snapshot, read preference, options) → suitable servers and the latency
 * window, or a reason and an explanation. Follows the server selection and max staleness
 * specifications: per topology type, per operation, per read preference mode; staleness before
 * tag sets; deprioritized servers only when nothing else is suitable; fail fast when incompatible.
 *
 * Speed notes (this runs on every operation): a mode string maps to a shared frozen read
 * preference, and an already-normalised one is recognised by one `instanceof`; options default
 * to one shared constant; the snapshot's map is walked with plain loops, stopping at the primary
 * when only the primary is wanted (no closures per server, no Map or Set built); the staleness,
 * tag and latency filters return their input array unchanged when they remove nothing; a single
 * primary costs one 1-element array plus the result object; explanations are built only on
 * failure. The measured costs are in docs/benchmarks.md.
 */
import type { Address, ServerDescription, TopologyDescription } from '../description/types.js';
import { ServerType, TopologyType } from '../description/server-type.js';
import { explainIncompatible, explainInvalidMaxStaleness, explainNoSuitableServer } from './explain.js';
import { inLatencyWindow, DEFAULT_LOCAL_THRESHOLD_MS } from './latency-window.js';
import { DEFAULT_HEARTBEAT_FREQUENCY_MS, filterByStaleness, maxStalenessProblem } from './max-staleness.js';
import type { ReadPreference } from './read-preference.js';
import { filterByTagSets } from './tag-sets.js';
import type { SelectionOptions, SelectionResult } from './selection-result.js';

export type { SelectionFailureReason, SelectionOptions, SelectionResult } from './selection-result.js';
export { failsFast } from './selection-result.js';

const NO_SERVERS: readonly ServerDescription[] = Object.freeze([]);
const NO_OPTIONS: SelectionOptions = Object.freeze({});

function skipped(server: ServerDescription, skip: readonly Address[] | undefined): boolean {
  return skip !== undefined && skip.includes(server.address);
}

/** Unknown and PossiblePrimary servers are not available; every other type is. */
function isAvailable(server: ServerDescription): boolean {
  return server.type !== ServerType.Unknown && server.type !== ServerType.PossiblePrimary;
}

/** Servers of one type (or any available one when `type` is null), minus the skipped ones. */
function collect(
  snapshot: TopologyDescription,
  type: ServerType | null,
  skip: readonly Address[] | undefined,
): readonly ServerDescription[] {
  let found: ServerDescription[] | undefined;
  for (const server of snapshot.servers.values()) {
    if ((type === null ? isAvailable(server) : server.type === type) && !skipped(server, skip)) {
      (found ??= []).push(server);
    }
  }
  return found ?? NO_SERVERS;
}

function findPrimary(
  snapshot: TopologyDescription,
  skip: readonly Address[] | undefined,
): ServerDescription | undefined {
  for (const server of snapshot.servers.values()) {
    if (server.type === ServerType.RSPrimary) return skipped(server, skip) ? undefined : server;
  }
  return undefined;
}

/** Secondaries (and the primary too, for 'nearest'), before staleness and tags. */
function replicaSetCandidates(
  snapshot: TopologyDescription,
  withPrimary: boolean,
  skip: readonly Address[] | undefined,
): readonly ServerDescription[] {
  let found: ServerDescription[] | undefined;
  for (const server of snapshot.servers.values()) {
    const type = server.type;
    if (
      (type === ServerType.RSSecondary || (withPrimary && type === ServerType.RSPrimary)) &&
      !skipped(server, skip)
    ) {
      (found ??= []).push(server);
    }
  }
  return found ?? NO_SERVERS;
}

/** Staleness first, then tag sets (the specification's order). */
function eligible(
  candidates: readonly ServerDescription[],
  snapshot: TopologyDescription,
  readPreference: ReadPreference,
  heartbeatFrequencyMS: number,
): readonly ServerDescription[] {
  if (candidates.length === 0) return candidates;
  const maxStaleness = readPreference.maxStalenessSeconds;
  const fresh =
    maxStaleness !== null && maxStaleness > 0
      ? filterByStaleness(candidates, snapshot, maxStaleness, heartbeatFrequencyMS)
      : candidates;
  return filterByTagSets(fresh, readPreference.tags);
}

function replicaSetRead(
  snapshot: TopologyDescription,
  readPreference: ReadPreference,
  heartbeatFrequencyMS: number,
  skip: readonly Address[] | undefined,
): readonly ServerDescription[] {
  switch (readPreference.mode) {
    case 'primary': {
      const primary = findPrimary(snapshot, skip);
      return primary ? [primary] : NO_SERVERS;
    }
    case 'primaryPreferred': {
      const primary = findPrimary(snapshot, skip);
      if (primary) return [primary];
      return eligible(
        replicaSetCandidates(snapshot, false, skip),
        snapshot,
        readPreference,
        heartbeatFrequencyMS,
      );
    }
    case 'secondary':
      return eligible(
        replicaSetCandidates(snapshot, false, skip),
        snapshot,
        readPreference,
        heartbeatFrequencyMS,
      );
    case 'secondaryPreferred': {
      const secondaries = eligible(
        replicaSetCandidates(snapshot, false, skip),
        snapshot,
        readPreference,
        heartbeatFrequencyMS,
      );
      if (secondaries.length > 0) return secondaries;
      const primary = findPrimary(snapshot, skip);
      return primary ? [primary] : NO_SERVERS;
    }
    case 'nearest':
      return eligible(
        replicaSetCandidates(snapshot, true, skip),
        snapshot,
        readPreference,
        heartbeatFrequencyMS,
      );
    default:
      return NO_SERVERS;
  }
}

/** The suitable servers by topology type and operation type, ignoring `skip`ped addresses. */
function findSuitable(
  snapshot: TopologyDescription,
  readPreference: ReadPreference,
  write: boolean,
  heartbeatFrequencyMS: number,
  skip: readonly Address[] | undefined,
): readonly ServerDescription[] {
  switch (snapshot.type) {
    case TopologyType.ReplicaSetWithPrimary: {
      if (!write) return replicaSetRead(snapshot, readPreference, heartbeatFrequencyMS, skip);
      const primary = findPrimary(snapshot, skip);
      return primary ? [primary] : NO_SERVERS;
    }
    case TopologyType.ReplicaSetNoPrimary:
      return write ? NO_SERVERS : replicaSetRead(snapshot, readPreference, heartbeatFrequencyMS, skip);
    case TopologyType.Sharded:
      // The read preference is passed on to mongos, not applied here.
      return collect(snapshot, ServerType.Mongos, skip);
    case TopologyType.LoadBalanced:
      return collect(snapshot, ServerType.LoadBalancer, skip);
    case TopologyType.Single:
      // A direct connection: the server takes every operation whatever its type, if available.
      return collect(snapshot, null, skip);
    default:
      // Unknown: nothing is suitable until discovery says what the deployment is.
      return NO_SERVERS;
  }
}

/**
 * Selects the servers suitable for an operation from one snapshot. Never throws; when nothing is
 * suitable the result carries a `reason` and an `explanation` (see `failsFast` for the reasons
 * that waiting cannot fix).
 */
export function selectServers(
  snapshot: TopologyDescription,
  readPreference: ReadPreference,
  options: SelectionOptions = NO_OPTIONS,
): SelectionResult {
  if (!snapshot.compatible) return failure(explainIncompatible(snapshot));
  const write = options.operation === 'write';
  const heartbeatFrequencyMS = options.heartbeatFrequencyMS ?? DEFAULT_HEARTBEAT_FREQUENCY_MS;

  if (
    !write &&
    readPreference.maxStalenessSeconds !== null &&
    (snapshot.type === TopologyType.ReplicaSetWithPrimary ||
      snapshot.type === TopologyType.ReplicaSetNoPrimary)
  ) {
    const problem = maxStalenessProblem(readPreference.maxStalenessSeconds, heartbeatFrequencyMS);
    if (problem !== null) return failure(explainInvalidMaxStaleness(problem, readPreference));
  }

  const deprioritized = options.deprioritized;
  let suitable = NO_SERVERS;
  if (deprioritized !== undefined && deprioritized.length > 0) {
    suitable = findSuitable(snapshot, readPreference, write, heartbeatFrequencyMS, deprioritized);
  }
  // Deprioritized servers are still better than none.
  if (suitable.length === 0)
    suitable = findSuitable(snapshot, readPreference, write, heartbeatFrequencyMS, undefined);
  if (suitable.length === 0) {
    return failure(
      explainNoSuitableServer(snapshot, readPreference, write ? 'write' : 'read', heartbeatFrequencyMS),
    );
  }
  return {
    suitable,
    inLatencyWindow: inLatencyWindow(suitable, options.localThresholdMS ?? DEFAULT_LOCAL_THRESHOLD_MS),
    reason: null,
    explanation: null,
  };
}

function failure(explained: {
  reason: NonNullable<SelectionResult['reason']>;
  explanation: string;
}): SelectionResult {
  return {
    suitable: NO_SERVERS,
    inLatencyWindow: NO_SERVERS,
    reason: explained.reason,
    explanation: explained.explanation,
  };
}
