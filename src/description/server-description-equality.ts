/**
 * When two descriptions of one server count as the same.
 *
 * `serverDescriptionsEqual` is the specification's Server Description Equality: it decides
 * whether a serverDescriptionChanged event is due. It compares every field the specification
 * marks (=): type, error, wire versions, me, hosts/passives/arbiters (as sets), tags, setName,
 * setVersion, electionId, primary, logicalSessionTimeoutMinutes and topologyVersion.
 *
 * `countsAsUnchanged` decides whether a new snapshot is due at all. It is that equality plus a
 * round-trip time that moved by no more than a tolerance. Design choice: RTT moves on every
 * heartbeat, so counting every wobble would make a new snapshot per heartbeat and defeat the
 * "unchanged input returns the same object" rule the Wasp's Nest pattern relies on; server
 * selection's latency window is 15 ms by default and tolerates a 1 ms drift. lastUpdateTime,
 * lastWriteDate and opTime move on every check of a live set, so they do not count one by one;
 * what max staleness needs of them is the server's replication lag as seen at its check
 * (lastUpdateTime - lastWriteDate), and that counts once it moved by the staleness tolerance
 * (default 10 s, the servers' idle write period: the resolution staleness can be known to anyway,
 * against a smallest maxStalenessSeconds of 90). So a secondary that stops replicating is seen
 * growing stale, while a healthy idle set does not make a snapshot per heartbeat.
 */
import type { ServerDescription, ServerErrorInfo } from './types.js';
import { sameTopologyVersion } from './topology-version.js';

/** The default RTT tolerance in ms for {@link countsAsUnchanged}. */
export const DEFAULT_RTT_TOLERANCE_MS = 1;

/** The default replication-lag tolerance in ms for {@link countsAsUnchanged} (the idle write period). */
export const DEFAULT_STALENESS_TOLERANCE_MS = 10_000;

export function serverDescriptionsEqual(a: ServerDescription, b: ServerDescription): boolean {
  if (a === b) return true;
  return (
    a.address === b.address &&
    a.type === b.type &&
    a.minWireVersion === b.minWireVersion &&
    a.maxWireVersion === b.maxWireVersion &&
    a.me === b.me &&
    a.setName === b.setName &&
    a.setVersion === b.setVersion &&
    a.electionId === b.electionId &&
    a.primary === b.primary &&
    a.logicalSessionTimeoutMinutes === b.logicalSessionTimeoutMinutes &&
    sameTopologyVersion(a.topologyVersion, b.topologyVersion) &&
    sameErrors(a.error, b.error) &&
    sameAddressSet(a.hosts, b.hosts) &&
    sameAddressSet(a.passives, b.passives) &&
    sameAddressSet(a.arbiters, b.arbiters) &&
    sameTags(a.tags, b.tags)
  );
}

/**
 * Whether replacing `previous` by `next` changes nothing a snapshot counts: the specification's
 * equality, and round-trip times (average and minimum) within `rttToleranceMS` of each other.
 */
export function countsAsUnchanged(
  previous: ServerDescription,
  next: ServerDescription,
  rttToleranceMS: number = DEFAULT_RTT_TOLERANCE_MS,
  stalenessToleranceMS: number = DEFAULT_STALENESS_TOLERANCE_MS,
): boolean {
  if (previous === next) return true;
  return (
    closeEnough(previous.roundTripTime, next.roundTripTime, rttToleranceMS) &&
    closeEnough(replicationLag(previous), replicationLag(next), stalenessToleranceMS - 1) &&
    closeEnough(previous.minRoundTripTime, next.minRoundTripTime, rttToleranceMS) &&
    serverDescriptionsEqual(previous, next)
  );
}

/** How far behind its own check the server's last write was, or null without lastWrite. */
function replicationLag(description: ServerDescription): number | null {
  return description.lastWriteDate === null ? null : description.lastUpdateTime - description.lastWriteDate;
}

function closeEnough(a: number | null, b: number | null, tolerance: number): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= tolerance;
}

function sameErrors(a: ServerErrorInfo | null, b: ServerErrorInfo | null): boolean {
  if (a === null || b === null) return a === b;
  return a.name === b.name && a.message === b.message && a.code === b.code && a.codeName === b.codeName;
}

function sameAddressSet(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  let inOrder = true;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      inOrder = false;
      break;
    }
  }
  if (inOrder) return true;
  // Lists are kept duplicate-free, so equal length plus inclusion is set equality.
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}
