/**
 * Runs one scenario through our pure core and through the driver's TopologyDescription side by
 * side, and reports where they disagree.
 *
 * After every step: the topology type, setName, maxSetVersion, maxElectionId, compatible,
 * logicalSessionTimeoutMinutes, and each server's address and type (PossiblePrimary counts as
 * Unknown: the SDAM specification says it is synonymous with Unknown for asynchronous clients,
 * and the driver does not have it). The first state divergence ends the run (what follows it
 * compares two different histories). On each state both agree on, the selections of the step
 * are compared: the suitable servers and the servers in the latency window.
 */
import { Long, ObjectId } from 'bson';
import { applyServerDescription } from '../../src/description/apply-server-description.js';
import { addRttSample, emptyRttStats, type RttStats } from '../../src/description/round-trip-time.js';
import {
  serverDescriptionFromError,
  serverDescriptionFromHello,
} from '../../src/description/server-description.js';
import { initialTopologyDescription } from '../../src/description/topology-description.js';
import type { ServerDescription, TopologyDescription } from '../../src/description/types.js';
import { NetworkError } from '../../src/errors.js';
import { toReadPreference } from '../../src/selection/read-preference.js';
import { selectServers } from '../../src/selection/select-servers.js';
import {
  applyDriverUpdate,
  DRIVER_HEARTBEAT_FREQUENCY_MS,
  DRIVER_LOCAL_THRESHOLD_MS,
  driverInitialTopology,
  driverSelect,
  driverServerFromHello,
  driverServerFromNetworkError,
  type DriverServer,
  type DriverTopology,
} from './driver-sdam.js';
import type { ReadPreferenceSpec, ReplySpec, Scenario, Step } from './scenario.js';

/** The compared fields of a topology, as plain data. */
export interface StateSummary {
  readonly type: string;
  readonly setName: string | null;
  readonly maxSetVersion: number | null;
  readonly maxElectionId: string | null;
  readonly compatible: boolean;
  readonly logicalSessionTimeoutMinutes: number | null;
  /** address → server type, in address order. */
  readonly servers: Readonly<Record<string, string>>;
}

export interface SelectionSummary {
  readonly suitable: readonly string[];
  readonly inLatencyWindow: readonly string[];
}

/** Everything a classifier may look at: the states before and after, and the step. */
export interface StateDivergence {
  readonly kind: 'state';
  readonly stepIndex: number;
  readonly step: Step;
  readonly scenario: Scenario;
  readonly oursBefore: TopologyDescription;
  readonly driverBefore: DriverTopology;
  /** Our description of the step's outcome (before the state machine ran). */
  readonly description: ServerDescription;
  /** The driver's description of the same outcome. */
  readonly driverServer: DriverServer;
  readonly oursAfter: TopologyDescription;
  readonly driverAfter: DriverTopology;
  readonly ours: StateSummary;
  readonly driver: StateSummary;
}

export interface SelectionDivergence {
  readonly kind: 'selection';
  readonly stepIndex: number;
  readonly scenario: Scenario;
  readonly readPreference: ReadPreferenceSpec;
  readonly oursState: TopologyDescription;
  readonly driverState: DriverTopology;
  readonly ours: SelectionSummary;
  readonly driver: SelectionSummary;
}

export type Divergence = StateDivergence | SelectionDivergence;

export interface RunOutcome {
  /** Steps run until the end or the first state divergence (that step included). */
  readonly steps: number;
  readonly selections: number;
  readonly divergences: readonly Divergence[];
}

const electionIds = [1, 2, 3].map((n) => new ObjectId(`7fffffff${n.toString(16).padStart(16, '0')}`));
const processIds = [1, 2].map((n) => new ObjectId(n.toString(16).padStart(24, '0')));

/** The hello document a reply spec stands for (the same object goes to both sides). */
export function toHelloDocument(reply: ReplySpec, at: number): Record<string, unknown> {
  const document: Record<string, unknown> = {
    ok: 1,
    minWireVersion: reply.minWireVersion,
    maxWireVersion: reply.maxWireVersion,
  };
  switch (reply.role) {
    case 'primary':
      document['isWritablePrimary'] = true;
      break;
    case 'secondary':
      document['secondary'] = true;
      break;
    case 'passive':
      Object.assign(document, { secondary: true, passive: true });
      break;
    case 'hidden':
      Object.assign(document, { secondary: true, hidden: true });
      break;
    case 'arbiter':
      document['arbiterOnly'] = true;
      break;
    case 'mongos':
      document['msg'] = 'isdbgrid';
      break;
    case 'ghost':
      document['isreplicaset'] = true;
      break;
    default:
      break;
  }
  if (reply.setName !== null) document['setName'] = reply.setName;
  if (reply.hosts.length > 0 || reply.setName !== null) document['hosts'] = [...reply.hosts];
  if (reply.passives.length > 0) document['passives'] = [...reply.passives];
  if (reply.arbiters.length > 0) document['arbiters'] = [...reply.arbiters];
  if (reply.me !== null) document['me'] = reply.me;
  if (reply.primary !== null) document['primary'] = reply.primary;
  if (reply.setVersion !== null) document['setVersion'] = reply.setVersion;
  if (reply.electionId !== null) document['electionId'] = electionIds[reply.electionId - 1];
  if (reply.topologyVersion !== null) {
    document['topologyVersion'] = {
      processId: processIds[reply.topologyVersion.process - 1],
      counter: Long.fromNumber(reply.topologyVersion.counter),
    };
  }
  if (reply.lagMS !== null) document['lastWrite'] = { lastWriteDate: new Date(at - reply.lagMS) };
  if (reply.logicalSessionTimeoutMinutes !== null)
    document['logicalSessionTimeoutMinutes'] = reply.logicalSessionTimeoutMinutes;
  if (reply.tags !== null) document['tags'] = { ...reply.tags };
  return document;
}

