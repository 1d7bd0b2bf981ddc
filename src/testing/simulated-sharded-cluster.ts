/**
 * A sharded cluster as a client sees it: mongos routers on loopback (hello says `msg: 'isdbgrid'`)
 * in front of one shared in-memory store, with the same network controls as a replica set.
 */
import type { Address } from '../description/types.js';
import { ClusterClock } from './cluster-clock.js';
import { basicQueryEngine, loadQueryEngine } from './query-engine.js';
import { SimulatedDeployment } from './simulated-deployment.js';
import { SharedData, SingleCopyNode } from './single-copy-node.js';
import type { SimulatedTlsOptions } from './tls-terminator.js';
import { SimulatorOptionsError } from '../errors.js';
import type { Clock } from '../time/clock.js';

export interface SimulatedShardedClusterOptions {
  /** How many mongos routers; default 3. */
  readonly mongos?: number;
  /** Fixed ports, by router index; default 0 (the OS picks). */
  readonly ports?: readonly number[];
  /** Latency of every router in ms; default 0. */
  readonly latencyMS?: number;
  /** See SimulatedReplicaSetOptions.queryEngine. */
  readonly queryEngine?: 'auto' | 'basic';
  /** See SimulatedReplicaSetOptions.tls. */
  readonly tls?: SimulatedTlsOptions;
  /** See SimulatedReplicaSetOptions.clock. */
  readonly clock?: Clock;
}

/** Simulated mongos routers. Start with `await SimulatedShardedCluster.start()`; always `close()`. */
export class SimulatedShardedCluster extends SimulatedDeployment {
  #nodes = new Map<Address, SingleCopyNode>();
  #order: Address[] = [];

  private constructor(options: SimulatedShardedClusterOptions) {
    super('sharded cluster', options.tls, options.clock);
  }

  static async start(options: SimulatedShardedClusterOptions = {}): Promise<SimulatedShardedCluster> {
    const count = options.mongos ?? 3;
    if (!Number.isInteger(count) || count < 1 || count > 100) {
      throw new SimulatorOptionsError(`mongos must be an integer from 1 to 100, got ${count}`);
    }
    const latency = options.latencyMS ?? 0;
    if (!(Number.isFinite(latency) && latency >= 0))
      throw new SimulatorOptionsError(`latencyMS must be >= 0, got ${latency}`);
    const engine = options.queryEngine === 'basic' ? basicQueryEngine : await loadQueryEngine();
    const cluster = new SimulatedShardedCluster(options);
    const data = new SharedData(new ClusterClock(() => cluster.timers.now()), cluster.timers);
    try {
      const nodes = await Promise.all(
        Array.from({ length: count }, async (_, index) => {
          const node = new SingleCopyNode('mongos', data, engine, cluster.timers);
          const server = cluster.createServer(node, options.ports?.[index] ?? 0);
          node.server = server;
          server.latencyMS = latency;
          await server.start();
          return node;
        }),
      );
      for (const node of nodes) {
        if (!node.server) continue;
        cluster.register(node.server);
        cluster.#nodes.set(node.server.address, node);
        cluster.#order.push(node.server.address);
      }
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** `mongodb://<every router>/` (with `?tls=true` when started with TLS). */
  get uri(): string {
    return `mongodb://${this.#order.join(',')}/${this.uriQuery()}`;
  }

  /** The routers' addresses. */
  get routers(): Address[] {
    return [...this.#order];
  }

  /** Same as `routers` (every server of the deployment). */
  get members(): Address[] {
    return this.routers;
  }

  protected override afterRestart(address: Address): void {
    const node = this.#nodes.get(address);
    if (!node) return;
    node.restarted();
    this.notify('topologyVersionChanged', {
      address,
      processId: node.clock.processId.toHexString(),
      counter: node.clock.counter,
    });
  }

  protected override afterKill(address: Address): void {
    this.#nodes.get(address)?.killed();
  }
}
