/**
 * When two descriptions of one server count as the same.
 *
 * `serverDescriptionsEqual` is the specification's Server Description Equality: it decides
 * whether a serverDescriptionChanged event is due. It compares every field the specification
 * marks (=): type, error, wire versions, me, hosts/passives/arbiters (as sets), tags, setName,
 * setVersion, electionId, primary, logicalSessionTimeoutMinutes and topologyVersion.
 *
 * It never decides whether a description is replaced: every new description replaces the old one
 * (the specification requires it "even if the new server description compares equal to the
 * previous one"), so round-trip times, lastUpdateTime and lastWriteDate are always current.
 * `sameDescriptionValues` is for converters that rebuild descriptions from another source (the
 * driver adapter): a rebuilt description with every field equal may share the old object.
 */
import type { ServerDescription, ServerErrorInfo } from './types.js';
import { sameTopologyVersion } from './topology-version.js';

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
 * Whether two descriptions hold the same values in every field, the measured ones included
 * (round-trip times, lastUpdateTime, lastWriteDate, opTime): replacing one by the other changes
 * nothing anyone could observe.
 */
export function sameDescriptionValues(a: ServerDescription, b: ServerDescription): boolean {
  if (a === b) return true;
  return (
    a.roundTripTime === b.roundTripTime &&
    a.minRoundTripTime === b.minRoundTripTime &&
    a.lastUpdateTime === b.lastUpdateTime &&
    a.lastWriteDate === b.lastWriteDate &&
    a.opTime === b.opTime && // a server's own document: compared by reference
    a.helloOk === b.helloOk &&
    a.maxBsonObjectSize === b.maxBsonObjectSize &&
    a.maxMessageSizeBytes === b.maxMessageSizeBytes &&
    a.maxWriteBatchSize === b.maxWriteBatchSize &&
    serverDescriptionsEqual(a, b)
  );
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
