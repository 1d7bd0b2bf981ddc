/**
 * The monitoring events one snapshot swap means, derived from the two snapshots alone, in the
 * order the SDAM monitoring specification's tests publish them:
 *
 *   1. serverDescriptionChanged, for each server in both whose description changed by the
 *      specification's equality (round-trip time alone never counts);
 *   2. serverClosed, for each server removed;
 *   3. topologyDescriptionChanged, when anything above happened or a topology field changed;
 *   4. serverOpening, for each server added (after the topology that holds it is published).
 *
 * An Unknown server becoming PossiblePrimary (or back) is not a serverDescriptionChanged: the
 * specification says PossiblePrimary is synonymous with Unknown for asynchronous clients, it is
 * a hint another member gave, not news from the server itself. It still counts as a topology
 * change. Comparing snapshots rather than recording the transitions keeps the state machine free
 * of side effects, and any sequence of swaps yields exactly the events that sum up the changes.
 */
import { serverDescriptionsEqual } from './server-description-equality.js';
import { ServerType } from './server-type.js';
import type { Address, ServerDescription, TopologyDescription } from './types.js';

export type SdamEvent =
  | { readonly type: 'serverOpening'; readonly address: Address }
  | { readonly type: 'serverClosed'; readonly address: Address }
  | {
      readonly type: 'serverDescriptionChanged';
      readonly address: Address;
      readonly previousDescription: ServerDescription;
      readonly newDescription: ServerDescription;
    }
  | {
      readonly type: 'topologyDescriptionChanged';
      readonly previousDescription: TopologyDescription;
      readonly newDescription: TopologyDescription;
    };

export function sdamEventsBetween(previous: TopologyDescription, next: TopologyDescription): SdamEvent[] {
  if (previous === next) return [];
  const events: SdamEvent[] = [];
  let serversChanged = false;

  for (const [address, now] of next.servers) {
    const before = previous.servers.get(address);
    if (before === undefined || before === now || serverDescriptionsEqual(before, now)) continue;
    serversChanged = true;
    if (!isOnlyAHint(before, now)) {
      events.push({
        type: 'serverDescriptionChanged',
        address,
        previousDescription: before,
        newDescription: now,
      });
    }
  }
  for (const address of previous.servers.keys()) {
    if (!next.servers.has(address)) events.push({ type: 'serverClosed', address });
  }
  const opened: SdamEvent[] = [];
  for (const address of next.servers.keys()) {
    if (!previous.servers.has(address)) opened.push({ type: 'serverOpening', address });
  }

  const topologyChanged =
    serversChanged ||
    events.length > 0 ||
    opened.length > 0 ||
    previous.type !== next.type ||
    previous.setName !== next.setName ||
    previous.maxSetVersion !== next.maxSetVersion ||
    previous.maxElectionId !== next.maxElectionId ||
    previous.compatible !== next.compatible ||
    previous.compatibilityError !== next.compatibilityError ||
    previous.logicalSessionTimeoutMinutes !== next.logicalSessionTimeoutMinutes;
  if (topologyChanged)
    events.push({ type: 'topologyDescriptionChanged', previousDescription: previous, newDescription: next });
  events.push(...opened);
  return events;
}

/** Unknown, or PossiblePrimary (Unknown plus a hint). Unlike topology-derived-fields, a LoadBalancer is not one. */
function isUnknownOrHint(type: ServerType): boolean {
  return type === ServerType.Unknown || type === ServerType.PossiblePrimary;
}

/** Whether the two differ only by the PossiblePrimary hint. */
function isOnlyAHint(before: ServerDescription, now: ServerDescription): boolean {
  return (
    before.type !== now.type &&
    isUnknownOrHint(before.type) &&
    isUnknownOrHint(now.type) &&
    serverDescriptionsEqual(before, { ...now, type: before.type })
  );
}
