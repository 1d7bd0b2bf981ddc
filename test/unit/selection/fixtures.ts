/** Small builders for selection unit tests: servers and snapshots without the state machine. */
import type { ServerDescription, TopologyDescription } from '../../../src/description/types.js';
import { ServerType, TopologyType } from '../../../src/description/server-type.js';

export function server(
  address: string,
  type: ServerType,
  fields: Partial<Omit<ServerDescription, 'address' | 'type'>> = {},
): ServerDescription {
  const available = type !== ServerType.Unknown && type !== ServerType.PossiblePrimary;
  return Object.freeze({
    address,
    type,
    error: null,
    roundTripTime: available ? 5 : null,
    minRoundTripTime: available ? 0 : null,
    lastUpdateTime: 0,
    lastWriteDate: null,
    opTime: null,
    minWireVersion: 0,
    maxWireVersion: available ? 21 : 0,
    me: null,
    hosts: [],
    passives: [],
    arbiters: [],
    tags: {},
    setName: type.startsWith('RS') ? 'rs0' : null,
    setVersion: null,
    electionId: null,
    primary: null,
    logicalSessionTimeoutMinutes: null,
    topologyVersion: null,
    helloOk: true,
    maxBsonObjectSize: null,
    maxMessageSizeBytes: null,
    maxWriteBatchSize: null,
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
