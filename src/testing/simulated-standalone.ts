/** One standalone mongod on loopback (no replica set), with the usual network controls. */
import type { Address } from '../description/types.js';
import { basicQueryEngine, loadQueryEngine } from './query-engine.js';
import { SimulatedDeployment } from './simulated-deployment.js';
import { SharedData, SingleCopyNode } from './single-copy-node.js';
import type { SimulatedTlsOptions } from './tls-terminator.js';
import { SimulatorOptionsError } from '../errors.js';
import type { Clock } from '../time/clock.js';

export interface SimulatedStandaloneOptions {
  /** Fixed port; default 0 (the OS picks). */
  readonly port?: number;
  /** Latency in ms; default 0. */
  readonly latencyMS?: number;
  /** See SimulatedReplicaSetOptions.queryEngine. */
  readonly queryEngine?: 'auto' | 'basic';
  /** See SimulatedReplicaSetOptions.tls. */
  readonly tls?: SimulatedTlsOptions;
  /** See SimulatedReplicaSetOptions.clock. */
  readonly clock?: Clock;
}

/** A simulated standalone server. Start with `await SimulatedStandalone.start()`; always `close()`. */
export class SimulatedStandalone extends SimulatedDeployment {
  #node: SingleCopyNode | null = null;
  #address: Address = '';

  private constructor(options: SimulatedStandaloneOptions) {
    super('standalone', options.tls, options.clock);
  }

  static async start(options: SimulatedStandaloneOptions = {}): Promise<SimulatedStandalone> {
    const latency = options.latencyMS ?? 0;
    if (!(Number.isFinite(latency) && latency >= 0))
      throw new SimulatorOptionsError(`latencyMS must be >= 0, got ${latency}`);
    const engine = options.queryEngine === 'basic' ? basicQueryEngine : await loadQueryEngine();
    const standalone = new SimulatedStandalone(options);
    try {
      const node = new SingleCopyNode(
        'standalone',
        new SharedData(null, standalone.timers),
        engine,
        standalone.timers,
      );
      const server = standalone.createServer(node, options.port ?? 0);
      node.server = server;
      server.latencyMS = latency;
      await server.start();
      standalone.register(server);
      standalone.#node = node;
      standalone.#address = server.address;
    } catch (error) {
      await standalone.close();
      throw error;
    }
    return standalone;
  }

  /** `mongodb://<address>/` (with `?tls=true` when started with TLS). */
  get uri(): string {
    return `mongodb://${this.#address}/${this.uriQuery()}`;
  }

  get address(): Address {
    return this.#address;
  }

  /** `[address]` (every server of the deployment). */
  get members(): Address[] {
    return [this.#address];
  }

  protected override afterRestart(): void {
    const node = this.#node;
    if (!node) return;
    node.restarted();
    this.notify('topologyVersionChanged', {
      address: this.#address,
      processId: node.clock.processId.toHexString(),
      counter: node.clock.counter,
    });
  }

  protected override afterKill(): void {
    this.#node?.killed();
  }
}
