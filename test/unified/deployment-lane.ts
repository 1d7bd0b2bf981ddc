/**
 * One simulated deployment per topology of the matrix, started once and reused by every test:
 * the facts the requirements are checked against (read from the servers, never assumed), the
 * internal clients, and the cleanup between tests (fail points off on every server, sessions
 * killed, the test's databases dropped, killed or partitioned servers brought back; a deployment
 * that cannot be made healthy is replaced by a fresh one).
 */
import type { Document } from 'bson';
import { MongoClient } from 'mongodb';
import {
  SimulatedReplicaSet,
  SimulatedShardedCluster,
  SimulatedStandalone,
} from '../../src/testing/index.js';
import type { MatrixTopology, ServerFacts } from './requirements.js';

/** Every deployment kind of the matrix (each lists its servers as `members`). */
export type MatrixDeployment = SimulatedStandalone | SimulatedReplicaSet | SimulatedShardedCluster;

const SYSTEM_DATABASES = new Set(['admin', 'config', 'local']);
/** Internal clients give up quickly: the simulator answers at once or not at all. */
const INTERNAL_CLIENT_OPTIONS = { serverSelectionTimeoutMS: 3000, monitorCommands: false } as const;

async function startDeployment(topology: MatrixTopology): Promise<MatrixDeployment> {
  switch (topology) {
    case 'single':
      return SimulatedStandalone.start();
    case 'replicaset':
      return SimulatedReplicaSet.start({ members: 3 });
    case 'sharded':
      return SimulatedShardedCluster.start({ mongos: 2 });
  }
}

export class DeploymentLane {
  #deployment: MatrixDeployment;
  #internal: MongoClient;
  #direct = new Map<string, MongoClient>();
  /** Replacements of an unhealthy deployment so far. */
  restarts = 0;

  private constructor(
    readonly topology: MatrixTopology,
    deployment: MatrixDeployment,
    readonly facts: ServerFacts,
  ) {
    this.#deployment = deployment;
    this.#internal = new MongoClient(
      DeploymentLane.#internalUri(topology, deployment),
      INTERNAL_CLIENT_OPTIONS,
    );
  }

  /** Starts the deployment and reads its version and the asked-for server parameters from it. */
  static async start(topology: MatrixTopology, parameterNames: Iterable<string>): Promise<DeploymentLane> {
    const deployment = await startDeployment(topology);
    const probe = new MongoClient(DeploymentLane.#internalUri(topology, deployment), INTERNAL_CLIENT_OPTIONS);
    try {
      const admin = probe.db('admin');
      const buildInfo = await admin.command({ buildInfo: 1 });
      const versionArray = (buildInfo['versionArray'] as number[] | undefined) ?? [];
      const version: [number, number, number] = [
        Number(versionArray[0] ?? 0),
        Number(versionArray[1] ?? 0),
        Number(versionArray[2] ?? 0),
      ];
      const parameters = new Map<string, unknown>();
      for (const name of parameterNames) {
        try {
          const reply = await admin.command({ getParameter: 1, [name]: 1 });
          if (reply[name] !== undefined) parameters.set(name, reply[name]);
        } catch {
          // An error fetching one parameter means the server does not support it.
        }
      }
      return new DeploymentLane(topology, deployment, { topology, version, parameters });
    } catch (err) {
      await deployment.close();
      throw err;
    } finally {
      await probe.close();
    }
  }

  /** Internal operations on a sharded cluster go through one mongos, as the format advises. */
  static #internalUri(topology: MatrixTopology, deployment: MatrixDeployment): string {
    return topology === 'sharded' ? `mongodb://${deployment.members[0]}/` : deployment.uri;
  }

  get deployment(): MatrixDeployment {
    return this.#deployment;
  }

  get internal(): MongoClient {
    return this.#internal;
  }

  /** The servers a fail point may be on. */
  get addresses(): string[] {
    return this.#deployment.members;
  }

  /** The connection string for a client entity. */
  clientUri(options: { useMultipleMongoses?: boolean; directConnection?: boolean }): string {
    const d = this.#deployment;
    if (options.directConnection) {
      const target = d instanceof SimulatedReplicaSet ? (d.primary ?? d.members[0]) : d.members[0];
      return `mongodb://${target}/?directConnection=true`;
    }
    if (this.topology === 'sharded' && options.useMultipleMongoses === false)
      return `mongodb://${d.members[0]}/`;
    return d.uri;
  }

  /** A client connected to one server only (fail points are per server). */
  direct(address: string): MongoClient {
    let client = this.#direct.get(address);
    if (!client) {
      client = new MongoClient(`mongodb://${address}/?directConnection=true`, INTERNAL_CLIENT_OPTIONS);
      this.#direct.set(address, client);
    }
    return client;
  }

  /** The latest cluster time the internal client saw (to advance sessions' cluster time on sharded). */
  async clusterTime(): Promise<Document | null> {
    const reply = await this.#internal.db('admin').command({ ping: 1 });
    return (reply['$clusterTime'] as Document | undefined) ?? null;
  }

  /**
   * Between tests: fail points off on every server, open sessions killed, the databases the test
   * created dropped, and every server up and reachable (with a primary, for a replica set).
   * Replaces the deployment when that does not work. Returns what it had to repair, if anything.
   */
  async reset(failPoints: ReadonlySet<string>): Promise<string | null> {
    try {
      const repaired = await this.#heal();
      await Promise.all(
        this.addresses.map(async (address) => {
          const admin = this.direct(address).db('admin');
          await Promise.all([
            ...[...failPoints].map((name) =>
              admin.command({ configureFailPoint: name, mode: 'off' }).catch(() => undefined),
            ),
            admin.command({ killAllSessions: [] }).catch(() => undefined),
          ]);
        }),
      );
      const { databases } = await this.#internal.db('admin').admin().listDatabases({ nameOnly: true });
      await Promise.all(
        databases
          .filter(({ name }) => !SYSTEM_DATABASES.has(name))
          .map(({ name }) => this.#internal.db(name).dropDatabase({ writeConcern: { w: 'majority' } })),
      );
      return repaired;
    } catch (err) {
      await this.#replace();
      return `deployment replaced after a failed reset: ${(err as Error).message}`;
    }
  }

  async #heal(): Promise<string | null> {
    const d = this.#deployment;
    const repairs: string[] = [];
    for (const address of d.members) {
      if (d instanceof SimulatedReplicaSet) {
        const state = d.memberState(address);
        if (!state.up) repairs.push(`restarted ${address}`);
        if (state.partitioned) repairs.push(`healed ${address}`);
      }
      await d.restart(address);
      d.heal(address);
    }
    await d.clearFaults();
    if (d instanceof SimulatedReplicaSet) await d.waitForPrimary({ timeoutMS: 5000 });
    return repairs.length > 0 ? repairs.join(', ') : null;
  }

  async #replace(): Promise<void> {
    await this.#closeClients();
    await this.#deployment.close().catch(() => undefined);
    this.#deployment = await startDeployment(this.topology);
    this.#internal = new MongoClient(
      DeploymentLane.#internalUri(this.topology, this.#deployment),
      INTERNAL_CLIENT_OPTIONS,
    );
    this.restarts += 1;
  }

  async #closeClients(): Promise<void> {
    const clients = [this.#internal, ...this.#direct.values()];
    this.#direct.clear();
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }

  async close(): Promise<void> {
    await this.#closeClients();
    await this.#deployment.close();
  }
}
