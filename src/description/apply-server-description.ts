/**
 * The discovery and monitoring state machine: (snapshot, new description of one server) →
 * snapshot, following the specification's TopologyType table and its subroutines
 * (updateUnknownWithStandalone, updateRSWithoutPrimary, updateRSWithPrimaryFromMember,
 * updateRSFromPrimary, checkIfHasPrimary, remove). Pure: time comes in the descriptions.
 *
 * Every description applied replaces the server's current one, even when it compares equal by
 * the specification's (=) fields (the specification requires it, so round-trip times,
 * lastUpdateTime and lastWriteDate are current). The same snapshot object comes back only when
 * the description is ignored (a removed server, an older topologyVersion, anything but a
 * LoadBalancer in a LoadBalanced topology) or is the very object already held. Whether events
 * are due is decided apart, by the (=) fields (sdam-events.ts).
 */
import { addressProblem, normalizeAddress } from './address.js';
import { unknownServerDescription, unknownWithError, withType } from './server-description.js';
import { ServerType, TopologyType } from './server-type.js';
import { TopologyEdit } from './topology-edit.js';
import { compareTopologyVersion } from './topology-version.js';
import type { Address, ServerDescription, TopologyDescription } from './types.js';

/** The maxWireVersion from which primaries are ordered by (electionId, setVersion): MongoDB 6.0. */
const ELECTION_ID_FIRST_WIRE_VERSION = 17;

export function applyServerDescription(
  snapshot: TopologyDescription,
  description: ServerDescription,
): TopologyDescription {
  const address = description.address;
  const current = snapshot.servers.get(address);
  // An outcome from a server no longer in the description (removed while it was being checked).
  if (current === undefined) return snapshot;
  // A reply older than what is known of this server process is stale.
  if (compareTopologyVersion(current.topologyVersion, description.topologyVersion) > 0) return snapshot;

  const edit = new TopologyEdit(snapshot);
  edit.set(address, description);
  const type = roleOf(description.type);

  switch (snapshot.type) {
    case TopologyType.Single:
      updateSingle(edit, description);
      break;
    case TopologyType.LoadBalanced:
      // Nothing is monitored behind a load balancer: only the LoadBalancer description applies.
      if (description.type !== ServerType.LoadBalancer) return snapshot;
      break;
    case TopologyType.Unknown:
      if (type === 'standalone') updateUnknownWithStandalone(edit, description);
      else if (type === 'mongos') edit.type = TopologyType.Sharded;
      else if (type === 'primary') {
        edit.type = TopologyType.ReplicaSetWithPrimary;
        updateRSFromPrimary(edit, description);
      } else if (type === 'member') {
        edit.type = TopologyType.ReplicaSetNoPrimary;
        updateRSWithoutPrimary(edit, description);
      } else if (type === 'loadBalancer') return snapshot;
      // unknown and ghost: no-op (a ghost reports no set name to build a replica set from).
      break;
    case TopologyType.Sharded:
      if (type === 'loadBalancer') return snapshot;
      if (type !== 'unknown' && type !== 'mongos') edit.remove(address);
      break;
    case TopologyType.ReplicaSetNoPrimary:
      if (type === 'standalone' || type === 'mongos') edit.remove(address);
      else if (type === 'primary') {
        edit.type = TopologyType.ReplicaSetWithPrimary;
        updateRSFromPrimary(edit, description);
      } else if (type === 'member') updateRSWithoutPrimary(edit, description);
      else if (type === 'loadBalancer') return snapshot;
      break;
    case TopologyType.ReplicaSetWithPrimary:
      if (type === 'standalone' || type === 'mongos') {
        edit.remove(address);
        edit.checkIfHasPrimary();
      } else if (type === 'primary') updateRSFromPrimary(edit, description);
      else if (type === 'member') updateRSWithPrimaryFromMember(edit, description);
      else if (type === 'loadBalancer') return snapshot;
      else edit.checkIfHasPrimary();
      break;
  }
  return edit.commit();
}

/**
 * The SRV poller's new host list (polling-srv-records spec): servers no longer listed are
 * removed, new ones added as Unknown, the others keep their descriptions. Only Unknown and
 * Sharded topologies are polled; for any other type, or an empty list (a DNS answer with no
 * records must not empty the topology), the same snapshot is returned.
 */
