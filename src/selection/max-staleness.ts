/**
 * maxStalenessSeconds: how far behind the primary's writes a secondary may be estimated to lag
 * and still serve a read (max staleness specification). The estimate uses only times the client
 * recorded and times the servers reported, so clock skew between them cancels out.
 */
import type { ServerDescription, TopologyDescription } from '../description/types.js';
import { ServerType, TopologyType } from '../description/server-type.js';

/** An idle primary writes a no-op this often, which bounds how stale an idle set can look. */
export const IDLE_WRITE_PERIOD_MS = 10_000;
/** The smallest maxStalenessSeconds a replica set accepts. */
export const SMALLEST_MAX_STALENESS_SECONDS = 90;
/** The discovery and monitoring specification's default heartbeatFrequencyMS. */
export const DEFAULT_HEARTBEAT_FREQUENCY_MS = 10_000;

/**
 * Why `maxStalenessSeconds` cannot be used with a replica set polled every `heartbeatFrequencyMS`,
 * or null when it can (or when there is no maximum). It must be at least 90 seconds and at least
 * heartbeatFrequencyMS + idleWritePeriodMS, or an idle set would look too stale to read from.
 */
export function maxStalenessProblem(
  maxStalenessSeconds: number | null,
  heartbeatFrequencyMS: number,
): string | null {
  if (maxStalenessSeconds === null) return null;
  if (maxStalenessSeconds < SMALLEST_MAX_STALENESS_SECONDS) {
    return `maxStalenessSeconds=${maxStalenessSeconds} is less than the smallest allowed value, ${SMALLEST_MAX_STALENESS_SECONDS} seconds`;
  }
  if (maxStalenessSeconds * 1000 < heartbeatFrequencyMS + IDLE_WRITE_PERIOD_MS) {
    const least = Math.ceil((heartbeatFrequencyMS + IDLE_WRITE_PERIOD_MS) / 1000);
    return (
      `maxStalenessSeconds=${maxStalenessSeconds} is less than heartbeatFrequencyMS (${heartbeatFrequencyMS}) ` +
      `plus the idle write period (${IDLE_WRITE_PERIOD_MS} ms): it must be at least ${least} seconds`
    );
  }
  return null;
}

/**
 * What a secondary's staleness is measured against: with a primary, the primary's own lag between
 * its last write and when we checked it; without one, the newest secondary's last write.
 * Computed once per selection from the whole snapshot (not the filtered candidates).
 */
export interface StalenessReference {
  readonly withPrimary: boolean;
  /** With a primary: P.lastUpdateTime - P.lastWriteDate. Without: SMax.lastWriteDate. */
  readonly value: number;
}

export function stalenessReference(snapshot: TopologyDescription): StalenessReference {
  let newestWrite = 0;
  for (const server of snapshot.servers.values()) {
    if (server.type === ServerType.RSPrimary && snapshot.type === TopologyType.ReplicaSetWithPrimary) {
      return { withPrimary: true, value: server.lastUpdateTime - (server.lastWriteDate ?? 0) };
    }
    if (server.type === ServerType.RSSecondary && (server.lastWriteDate ?? 0) > newestWrite) {
      newestWrite = server.lastWriteDate ?? 0;
    }
  }
  return { withPrimary: false, value: newestWrite };
}

/**
 * Estimated staleness of a server in ms. Only secondaries can be stale; anything else is 0.
 * A secondary that never reported a lastWriteDate counts as having written at time 0: it looks
 * extremely stale, which is the safe answer when its freshness is unknown.
 */
export function stalenessMS(
  server: ServerDescription,
  reference: StalenessReference,
  heartbeatFrequencyMS: number,
): number {
  if (server.type !== ServerType.RSSecondary) return 0;
  const lastWriteDate = server.lastWriteDate ?? 0;
  return reference.withPrimary
    ? server.lastUpdateTime - lastWriteDate - reference.value + heartbeatFrequencyMS
    : reference.value - lastWriteDate + heartbeatFrequencyMS;
}

/**
 * The candidates whose estimated staleness is at most `maxStalenessSeconds`. Returns the same
 * array when every candidate is fresh enough (no allocation on the common path).
 */
export function filterByStaleness(
  candidates: readonly ServerDescription[],
  snapshot: TopologyDescription,
  maxStalenessSeconds: number,
  heartbeatFrequencyMS: number,
): readonly ServerDescription[] {
  const reference = stalenessReference(snapshot);
  const limitMS = maxStalenessSeconds * 1000;
  let fresh: ServerDescription[] | undefined;
  for (let i = 0; i < candidates.length; i++) {
    const server = candidates[i] as ServerDescription;
    const ok = stalenessMS(server, reference, heartbeatFrequencyMS) <= limitMS;
    if (fresh) {
      if (ok) fresh.push(server);
    } else if (!ok) {
      // First stale server: copy the fresh ones seen so far, then continue filtering.
      fresh = candidates.slice(0, i);
    }
  }
  return fresh ?? candidates;
}
