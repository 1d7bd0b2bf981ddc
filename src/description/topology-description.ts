/**
 * The first snapshot of a deployment, made from the seed list and the connection options, and
 * small readers of snapshots. Snapshots are deeply frozen; their servers are a read-only
 * ServerMap (see server-map.ts).
 */
import { freeze } from 'immer';
import { addressProblem, normalizeAddress } from './address.js';
import { unknownServerDescription } from './server-description.js';
import { ServerMap } from './server-map.js';
import { TopologyType } from './server-type.js';
import { compatibilityOf, logicalSessionTimeoutOf } from './topology-derived-fields.js';
import type { Address, ServerDescription, TopologyDescription } from './types.js';

export interface TopologyOptions {
  /** Connect to the one seed only, whatever it is (TopologyType Single). */
  readonly directConnection?: boolean;
  /** The replica set name required of every member. */
  readonly replicaSet?: string;
  /** The seed is a load balancer in front of mongos routers (TopologyType LoadBalanced). */
  readonly loadBalanced?: boolean;
}

/**
 * The snapshot before any check: every seed an Unknown server, the type from the options per
 * the specification's table (loadBalanced → LoadBalanced; directConnection → Single;
 * replicaSet → ReplicaSetNoPrimary; otherwise Unknown). Seeds are normalised (host names
 * lower-cased, default port) and duplicates dropped; an unusable seed is kept as given, since
 * validating seeds is the connection string's job. Version 0. Checking option combinations
 * (several seeds with directConnection, loadBalanced with replicaSet) is also the connection
 * string's job; here loadBalanced wins over directConnection, which wins over replicaSet.
 */
export function initialTopologyDescription(
  seeds: readonly Address[],
  options: TopologyOptions & { readonly now: number },
): TopologyDescription {
  const unique = new Map<Address, ServerDescription>();
  for (const seed of seeds) {
    const address = addressProblem(seed) === null ? normalizeAddress(seed) : seed;
    if (!unique.has(address)) unique.set(address, unknownServerDescription(address, options.now));
  }
  const servers = ServerMap.of(unique.values());
  let type: TopologyType;
  if (options.loadBalanced === true) type = TopologyType.LoadBalanced;
  else if (options.directConnection === true) type = TopologyType.Single;
  else if (options.replicaSet !== undefined) type = TopologyType.ReplicaSetNoPrimary;
  else type = TopologyType.Unknown;

  const snapshot: TopologyDescription = {
    type,
    // A load-balanced topology has no set name; the connection string rejects replicaSet with it.
    setName: type === TopologyType.LoadBalanced ? null : (options.replicaSet ?? null),
    maxSetVersion: null,
    maxElectionId: null,
    servers,
    ...compatibilityOf(servers.values()),
    logicalSessionTimeoutMinutes: logicalSessionTimeoutOf(servers.values()),
    version: 0,
    seedCount: servers.size,
  };
  return freeze(snapshot, true);
}

/** The snapshot's RSPrimary, if it has one (a replica set with a primary, or a direct connection to one). */
export function primaryOf(snapshot: TopologyDescription): ServerDescription | undefined {
  if (snapshot.type !== TopologyType.ReplicaSetWithPrimary && snapshot.type !== TopologyType.Single)
    return undefined;
  const address = ServerMap.from(snapshot.servers).primaryAddress();
  return address === null ? undefined : snapshot.servers.get(address);
}