export function replaceSeedList(
  snapshot: TopologyDescription,
  addresses: readonly Address[],
  now: number,
): TopologyDescription {
  if (snapshot.type !== TopologyType.Unknown && snapshot.type !== TopologyType.Sharded) return snapshot;
  const wanted = new Set(addresses.map((a) => (addressProblem(a) === null ? normalizeAddress(a) : a)));
  if (wanted.size === 0) return snapshot;
  const edit = new TopologyEdit(snapshot);
  for (const member of edit.addresses()) if (!wanted.has(member)) edit.remove(member);
  for (const address of wanted)
    if (!edit.has(address)) edit.set(address, unknownServerDescription(address, now));
  edit.seedCount = wanted.size;
  return edit.commit();
}

type Role = 'unknown' | 'standalone' | 'mongos' | 'primary' | 'member' | 'ghost' | 'loadBalancer';

/** The row of the specification's TopologyType table a server type falls in. */
function roleOf(type: ServerType): Role {
  switch (type) {
    case ServerType.Standalone:
      return 'standalone';
    case ServerType.Mongos:
      return 'mongos';
    case ServerType.RSPrimary:
      return 'primary';
    case ServerType.RSSecondary:
    case ServerType.RSArbiter:
    case ServerType.RSOther:
      return 'member';
    case ServerType.RSGhost:
      return 'ghost';
    case ServerType.LoadBalancer:
      return 'loadBalancer';
    default:
      // Unknown, and PossiblePrimary (a hint, never the outcome of a check).
      return 'unknown';
  }
}

/** TopologyType Single: the one server is replaced; a required set name must match. */
function updateSingle(edit: TopologyEdit, description: ServerDescription): void {
  const required = edit.setName;
  if (required === null || description.type === ServerType.Unknown) return;
  if (description.setName !== required) {
    const reported =
      description.setName === null ? 'no replica set name' : `replica set name "${description.setName}"`;
    edit.set(
      description.address,
      unknownWithError(
        description.address,
        description.lastUpdateTime,
        'ReplicaSetNameMismatchError',
        `${description.address} reports ${reported}, but replicaSet "${required}" is required`,
      ),
    );
  }
}

function updateUnknownWithStandalone(edit: TopologyEdit, description: ServerDescription): void {
  // A lone seed that is a standalone is what the user meant; among several it is a stray member.
  if (edit.seedCount === 1) edit.type = TopologyType.Single;
  else edit.remove(description.address);
}

function addMembers(edit: TopologyEdit, description: ServerDescription): void {
  addMissing(edit, description.hosts, description.lastUpdateTime);
  addMissing(edit, description.passives, description.lastUpdateTime);
  addMissing(edit, description.arbiters, description.lastUpdateTime);
}

function addMissing(edit: TopologyEdit, list: readonly Address[], now: number): void {
  for (const address of list) {
    if (!edit.has(address)) edit.set(address, unknownServerDescription(address, now));
  }
}

/** Marks the server a member names as primary PossiblePrimary, if it is Unknown. */
function notePossiblePrimary(edit: TopologyEdit, description: ServerDescription): void {
  if (description.primary === null) return;
  const named = edit.get(description.primary);
  if (named !== undefined && named.type === ServerType.Unknown) {
    edit.set(named.address, withType(named, ServerType.PossiblePrimary));
  }
}

function meMismatch(description: ServerDescription): boolean {
  return description.me !== null && description.me !== description.address;
}

function updateRSWithoutPrimary(edit: TopologyEdit, description: ServerDescription): void {
  if (edit.setName === null) edit.setName = description.setName;
  else if (edit.setName !== description.setName) {
    edit.remove(description.address);
    return;
  }
  // Without a primary, members' lists only add servers; none is removed on their word.
  addMembers(edit, description);
  notePossiblePrimary(edit, description);
  if (meMismatch(description)) edit.remove(description.address);
}

function updateRSWithPrimaryFromMember(edit: TopologyEdit, description: ServerDescription): void {
  if (edit.setName !== description.setName || meMismatch(description)) {
    edit.remove(description.address);
    edit.checkIfHasPrimary();
    return;
  }
  // Had this member been the primary?
  if (!edit.hasPrimary()) {
    edit.type = TopologyType.ReplicaSetNoPrimary;
    notePossiblePrimary(edit, description);
  }
}

