/**
 * The known classes of divergence between our core and the official driver, each decided by the
 * specifications' text (quoted). Two kinds are allowed:
 *
 * - `driver departure`: the driver does something the specification says otherwise; we follow
 *   the specification. Each is written up in docs/conformance.md so it can be reported upstream.
 * - `spec ambiguity`: the specification allows both answers; we say which one we chose and why.
 *
 * Any divergence that no class here matches fails the differential test: it is then ours to fix
 * (or, after reading the specification, a new class to add here with the sentence that decides).
 * Each class carries a minimal reproduction (found by shrinking a random scenario) that the test
 * replays, so a class that stops reproducing (the driver fixed it) is noticed too.
 */
import type { Divergence, SelectionDivergence, StateDivergence } from './run-scenario.js';
import type { ReplySpec, Scenario } from './scenario.js';

export interface KnownDivergence {
  readonly id: string;
  readonly kind: 'driver departure' | 'spec ambiguity';
  readonly title: string;
  /** The specification and section that decide, and the sentence quoted from it. */
  readonly spec: { readonly document: string; readonly section: string; readonly quote: string };
  /** What the driver does (or, for an ambiguity, what each side chose). */
  readonly explanation: string;
  readonly matches: (divergence: Divergence) => boolean;
  /** A minimal scenario that shows it. */
  readonly reproduction: Scenario;
}

const SDAM = 'server-discovery-and-monitoring.md';
const SELECTION = 'server-selection.md';

const state = (d: Divergence): d is StateDivergence => d.kind === 'state';
const selection = (d: Divergence): d is SelectionDivergence => d.kind === 'selection';

/** A reply with every optional field absent, for the reproductions. */
function reply(fields: Partial<ReplySpec> & Pick<ReplySpec, 'role'>): ReplySpec {
  return {
    setName: null,
    hosts: [],
    passives: [],
    arbiters: [],
    me: null,
    primary: null,
    setVersion: null,
    electionId: null,
    minWireVersion: 0,
    maxWireVersion: 21,
    topologyVersion: null,
    lagMS: null,
    logicalSessionTimeoutMinutes: null,
    tags: null,
    ...fields,
  };
}

