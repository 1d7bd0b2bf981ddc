/**
 * Why selection found nothing, in plain words. Only ever called after a failed selection, so it
 * may take its time: it re-walks the snapshot to name what it found.
 */
import type { ServerDescription, TopologyDescription } from '../description/types.js';
import { ServerType, TopologyType } from '../description/server-type.js';
import { filterByStaleness, stalenessMS, stalenessReference } from './max-staleness.js';
import { formatReadPreference, formatTagSet, type ReadPreference } from './read-preference.js';
import type { SelectionFailureReason } from './selection-result.js';

export interface FailureExplanation {
  readonly reason: SelectionFailureReason;
  readonly explanation: string;
}

/** How many servers a message lists by name before it says "and N more". */
const LISTED = 5;
/** Longest error message quoted per server. */
const ERROR_CHARS = 200;

const TYPE_ORDER: readonly ServerType[] = [
  ServerType.RSPrimary,
  ServerType.RSSecondary,
  ServerType.RSArbiter,
  ServerType.RSOther,
  ServerType.RSGhost,
  ServerType.Mongos,
  ServerType.Standalone,
  ServerType.LoadBalancer,
  ServerType.PossiblePrimary,
  ServerType.Unknown,
];

const TYPE_NAMES: Readonly<Record<ServerType, readonly [string, string]>> = {
  RSPrimary: ['primary', 'primaries'],
  RSSecondary: ['secondary', 'secondaries'],
  RSArbiter: ['arbiter', 'arbiters'],
  RSOther: ['RSOther member', 'RSOther members'],
  RSGhost: ['ghost', 'ghosts'],
  Mongos: ['mongos', 'mongos'],
  Standalone: ['standalone', 'standalones'],
  LoadBalancer: ['load balancer', 'load balancers'],
  PossiblePrimary: ['possible primary', 'possible primaries'],
  Unknown: ['Unknown', 'Unknown'],
};

function isAvailable(server: ServerDescription): boolean {
  return server.type !== ServerType.Unknown && server.type !== ServerType.PossiblePrimary;
}

function lastError(server: ServerDescription): string {
  const message = server.error?.message ?? 'no check has completed yet';
  return message.length > ERROR_CHARS ? `${message.slice(0, ERROR_CHARS)}...` : message;
}

function listNames(items: readonly string[], separator = ', '): string {
  const shown = items.slice(0, LISTED).join(separator);
  return items.length > LISTED ? `${shown}${separator}and ${items.length - LISTED} more` : shown;
}

