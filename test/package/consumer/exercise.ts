/**
 * What a consumer of the installed package does, compiled and run as an ES module and as
 * CommonJS by test/package/pack-install.ts (this directory is not part of the repository's own
 * type-check: `waspnest` resolves only once the tarball is installed).
 *
 * `other` is the package as loaded by the other module system in the same process: with one
 * implementation behind both doors, its classes are these classes, and its types are these types.
 */
import { Topology, TopologyOptionsError, WaspnestError, type TopologyDescription } from 'waspnest';
import { SimulatedReplicaSet } from 'waspnest/testing';
import type * as Main from 'waspnest';
import type * as Testing from 'waspnest/testing';

export interface OtherFormat {
  readonly main: typeof Main;
  readonly testing: typeof Testing;
}

export async function exercise(format: string, other: OtherFormat): Promise<string> {
  if (other.main.Topology !== Topology || other.testing.SimulatedReplicaSet !== SimulatedReplicaSet) {
    throw new Error(`${format}: import and require gave two copies of the classes`);
  }
  // An error thrown by one door is an instance of the other door's class.
  try {
    new other.main.Topology('mongodb://localhost', { heartbeatFrequencyMS: -1 });
    throw new Error(`${format}: a negative heartbeatFrequencyMS was accepted`);
  } catch (error) {
    if (!(error instanceof TopologyOptionsError) || !(error instanceof WaspnestError)) throw error;
  }
  const deployment = await other.testing.SimulatedReplicaSet.start({ members: 3 });
  const topology: Topology = new other.main.Topology(deployment.uri, { heartbeatFrequencyMS: 500 });
  try {
    await topology.connect();
    const primary = await topology.selectServer('primary');
    const snapshot: TopologyDescription = topology.snapshot;
    if (!(deployment instanceof SimulatedReplicaSet)) throw new Error(`${format}: not a SimulatedReplicaSet`);
    return `${format}: ${snapshot.type}, primary ${primary.address}, ${snapshot.servers.size} servers`;
  } finally {
    await topology.close();
    await deployment.close();
  }
}
