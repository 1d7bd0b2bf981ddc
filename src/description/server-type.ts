/**
 * The kinds of server the discovery and monitoring specification distinguishes.
 * The string values are the specification's (and the official driver's) names.
 */
export const ServerType = {
  Standalone: 'Standalone',
  Mongos: 'Mongos',
  PossiblePrimary: 'PossiblePrimary',
  RSPrimary: 'RSPrimary',
  RSSecondary: 'RSSecondary',
  RSArbiter: 'RSArbiter',
  RSOther: 'RSOther',
  RSGhost: 'RSGhost',
  LoadBalancer: 'LoadBalancer',
  Unknown: 'Unknown',
} as const;
export type ServerType = (typeof ServerType)[keyof typeof ServerType];

/** The kinds of deployment, by the specification's names. */
export const TopologyType = {
  Unknown: 'Unknown',
  Single: 'Single',
  ReplicaSetNoPrimary: 'ReplicaSetNoPrimary',
  ReplicaSetWithPrimary: 'ReplicaSetWithPrimary',
  Sharded: 'Sharded',
  LoadBalanced: 'LoadBalanced',
} as const;
export type TopologyType = (typeof TopologyType)[keyof typeof TopologyType];
