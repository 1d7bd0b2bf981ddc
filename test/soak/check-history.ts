/**
 * The last checks of each server our Topology monitors, kept so that a violation of the
 * primary-agreement bound explains itself: each server's state in our snapshot, its last checks,
 * and its state in the simulator.
 */
import type { SimulatedReplicaSet } from '../../src/testing/simulated-replica-set.js';
import type { Topology } from '../../src/topology/topology.js';

const KEPT_PER_SERVER = 8;
/** Explanations are long: the first few tell what the rest would. */
const EXPLANATIONS = 2;

function describeMember(rs: SimulatedReplicaSet, address: string): string {
  try {
    const m = rs.memberState(address);
    return `${m.role}${m.up ? '' : ', down'}${m.partitioned ? ', partitioned' : ''}, latency ${m.latencyMS} ms, topologyVersion ${m.topologyVersion.counter}`;
  } catch (error) {
    return String(error);
  }
}

export class CheckHistory {
  readonly #topology: Topology;
  readonly #rs: SimulatedReplicaSet;
  readonly #startedAt: number;
  readonly #checks = new Map<string, string[]>();
  #explained = 0;

  constructor(topology: Topology, rs: SimulatedReplicaSet, startedAt: number) {
    this.#topology = topology;
    this.#rs = rs;
    this.#startedAt = startedAt;
    const awaited = (yes: boolean): string => (yes ? ' (awaited)' : '');
    topology.on('serverHeartbeatStarted', (e) =>
      this.#note(e.address, `started${awaited(e.awaited)} on ${e.connectionId}`),
    );
    // Not the reply: reading it would decode every repeated reply the monitor skips decoding.
    topology.on('serverHeartbeatSucceeded', (e) =>
      this.#note(e.address, `succeeded in ${e.duration} ms${awaited(e.awaited)}`),
    );
    topology.on('serverHeartbeatFailed', (e) =>
      this.#note(e.address, `failed after ${e.duration} ms in ${e.phase}: ${e.failure.message}`),
    );
  }

  #note(address: string, line: string): void {
    const lines = this.#checks.get(address) ?? [];
    lines.push(`${((Date.now() - this.#startedAt) / 1000).toFixed(2)} s ${line}`);
    if (lines.length > KEPT_PER_SERVER) lines.shift();
    this.#checks.set(address, lines);
  }

  /** Every server's state and last checks, on lines of their own; empty after the first few. */
  explain(): string {
    if (this.#explained++ >= EXPLANATIONS) return '';
    const now = Date.now();
    const lines: string[] = [];
    for (const server of this.#topology.snapshot.servers.values()) {
      const error = server.error ? `, error ${server.error.message}` : '';
      lines.push(
        `  ${server.address}: ${server.type}, updated ${now - server.lastUpdateTime} ms ago${error}; simulator: ${describeMember(this.#rs, server.address)}`,
      );
      for (const check of this.#checks.get(server.address) ?? []) lines.push(`    ${check}`);
    }
    return `\n${lines.join('\n')}`;
  }
}
