/** Shared helpers of the Topology unit tests: a three-member replica set driven by a script. */
import { ObjectId, type Document } from 'bson';
import {
  ScriptedHello,
  ScriptedTopology,
  type ScriptedTopologyOptions,
} from '../../../src/testing/scripted-topology.js';
import type { TopologyEvents } from '../../../src/events/events.js';

export const A = 'a:27017';
export const B = 'b:27017';
export const C = 'c:27017';
export const members = [A, B, C];
export const rsUri = 'mongodb://a,b,c/?replicaSet=rs0';

export const electionId = (n: number): ObjectId =>
  new ObjectId(`7fffffff${n.toString(16).padStart(16, '0')}`);
export const primaryHello = (term = 1, extra: Document = {}): Document =>
  ScriptedHello.primary('rs0', members, { electionId: electionId(term), ...extra });
export const secondaryHello = (extra: Document = {}): Document =>
  ScriptedHello.secondary('rs0', members, extra);

export function scripted(options: ScriptedTopologyOptions = {}, uri = rsUri): ScriptedTopology {
  return new ScriptedTopology(uri, { random: () => 0, ...options });
}

/** Records every event of a topology, in order, as [name, payload]. */
export function recordEvents(t: ScriptedTopology): [keyof TopologyEvents, unknown][] {
  const names: (keyof TopologyEvents)[] = [
    'topologyOpening',
    'topologyClosed',
    'topologyDescriptionChanged',
    'serverOpening',
    'serverClosed',
    'serverDescriptionChanged',
    'serverHeartbeatStarted',
    'serverHeartbeatSucceeded',
    'serverHeartbeatFailed',
    'primaryChanged',
    'writableChanged',
    'readableChanged',
    'refreshed',
    'poolCleared',
  ];
  const log: [keyof TopologyEvents, unknown][] = [];
  for (const name of names) {
    t.topology.on(name, (payload: unknown) => log.push([name, payload]));
  }
  return log;
}

/** Lets promise continuations run (no time passes on any clock). */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