export const KNOWN_DIVERGENCES: readonly KnownDivergence[] = [
  {
    id: 'unknown-topology-ignores-arbiter',
    kind: 'driver departure',
    title: 'An RSArbiter reply leaves an Unknown topology Unknown',
    spec: {
      document: SDAM,
      section: 'TopologyType explanations, TopologyType Unknown',
      quote:
        'If the type is RSSecondary, RSArbiter or RSOther, record its setName, set the TopologyType to ' +
        'ReplicaSetNoPrimary, and call updateRSWithoutPrimary.',
    },
    explanation:
      "The driver's topologyTypeForServerType maps RSSecondary and RSOther to ReplicaSetNoPrimary but " +
      'RSArbiter to Unknown, so the set name is not recorded and the hosts the arbiter lists are not added.',
    matches: (d) =>
      state(d) &&
      d.oursBefore.type === 'Unknown' &&
      d.description.type === 'RSArbiter' &&
      d.driver.type === 'Unknown',
    reproduction: {
      start: { type: 'Unknown', seeds: ['a:27017'], setName: null },
      steps: [
        {
          at: 1_000,
          address: 'a:27017',
          outcome: { kind: 'hello', reply: reply({ role: 'arbiter', setName: 'rs0' }), rttMS: 1 },
          select: [],
        },
      ],
    },
  },
  {
    id: 'standalone-counts-servers-not-seeds',
    kind: 'driver departure',
    title: 'A standalone in an Unknown topology is judged by the servers left, not the seed list',
    spec: {
      document: SDAM,
      section: 'Actions, updateUnknownWithStandalone',
      quote:
        'if settings.seeds has one seed: topologyDescription.type = Single; else: remove this server from ' +
        'topologyDescription and stop monitoring it',
    },
    explanation:
      'The driver tests `this.servers.size !== 1`: after one of two seeds was removed (it was a standalone ' +
      'too), the other standalone turns the topology into Single, although the user gave two seeds.',
    matches: (d) =>
      state(d) &&
      d.oursBefore.type === 'Unknown' &&
      d.description.type === 'Standalone' &&
      (d.oursBefore.seedCount ?? d.oursBefore.servers.size) !== d.driverBefore.servers.size,
    reproduction: {
      start: { type: 'Unknown', seeds: ['a:27017', 'b:27017'], setName: null },
      steps: [
        {
          at: 1_000,
          address: 'a:27017',
          outcome: { kind: 'hello', reply: reply({ role: 'standalone' }), rttMS: 1 },
          select: [],
        },
        {
          at: 1_000,
          address: 'b:27017',
          outcome: { kind: 'hello', reply: reply({ role: 'standalone' }), rttMS: 1 },
          select: [],
        },
      ],
    },
  },
  {
    id: 'pre-6-electionid-without-equal-setversion',
    kind: 'driver departure',
    title: 'Before 6.0, a primary with a greater setVersion but a smaller electionId is marked stale',
    spec: {
      document: SDAM,
      section: 'Actions, updateRSFromPrimary (maxWireVersion < 17)',
      quote:
        'elif topologyDescription.maxSetVersion == serverDescription.setVersion && ' +
        'topologyDescription.maxElectionId > serverDescription.electionId: # Stale primary due to electionId mismatch',
    },
    explanation:
      'The driver marks the primary stale when `maxSetVersion > setVersion || maxElectionId > electionId`: ' +
      'the electionId comparison is made whatever the setVersions, so a newer configuration (greater ' +
      'setVersion) reported with a smaller electionId is refused.',
    matches: (d) =>
      state(d) &&
      d.description.type === 'RSPrimary' &&
      d.description.maxWireVersion < 17 &&
      d.description.setVersion !== null &&
      d.description.electionId !== null &&
      d.oursBefore.maxSetVersion !== null &&
      d.oursBefore.maxElectionId !== null &&
      d.description.setVersion > d.oursBefore.maxSetVersion &&
      d.description.electionId < d.oursBefore.maxElectionId,
    reproduction: {
      start: { type: 'ReplicaSetNoPrimary', seeds: ['a:27017'], setName: 'rs0' },
      steps: [
        {
          // A 6.0 primary records (electionId 2, setVersion 1); it does not list itself, so it is
          // removed and b is added.
          at: 1_000,
          address: 'a:27017',
          outcome: {
            kind: 'hello',
            reply: reply({
              role: 'primary',
              setName: 'rs0',
              hosts: ['b:27017'],
              setVersion: 1,
              electionId: 2,
            }),
            rttMS: 1,
          },
          select: [],
        },
        {
          at: 2_000,
          address: 'b:27017',
          outcome: {
            kind: 'hello',
            reply: reply({
              role: 'primary',
              setName: 'rs0',
              setVersion: 2,
              electionId: 1,
              maxWireVersion: 13,
            }),
            rttMS: 1,
          },
          select: [],
        },
      ],
    },
  },
  {
    id: 'update-rs-from-primary-twice',
    kind: 'driver departure',
    title: 'From ReplicaSetNoPrimary, a primary is run through updateRSFromPrimary twice',
    spec: {
      document: SDAM,
      section: 'TopologyType table, ServerType RSPrimary in TopologyType ReplicaSetNoPrimary',
      quote: 'Set topology type to ReplicaSetWithPrimary then updateRSFromPrimary',
    },
    explanation:
      "The driver's update handles ReplicaSetNoPrimary, sets the type to ReplicaSetWithPrimary, then falls " +
      'into the ReplicaSetWithPrimary branch and calls updateRsFromPrimary again. Before 6.0 the second pass ' +
      'sees the maxElectionId the first pass recorded, so a primary the first pass accepted (no maxElectionId ' +
      'was known, so no comparison was due) is marked stale when its setVersion is below maxSetVersion.',
    matches: (d) =>
      state(d) &&
      d.oursBefore.type === 'ReplicaSetNoPrimary' &&
      d.description.type === 'RSPrimary' &&
      d.description.maxWireVersion < 17 &&
      d.description.setVersion !== null &&
      d.description.electionId !== null &&
      d.oursBefore.maxElectionId === null &&
      d.oursBefore.maxSetVersion !== null &&
      d.oursBefore.maxSetVersion > d.description.setVersion,
    reproduction: {
      start: { type: 'ReplicaSetNoPrimary', seeds: ['a:27017'], setName: 'rs0' },
      steps: [
        {
          // A primary with setVersion 2 and no electionId; it does not list itself, so it is
          // removed (the topology stays without a primary) and b is added.
          at: 1_000,
          address: 'a:27017',
          outcome: {
            kind: 'hello',
            reply: reply({ role: 'primary', setName: 'rs0', hosts: ['b:27017'], setVersion: 2 }),
            rttMS: 1,
          },
          select: [],
        },
        {
          at: 3_000,
          address: 'b:27017',
          outcome: {
            kind: 'hello',
            reply: reply({
              role: 'primary',
              setName: 'rs0',
              hosts: ['b:27017'],
              setVersion: 1,
              electionId: 1,
              maxWireVersion: 13,
            }),
            rttMS: 1,
          },
          select: [],
        },
      ],
    },
  },
  {
    id: 'single-keeps-server-without-set-name',
    kind: 'driver departure',
    title: 'A direct connection with replicaSet keeps a server that reports no set name',
    spec: {
      document: SDAM,
      section: 'Verifying setName with TopologyType Single',
      quote:
        "if the ServerDescription's setName is null or wrong, the ServerDescription MUST be replaced with a " +
        'default ServerDescription of type Unknown.',
    },
    explanation:
      'The driver replaces the description only when both set names are strings and differ; a standalone, ' +
      'mongos or RSGhost (no setName) stays selectable although the user required replicaSet.',
    matches: (d) =>
      state(d) &&
      d.oursBefore.type === 'Single' &&
      d.oursBefore.setName !== null &&
      d.description.setName === null &&
      d.description.type !== 'Unknown' &&
      d.driverServer.type !== 'Unknown',
    reproduction: {
      start: { type: 'Single', seeds: ['a:27017'], setName: 'rs0' },
      steps: [
        {
          at: 1_000,
          address: 'a:27017',
          outcome: { kind: 'hello', reply: reply({ role: 'standalone' }), rttMS: 1 },
          select: [],
        },
      ],
    },
  },
  {
    id: 'selection-ignores-incompatible-topology',
    kind: 'driver departure',
    title: 'Server selection proceeds in a topology whose wire versions are incompatible',
    spec: {
      document: SELECTION,
      section: 'Rules for server selection, Server Selection Algorithm',
      quote: 'If the topology wire version is invalid, raise an error',
    },
    explanation:
      "The driver's wait queue (processWaitQueue) runs the selector without looking at `compatible`; the " +
      'incompatibility is only emitted as an error event when the description is updated, and an operation ' +
      'is then sent to a server whose wire versions do not overlap the driver’s.',
    matches: (d) => selection(d) && !d.oursState.compatible && d.ours.suitable.length === 0,
    reproduction: {
      start: { type: 'Unknown', seeds: ['a:27017'], setName: null },
      steps: [
        {
          at: 1_000,
          address: 'a:27017',
          outcome: {
            kind: 'hello',
            reply: reply({ role: 'primary', setName: 'rs0', hosts: ['a:27017', 'b:27017'] }),
            rttMS: 1,
          },
          select: [],
        },
        {
          at: 1_000,
          address: 'b:27017',
          outcome: {
            kind: 'hello',
            reply: reply({ role: 'secondary', setName: 'rs0', maxWireVersion: 3 }),
            rttMS: 1,
          },
          select: [{ mode: 'primary', tags: [], maxStalenessSeconds: null }],
        },
      ],
    },
  },
  {
    id: 'sharded-selects-non-mongos',
    kind: 'driver departure',
    title: 'A Sharded topology selects servers that are not mongos',
    spec: {
      document: SELECTION,
      section: 'Topology type: Sharded',
      quote: 'For read operations, all servers of type Mongos are suitable',
    },
    explanation:
      'The driver selects every known server in a Sharded topology (knownFilter). A server that was an ' +
      'RSGhost when the first mongos answered stays in the topology (the TopologyType table removes only the ' +
      'server being updated) and is then selected for reads and writes.',
    matches: (d) =>
      selection(d) &&
      d.oursState.type === 'Sharded' &&
      d.driver.suitable.some((address) => d.driverState.servers.get(address)?.type !== 'Mongos'),
    reproduction: {
      start: { type: 'Unknown', seeds: ['a:27017', 'b:27017'], setName: null },
      steps: [
        {
          at: 1_000,
          address: 'a:27017',
          outcome: { kind: 'hello', reply: reply({ role: 'ghost' }), rttMS: 1 },
          select: [],
        },
        {
          at: 1_000,
          address: 'b:27017',
          outcome: { kind: 'hello', reply: reply({ role: 'mongos' }), rttMS: 1 },
          select: [{ mode: 'primary', tags: [], maxStalenessSeconds: null }],
        },
      ],
    },
  },
  {
    id: 'isdbgrid-with-set-name',
    kind: 'spec ambiguity',
    title: 'A reply with both "msg: isdbgrid" and a setName',
    spec: {
      document: SDAM,
      section: 'Parsing a hello or legacy hello response, type',
      quote:
        'Mongos: "msg: isdbgrid". [...] RSOther: "setName" in response, "hidden: true" or not primary, ' +
        'secondary, nor arbiter.',
    },
    explanation:
      'The table of server types gives both rows for such a reply and no order between them. The driver ' +
      'tests isdbgrid first (Mongos); we test setName first (a replica set member: RSPrimary, RSSecondary, ' +
      'RSArbiter or RSOther by its flags), since a mongos never reports a setName and a member that does is ' +
      'what the set-name checks of the TopologyType table are for. No real server sends both.',
    matches: (d) => state(d) && d.driverServer.type === 'Mongos' && d.description.type !== 'Mongos',
    reproduction: {
      start: { type: 'Unknown', seeds: ['a:27017'], setName: null },
      steps: [
        {
          at: 1_000,
          address: 'a:27017',
          outcome: { kind: 'hello', reply: reply({ role: 'mongos', setName: 'rs0' }), rttMS: 1 },
          select: [],
        },
      ],
    },
  },
];

/** The known class a divergence belongs to, or undefined: a divergence that fails the test. */
export function classify(divergence: Divergence): KnownDivergence | undefined {
  return KNOWN_DIVERGENCES.find((known) => known.matches(divergence));
}