function joinWithAnd(parts: readonly string[]): string {
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1] ?? ''}`;
}

/**
 * "2 secondaries (b:27017, c:27017), 1 Unknown (a:27017: connect ECONNREFUSED) and no primary":
 * servers grouped by type, Unknown ones with their last error; `missing` ends the list.
 */
export function describeServers(servers: readonly ServerDescription[], missing?: string): string {
  const parts: string[] = [];
  for (const type of TYPE_ORDER) {
    const ofType = servers.filter((s) => s.type === type);
    if (ofType.length === 0) continue;
    const [one, many] = TYPE_NAMES[type];
    const names =
      type === ServerType.Unknown
        ? ofType.map((s) => `${s.address}: ${lastError(s)}`)
        : ofType.map((s) => s.address);
    parts.push(
      `${ofType.length} ${ofType.length === 1 ? one : many} (${listNames(names, type === ServerType.Unknown ? '; ' : ', ')})`,
    );
  }
  if (missing !== undefined) parts.push(missing);
  return parts.length === 0 ? 'no servers' : joinWithAnd(parts);
}

function deploymentName(snapshot: TopologyDescription): string {
  switch (snapshot.type) {
    case TopologyType.ReplicaSetWithPrimary:
    case TopologyType.ReplicaSetNoPrimary:
      return snapshot.setName ? `the replica set ${snapshot.setName}` : 'the replica set';
    case TopologyType.Sharded:
      return 'the sharded cluster';
    case TopologyType.Single:
      return 'the directly connected server';
    case TopologyType.LoadBalanced:
      return 'the load-balanced deployment';
    default:
      return 'the deployment';
  }
}

function whatFor(readPreference: ReadPreference, operation: 'read' | 'write'): string {
  return operation === 'write' ? 'a write' : `read preference ${formatReadPreference(readPreference)}`;
}

/** The snapshot is incompatible: the message it carries, or a generic one. */
export function explainIncompatible(snapshot: TopologyDescription): FailureExplanation {
  return {
    reason: 'incompatible',
    explanation: `incompatible: ${snapshot.compatibilityError ?? 'a server of this deployment uses wire versions this client does not support'}`,
  };
}

/** maxStalenessSeconds cannot be used with this replica set. */
export function explainInvalidMaxStaleness(
  problem: string,
  readPreference: ReadPreference,
): FailureExplanation {
  return {
    reason: 'invalidReadPreference',
    explanation: `invalid read preference ${formatReadPreference(readPreference)} for a replica set: ${problem}`,
  };
}

function explainAllUnavailable(servers: readonly ServerDescription[], what: string): FailureExplanation {
  const allUnknown = servers.every((s) => s.type === ServerType.Unknown);
  const errors = listNames(
    servers.map((s) =>
      s.type === ServerType.Unknown ? `${s.address}: ${lastError(s)}` : `${s.address}: ${s.type}`,
    ),
    '; ',
  );
  const found =
    servers.length === 1
      ? `the only server, ${servers[0]?.address ?? ''}, is ${servers[0]?.type ?? ''} (last error: ${lastError(servers[0] as ServerDescription)})`
      : allUnknown
        ? `all ${servers.length} servers are Unknown (last errors: ${errors})`
        : `none of the ${servers.length} servers is available (${errors})`;
  return { reason: 'allUnknown', explanation: `no server is available for ${what}: ${found}` };
}

function explainReplicaSetRead(
  snapshot: TopologyDescription,
  servers: readonly ServerDescription[],
  readPreference: ReadPreference,
  heartbeatFrequencyMS: number,
): FailureExplanation {
  const what = whatFor(readPreference, 'read');
  const name = deploymentName(snapshot);
  const mode = readPreference.mode;
  const primary = servers.find((s) => s.type === ServerType.RSPrimary);
  const secondaries = servers.filter((s) => s.type === ServerType.RSSecondary);

  if (mode === 'primary') {
    return {
      reason: 'noPrimary',
      explanation: `no primary for ${what}: ${name} has ${describeServers(servers, 'no primary')}`,
    };
  }
  if (mode === 'secondary' && secondaries.length === 0) {
    return {
      reason: 'noSecondary',
      explanation: `no secondary for ${what}: ${name} has ${describeServers(servers, 'no secondaries')}`,
    };
  }
  const candidates = mode === 'nearest' && primary ? [primary, ...secondaries] : secondaries;
  if (candidates.length === 0) {
    return {
      reason: 'noPrimaryOrSecondary',
      explanation: `no primary or secondary for ${what}: ${name} has ${describeServers(servers, 'neither')}`,
    };
  }
  // secondaryPreferred falls back on the primary; saying it is missing tells the whole story.
  const noFallback = primary
    ? ''
    : mode === 'secondaryPreferred'
      ? '; there is no primary to fall back on'
      : mode === 'primaryPreferred'
        ? '; there is no primary, which primaryPreferred would use first'
        : '';

  let fresh: readonly ServerDescription[] = candidates;
  let staleNote = '';
  const maxStaleness = readPreference.maxStalenessSeconds;
  if (maxStaleness !== null) {
    fresh = filterByStaleness(candidates, snapshot, maxStaleness, heartbeatFrequencyMS);
    const reference = stalenessReference(snapshot);
    const stale = candidates.filter((s) => !fresh.includes(s));
    const staleness = listNames(
      stale.map((s) => `${s.address} ${formatSeconds(stalenessMS(s, reference, heartbeatFrequencyMS))}`),
    );
    if (fresh.length === 0) {
      return {
        reason: 'tooStale',
        explanation: `every secondary is too stale for ${what}: estimated staleness ${staleness}${noFallback}`,
      };
    }
    if (stale.length > 0) staleNote = `; staler than maxStalenessSeconds=${maxStaleness}: ${staleness}`;
  }
  if (readPreference.tags.length > 0) {
    const tags = listNames(fresh.map((s) => `${s.address} ${formatTagSet(s.tags)}`));
    return {
      reason: 'tagsUnmatched',
      explanation: `no server matches the tag sets of ${what}: the candidates have tags ${tags}${staleNote}${noFallback}`,
    };
  }
  return {
    reason: 'noSuitableServer',
    explanation: `no suitable server for ${what}: ${name} has ${describeServers(servers)}${staleNote}`,
  };
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/**
 * Why no server is suitable for this operation and read preference. The caller has already
 * checked compatibility and maxStalenessSeconds validity.
 */
export function explainNoSuitableServer(
  snapshot: TopologyDescription,
  readPreference: ReadPreference,
  operation: 'read' | 'write',
  heartbeatFrequencyMS: number,
): FailureExplanation {
  const what = whatFor(readPreference, operation);
  const servers = [...snapshot.servers.values()];
  if (servers.length === 0) {
    return {
      reason: 'noServers',
      explanation: `no server for ${what}: ${deploymentName(snapshot)} has no servers (the seed list is empty or every server was removed)`,
    };
  }
  if (!servers.some(isAvailable)) return explainAllUnavailable(servers, what);

  switch (snapshot.type) {
    case TopologyType.Unknown:
      return {
        reason: 'topologyUnknown',
        explanation: `no server for ${what}: the deployment's type is not known yet; it has ${describeServers(servers)}`,
      };
    case TopologyType.Sharded:
      return {
        reason: 'noMongos',
        explanation: `no mongos for ${what}: ${deploymentName(snapshot)} has ${describeServers(servers)}`,
      };
    case TopologyType.LoadBalanced:
      return {
        reason: 'noLoadBalancer',
        explanation: `no load balancer for ${what}: ${deploymentName(snapshot)} has ${describeServers(servers)}`,
      };
    case TopologyType.ReplicaSetWithPrimary:
    case TopologyType.ReplicaSetNoPrimary:
      if (operation === 'write') {
        return {
          reason: 'noPrimary',
          explanation: `no primary for ${what}: ${deploymentName(snapshot)} has ${describeServers(servers, 'no primary')}`,
        };
      }
      return explainReplicaSetRead(snapshot, servers, readPreference, heartbeatFrequencyMS);
    default:
      return {
        reason: 'noSuitableServer',
        explanation: `no suitable server for ${what}: ${deploymentName(snapshot)} has ${describeServers(servers)}`,
      };
  }
}
