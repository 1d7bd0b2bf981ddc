/** What server selection returns, and the reasons it can give for finding nothing. */
import type { Address, ServerDescription } from '../description/types.js';

export interface SelectionOptions {
  /** Writes need a primary, a mongos, the standalone or the load balancer. Default 'read'. */
  readonly operation?: 'read' | 'write';
  /** Width of the latency window in ms. Default 15. */
  readonly localThresholdMS?: number;
  /** Used by the maxStalenessSeconds estimate and its validation. Default 10000. */
  readonly heartbeatFrequencyMS?: number;
  /**
   * Servers to avoid (for example the mongos a retryable operation just failed on); they are used
   * only when no other server is suitable.
   */
  readonly deprioritized?: readonly Address[];
}

export type SelectionFailureReason =
  /** A server's wire version range does not overlap ours; the snapshot says why. */
  | 'incompatible'
  /** maxStalenessSeconds is too small for this replica set (or the heartbeat frequency). */
  | 'invalidReadPreference'
  /** The snapshot has no servers at all. */
  | 'noServers'
  /** Every server is Unknown (or only a possible primary): none has answered a check. */
  | 'allUnknown'
  /** Some servers answered, but the deployment's type is not known yet (for example only ghosts). */
  | 'topologyUnknown'
  /** A write or mode 'primary' in a replica set without a primary. */
  | 'noPrimary'
  /** Mode 'secondary' in a replica set without secondaries. */
  | 'noSecondary'
  /** A mode that can use the primary or a secondary, and the replica set has neither. */
  | 'noPrimaryOrSecondary'
  /** Candidates exist, but no tag set matches any of them. */
  | 'tagsUnmatched'
  /** Every secondary is estimated staler than maxStalenessSeconds. */
  | 'tooStale'
  /** A sharded cluster without an available mongos. */
  | 'noMongos'
  /** A load-balanced deployment whose load balancer is not available. */
  | 'noLoadBalancer'
  /** Nothing matched for another reason (the explanation says which). */
  | 'noSuitableServer';

export interface SelectionResult {
  /** Every server suitable for the operation and read preference. */
  readonly suitable: readonly ServerDescription[];
  /** The suitable servers within localThresholdMS of the fastest: choose among these. */
  readonly inLatencyWindow: readonly ServerDescription[];
  /** Null on success. */
  readonly reason: SelectionFailureReason | null;
  /** Plain words saying why nothing matched, naming the read preference; null on success. */
  readonly explanation: string | null;
}

/**
 * Whether waiting for the next heartbeat cannot help: the read preference is unusable for this
 * deployment, or the deployment is incompatible. The specification requires failing at once.
 */
export function failsFast(reason: SelectionFailureReason | null): boolean {
  return reason === 'incompatible' || reason === 'invalidReadPreference';
}
