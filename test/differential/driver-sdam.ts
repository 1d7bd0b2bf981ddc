/**
 * The official driver's own SDAM state machine and server selection (mongodb 7.9, the
 * devDependency), loaded from its `lib/sdam/*` files by path: these are internal modules that the
 * package's exports do not name, so they are required through createRequire from the resolved
 * package directory. Typed here with only what the differential test uses.
 *
 * Around `TopologyDescription.update` the driver's Topology does two checks of its own
 * (`serverUpdateHandler`): an outcome from a server not in the description is ignored, and so is
 * one whose topologyVersion is older than the one held. `applyDriverUpdate` does the same, so the
 * comparison is with what a driver client does, not with the bare function.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const lib = dirname(require.resolve('mongodb'));
const load = <T>(path: string): T => require(join(lib, path)) as T;

/** The fields of the driver's ServerDescription the comparison reads. */
export interface DriverServer {
  readonly address: string;
  readonly type: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly roundTripTime: number;
  lastUpdateTime: number;
  readonly lastWriteDate: number;
  readonly topologyVersion: unknown;
  readonly setName: string | null;
}

export interface DriverTopology {
  readonly type: string;
  readonly servers: ReadonlyMap<string, DriverServer>;
  readonly setName: string | null;
  readonly maxSetVersion: number | null;
  readonly maxElectionId: { toHexString(): string } | null;
  readonly compatible: boolean;
  readonly logicalSessionTimeoutMinutes: number | null;
  localThresholdMS: number;
  update(server: DriverServer): DriverTopology;
}

interface TopologyDescriptionModule {
  TopologyDescription: new (
    type: string,
    servers: Map<string, DriverServer>,
    setName: string | null,
    maxSetVersion: null,
    maxElectionId: null,
    commonWireVersion: null,
    options: { heartbeatFrequencyMS: number; localThresholdMS: number },
  ) => DriverTopology;
}
interface ServerDescriptionModule {
  ServerDescription: new (
    address: string,
    hello?: Record<string, unknown>,
    options?: { roundTripTime?: number; minRoundTripTime?: number; error?: Error },
  ) => DriverServer;
  compareTopologyVersion(current: unknown, next: unknown): number;
}
type Selector = (topology: DriverTopology, servers: DriverServer[], deprioritized: unknown) => DriverServer[];
interface ServerSelectionModule {
  readPreferenceServerSelector(readPreference: unknown): Selector;
  DeprioritizedServers: new () => unknown;
}
interface ReadPreferenceModule {
  ReadPreference: new (
    mode: string,
    tags?: readonly Record<string, string>[],
    options?: { maxStalenessSeconds?: number },
  ) => unknown;
}
interface ErrorModule {
  MongoNetworkError: new (message: string) => Error;
}

const { TopologyDescription } = load<TopologyDescriptionModule>('sdam/topology_description.js');
const { ServerDescription, compareTopologyVersion } = load<ServerDescriptionModule>(
  'sdam/server_description.js',
);
const { readPreferenceServerSelector, DeprioritizedServers } =
  load<ServerSelectionModule>('sdam/server_selection.js');
const { ReadPreference } = load<ReadPreferenceModule>('read_preference.js');
const { MongoNetworkError } = load<ErrorModule>('error.js');

export const DRIVER_HEARTBEAT_FREQUENCY_MS = 10_000;
export const DRIVER_LOCAL_THRESHOLD_MS = 15;

/** The driver's description before any check, for one of the initial TopologyTypes. */
export function driverInitialTopology(
  type: 'Unknown' | 'ReplicaSetNoPrimary' | 'Single',
  seeds: readonly string[],
  setName: string | null,
): DriverTopology {
  const servers = new Map<string, DriverServer>();
  for (const seed of seeds) servers.set(seed, new ServerDescription(seed));
  return new TopologyDescription(type, servers, setName, null, null, null, {
    heartbeatFrequencyMS: DRIVER_HEARTBEAT_FREQUENCY_MS,
    localThresholdMS: DRIVER_LOCAL_THRESHOLD_MS,
  });
}

/** The driver's description of a successful check; lastUpdateTime is set to the test's clock. */
export function driverServerFromHello(
  address: string,
  reply: Record<string, unknown>,
  rtt: { average: number; min: number },
  now: number,
): DriverServer {
  const server = new ServerDescription(address, reply, {
    roundTripTime: rtt.average,
    minRoundTripTime: rtt.min,
  });
  server.lastUpdateTime = now;
  return server;
}

/** One network error for every failed check: making one captures a stack, which is costly. */
let networkError: Error | undefined;

/** The driver's description of a check that failed with a network error. */
export function driverServerFromNetworkError(address: string, now: number): DriverServer {
  networkError ??= new MongoNetworkError('connection reset');
  const server = new ServerDescription(address, undefined, { error: networkError });
  server.lastUpdateTime = now;
  return server;
}

/** What the driver's Topology does with a check's outcome (serverUpdateHandler). */
export function applyDriverUpdate(topology: DriverTopology, server: DriverServer): DriverTopology {
  const current = topology.servers.get(server.address);
  if (current === undefined) return topology;
  if (compareTopologyVersion(current.topologyVersion, server.topologyVersion) > 0) return topology;
  return topology.update(server);
}

export interface DriverReadPreference {
  readonly mode: string;
  readonly tags: readonly Record<string, string>[];
  readonly maxStalenessSeconds: number | null;
}

/**
 * The driver's selection as its wait queue runs it (`processWaitQueue`: the selector over every
 * server, no compatibility check there): the servers in the latency window, and the suitable
 * ones (the same selector with an unbounded window). Writes select with mode primary, as the
 * driver's executeOperation does.
 */
export function driverSelect(
  topology: DriverTopology,
  readPreference: DriverReadPreference,
): { suitable: string[]; inLatencyWindow: string[] } {
  const options =
    readPreference.maxStalenessSeconds === null
      ? {}
      : { maxStalenessSeconds: readPreference.maxStalenessSeconds };
  const selector = readPreferenceServerSelector(
    new ReadPreference(
      readPreference.mode,
      readPreference.tags.length > 0 ? [...readPreference.tags] : undefined,
      options,
    ),
  );
  const servers = [...topology.servers.values()];
  const inWindow = selector(topology, servers, new DeprioritizedServers());
  const unbounded: DriverTopology = Object.assign(
    Object.create(Object.getPrototypeOf(topology) as object),
    topology,
    {
      localThresholdMS: Number.POSITIVE_INFINITY,
    },
  ) as DriverTopology;
  const suitable = selector(unbounded, servers, new DeprioritizedServers());
  return { suitable: addressesOf(suitable), inLatencyWindow: addressesOf(inWindow) };
}

function addressesOf(servers: readonly DriverServer[]): string[] {
  return servers.map((s) => s.address).sort();
}
