/**
 * Virtual time for the monitors of a Topology under test: one VirtualClock per server, moved by
 * a driver that lets time pass only where nothing real is awaited. A member's clock jumps to its
 * next timer (a heartbeat, a pacing wait, a deadline) only while no check of that member is in
 * flight, so a check of a healthy server can never time out, however loaded the machine: its
 * deadline does not move until its reply has come. A member the test silences (a hung or
 * partitioned server) lets time pass with its check in flight, so that its deadline passes.
 *
 * The topology's own timers (selection deadlines) stay on the real clock the test gives it.
 */
import type { Address } from '../../../src/description/types.js';
import { createServerMonitor } from '../../../src/monitor/server-monitor.js';
import type { ServerMonitorFactory } from '../../../src/monitor/server-monitor-types.js';
import { VirtualClock } from '../../../src/testing/virtual-clock.js';
import type { Topology } from '../../../src/topology/topology.js';

interface Check {
  /** Started while its server was silenced: its reply will never come. */
  unanswerable: boolean;
}

export class MonitorClocks {
  readonly #clocks = new Map<Address, VirtualClock>();
  readonly #inFlight = new Map<Address, Check>();
  readonly #silenced = new Set<Address>();
  #scheduled = false;
  #stopped = false;

  /** The socket monitors the Topology uses by default, each on its member's virtual clock. */
  readonly monitorFactory: ServerMonitorFactory = (address, listener, settings) =>
    createServerMonitor(address, listener, { ...settings, clock: this.#clockOf(address) });

  /** Follows the checks of `topology` (whose monitorFactory is this one's). */
  watch(topology: Topology): void {
    topology.on('serverHeartbeatStarted', (e) => {
      this.#inFlight.set(e.address, { unanswerable: this.#silenced.has(e.address) });
      this.#wake();
    });
    const ended = (e: { address: Address }): void => {
      this.#inFlight.delete(e.address);
      this.#wake();
    };
    topology.on('serverHeartbeatSucceeded', ended);
    topology.on('serverHeartbeatFailed', ended);
  }

  /**
   * From now on, until {@link answering}, `address` answers no check (call it as the fault that
   * makes it so is injected): the check in flight, if any, and every later one may time out.
   */
  silence(address: Address): void {
    this.#silenced.add(address);
    const check = this.#inFlight.get(address);
    if (check) check.unanswerable = true;
    this.#wake();
  }

  /** `address` answers checks started from now on (call it once the fault is gone). */
  answering(address: Address): void {
    this.#silenced.delete(address);
  }

  /** Timers pending on every member's clock. */
  get pendingTimers(): number {
    let pending = 0;
    for (const clock of this.#clocks.values()) pending += clock.pendingTimers;
    return pending;
  }

  /** Stops moving the clocks. */
  stop(): void {
    this.#stopped = true;
  }

  #clockOf(address: Address): VirtualClock {
    let clock = this.#clocks.get(address);
    if (!clock) {
      clock = new VirtualClock();
      this.#clocks.set(address, clock);
    }
    this.#wake();
    return clock;
  }

  /** Moves the clocks after this turn of the event loop (once what just happened has settled). */
  #wake(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (!this.#stopped) this.#step();
    });
  }

  #step(): void {
    let moved = false;
    for (const [address, clock] of this.#clocks) {
      const check = this.#inFlight.get(address);
      if (check !== undefined && !check.unanswerable) continue; // its reply is on its way
      if (clock.advanceToNext()) moved = true;
    }
    if (moved) this.#wake();
  }
}