function updateRSFromPrimary(edit: TopologyEdit, description: ServerDescription): void {
  const address = description.address;
  if (edit.setName === null) edit.setName = description.setName;
  else if (edit.setName !== description.setName) {
    // A primary of another set (or of the user's set under another name).
    edit.remove(address);
    edit.checkIfHasPrimary();
    return;
  }

  const staleness =
    description.maxWireVersion >= ELECTION_ID_FIRST_WIRE_VERSION
      ? orderByElectionIdFirst(edit, description)
      : orderBySetVersionFirst(edit, description);
  if (staleness !== null) {
    edit.set(
      address,
      unknownWithError(
        address,
        description.lastUpdateTime,
        'StalePrimaryError',
        `primary marked stale due to electionId/setVersion mismatch: ${staleness}`,
      ),
    );
    edit.checkIfHasPrimary();
    return;
  }

  // Any other primary is the old one: demote it (its description is replaced by a default Unknown).
  for (const server of edit.primaries()) {
    if (server.address !== address) {
      edit.set(
        server.address,
        unknownWithError(
          server.address,
          description.lastUpdateTime,
          'StalePrimaryError',
          `primary marked stale due to discovery of newer primary ${address}`,
        ),
      );
    }
  }

  // The primary's lists are authoritative: add what it names, remove what it does not.
  addMembers(edit, description);
  const { hosts, passives, arbiters } = description;
  // Every heartbeat of the primary comes here: a Set of the members only pays for large sets.
  const members =
    hosts.length + passives.length + arbiters.length > 8
      ? new Set<Address>([...hosts, ...passives, ...arbiters])
      : null;
  for (const member of edit.addresses()) {
    const named =
      members !== null
        ? members.has(member)
        : hosts.includes(member) || passives.includes(member) || arbiters.includes(member);
    if (!named) edit.remove(member);
  }
  edit.checkIfHasPrimary();
}

/**
 * MongoDB 6.0+ (maxWireVersion ≥ 17): primaries are ordered by (electionId, setVersion), null
 * lowest. Returns why the primary is stale, or null after recording its pair as the greatest.
 */
function orderByElectionIdFirst(edit: TopologyEdit, d: ServerDescription): string | null {
  const byElection = compareNullable(d.electionId, edit.maxElectionId);
  if (byElection < 0) {
    return `mismatched electionId ${d.electionId ?? 'null'}, older than the greatest seen ${edit.maxElectionId ?? 'null'}`;
  }
  if (byElection === 0 && compareNullable(d.setVersion, edit.maxSetVersion) < 0) {
    return `mismatched setVersion ${d.setVersion ?? 'null'}, older than the greatest seen ${edit.maxSetVersion ?? 'null'} for electionId ${d.electionId ?? 'null'}`;
  }
  // The pair is the newest: setVersion may go down here (a new election resets the ordering).
  edit.maxElectionId = d.electionId;
  edit.maxSetVersion = d.setVersion;
  return null;
}

/**
 * Before MongoDB 6.0: setVersion first, then electionId, and only when both sides have both.
 * maxSetVersion only grows; maxElectionId follows the newest primary that reports both values.
 */
function orderBySetVersionFirst(edit: TopologyEdit, d: ServerDescription): string | null {
  if (d.setVersion !== null && d.electionId !== null) {
    const maxSetVersion = edit.maxSetVersion;
    const maxElectionId = edit.maxElectionId;
    if (maxSetVersion !== null && maxElectionId !== null) {
      if (maxSetVersion > d.setVersion) {
        return `mismatched setVersion ${d.setVersion}, older than the greatest seen ${maxSetVersion}`;
      }
      if (maxSetVersion === d.setVersion && maxElectionId > d.electionId) {
        return `mismatched electionId ${d.electionId}, older than the greatest seen ${maxElectionId} for setVersion ${d.setVersion}`;
      }
    }
    edit.maxElectionId = d.electionId;
  }
  if (d.setVersion !== null && (edit.maxSetVersion === null || d.setVersion > edit.maxSetVersion)) {
    edit.maxSetVersion = d.setVersion;
  }
  return null;
}

/** Orders numbers or same-length hex strings with null lowest. */
function compareNullable<T extends number | string>(a: T | null, b: T | null): -1 | 0 | 1 {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
