/** Small builders for selection unit tests: servers and snapshots without the state machine. */
import type { ServerDescription, TopologyDescription } from '../../../src/description/types.js';
import { ServerType, TopologyType } from '../../../src/description/server-type.js';
import { unknownServerDescription } from '../../../src/description/server-description.js';

/** A server of `type`, as a successful check would describe it; `fields` override. */
export function server(
  address: string,
  type: ServerType,
  fields: Partial<Omit<ServerDescription, 'address' | 'type'>> = {},
): ServerDescription {
  const available = type !== ServerType.Unknown && type !== ServerType.PossiblePrimary;
  return Object.freeze({
    ...unknownServerDescription(address, 0),
    type,
    roundTripTime: available ? 5 : null,
    minRoundTripTime: available ? 0 : null,
    maxWireVersion: available ? 21 : 0,
    setName: type.startsWith('RS') ? 'rs0' : null,
    helloOk: true,
    ...fields,
  });
}

export function snapshot(
  type: TopologyType,
  servers: readonly ServerDescription[],
  fields: Partial<Omit<TopologyDescription, 'type' | 'servers'>> = {},
): TopologyDescription {
  return Object.freeze({
    type,
    setName:
      type === TopologyType.ReplicaSetWithPrimary || type === TopologyType.ReplicaSetNoPrimary ? 'rs0' : null,
    maxSetVersion: null,
    maxElectionId: null,
    servers: new Map(servers.map((s) => [s.address, s])),
    compatible: true,
    compatibilityError: null,
    logicalSessionTimeoutMinutes: null,
    version: 0,
    ...fields,
  });
}

export function addressesOf(list: readonly ServerDescription[]): string[] {
  return list.map((s) => s.address).sort();
}