export function summarizeOurs(snapshot: TopologyDescription): StateSummary {
  const servers: Record<string, string> = {};
  for (const address of [...snapshot.servers.keys()].sort()) {
    const type = snapshot.servers.get(address)?.type ?? 'Unknown';
    servers[address] = type === 'PossiblePrimary' ? 'Unknown' : type;
  }
  return {
    type: snapshot.type,
    setName: snapshot.setName,
    maxSetVersion: snapshot.maxSetVersion,
    maxElectionId: snapshot.maxElectionId,
    compatible: snapshot.compatible,
    logicalSessionTimeoutMinutes: snapshot.logicalSessionTimeoutMinutes,
    servers,
  };
}

export function summarizeDriver(topology: DriverTopology): StateSummary {
  const servers: Record<string, string> = {};
  for (const address of [...topology.servers.keys()].sort()) {
    servers[address] = topology.servers.get(address)?.type ?? 'Unknown';
  }
  return {
    type: topology.type,
    setName: topology.setName,
    maxSetVersion: topology.maxSetVersion,
    maxElectionId: topology.maxElectionId === null ? null : topology.maxElectionId.toHexString(),
    compatible: topology.compatible,
    logicalSessionTimeoutMinutes: topology.logicalSessionTimeoutMinutes,
    servers,
  };
}

export function sameState(a: StateSummary, b: StateSummary): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function selectOurs(snapshot: TopologyDescription, spec: ReadPreferenceSpec): SelectionSummary {
  const readPreference = toReadPreference({
    mode: spec.mode,
    tags: spec.tags,
    maxStalenessSeconds: spec.maxStalenessSeconds,
  });
  const result = selectServers(snapshot, readPreference, {
    operation: spec.write === true ? 'write' : 'read',
    heartbeatFrequencyMS: DRIVER_HEARTBEAT_FREQUENCY_MS,
    localThresholdMS: DRIVER_LOCAL_THRESHOLD_MS,
  });
  return {
    suitable: result.suitable.map((s) => s.address).sort(),
    inLatencyWindow: result.inLatencyWindow.map((s) => s.address).sort(),
  };
}

function sameSelection(a: SelectionSummary, b: SelectionSummary): boolean {
  return a.suitable.join() === b.suitable.join() && a.inLatencyWindow.join() === b.inLatencyWindow.join();
}

export function runScenario(scenario: Scenario): RunOutcome {
  const { start } = scenario;
  let ours = initialTopologyDescription(start.seeds, {
    now: 0,
    ...(start.type === 'Single' ? { directConnection: true } : {}),
    ...(start.setName === null ? {} : { replicaSet: start.setName }),
  });
  let driver = driverInitialTopology(start.type, start.seeds, start.setName);
  const rtt = new Map<string, RttStats>();
  const divergences: Divergence[] = [];
  let selections = 0;

  for (let i = 0; i < scenario.steps.length; i++) {
    const step = scenario.steps[i] as Step;
    let description: ServerDescription;
    let driverServer: DriverServer;
    if (step.outcome.kind === 'hello') {
      // A check of a server no longer monitored measures nothing: only monitored servers keep RTTs.
      const stats = addRttSample(rtt.get(step.address) ?? emptyRttStats, step.outcome.rttMS);
      if (ours.servers.has(step.address)) rtt.set(step.address, stats);
      const document = toHelloDocument(step.outcome.reply, step.at);
      description = serverDescriptionFromHello(step.address, document, {
        now: step.at,
        roundTripTime: stats,
      });
      driverServer = driverServerFromHello(
        step.address,
        document,
        { average: stats.average ?? 0, min: stats.min ?? 0 },
        step.at,
      );
    } else {
      rtt.delete(step.address);
      description = serverDescriptionFromError(step.address, new NetworkError('connection reset'), {
        now: step.at,
      });
      driverServer = driverServerFromNetworkError(step.address, step.at);
    }
    const oursBefore = ours;
    const driverBefore = driver;
    ours = applyServerDescription(ours, description);
    driver = applyDriverUpdate(driver, driverServer);
    const oursSummary = summarizeOurs(ours);
    const driverSummary = summarizeDriver(driver);
    if (!sameState(oursSummary, driverSummary)) {
      divergences.push({
        kind: 'state',
        stepIndex: i,
        step,
        scenario,
        oursBefore,
        driverBefore,
        description,
        driverServer,
        oursAfter: ours,
        driverAfter: driver,
        ours: oursSummary,
        driver: driverSummary,
      });
      return { steps: i + 1, selections, divergences };
    }
    for (const readPreference of step.select) {
      selections += 1;
      const mine = selectOurs(ours, readPreference);
      const theirs = driverSelect(driver, readPreference);
      if (!sameSelection(mine, theirs)) {
        divergences.push({
          kind: 'selection',
          stepIndex: i,
          scenario,
          readPreference,
          oursState: ours,
          driverState: driver,
          ours: mine,
          driver: theirs,
        });
      }
    }
  }
  return { steps: scenario.steps.length, selections, divergences };
}
