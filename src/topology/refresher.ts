/**
 * Refreshes on demand, herd-free: any number of requests are one round of checks (RefreshRounds),
 * a round waits only for monitors that are not streaming (an awaitable hello in flight is current
 * by construction), and while callers still wait for a server each finished round asks for the
 * next one (the monitors pace the checks).
 */
import type { Address, TopologyDescription } from '../description/types.js';
import { RefreshRounds, type RefreshRoundsOptions } from './refresh-rounds.js';

/** What the refresher needs of the topology's monitors (MonitorSet). */
export interface RefreshMonitors {
  readonly size: number;
  addresses(): Iterable<Address>;
  /** The monitors a round waits for: those without an awaitable hello in flight. */
  notStreaming(): Address[];
  requestAll(): void;
}

export interface RefresherOptions extends RefreshRoundsOptions {
  readonly monitors: RefreshMonitors;
  readonly snapshot: () => TopologyDescription;
  /** Whether callers are waiting for a server (each finished round then asks for the next). */
  readonly selectionsWaiting: () => boolean;
  /** A round finished, with its number and the snapshot its waiters got. */
  readonly refreshed: (round: number, snapshot: TopologyDescription) => void;
}

export class Refresher {
  readonly #options: RefresherOptions;
  readonly #rounds: RefreshRounds<TopologyDescription>;
  /** Set while the monitors are asked, so that a round they finish at once does not re-request. */
  #requesting = false;

  constructor(options: RefresherOptions) {
    this.#options = options;
    this.#rounds = new RefreshRounds<TopologyDescription>(options);
  }

  /** Whether a round is under way. */
  get inProgress(): boolean {
    return this.#rounds.inProgress;
  }

  /** How many callers wait for the round under way. */
  get waiting(): number {
    return this.#rounds.waiting;
  }

  /** Monitoring began: every monitor checks at once, so that first check is a round under way. */
  opened(): void {
    this.#rounds.request(this.#options.monitors.addresses());
    this.finishIfComplete();
  }

  /** Wakes the monitors, unless a round is under way (the request joins it). */
  request(): void {
    const { monitors } = this.#options;
    const toWaitFor = monitors.notStreaming();
    // Nothing to wake (every monitor streams, or there are none): no round, nothing to request.
    if (toWaitFor.length === 0 && !this.#rounds.inProgress) return;
    if (!this.#rounds.request(toWaitFor)) return; // joined the round under way
    this.#requesting = true;
    try {
      monitors.requestAll();
    } finally {
      this.#requesting = false;
    }
    this.finishIfComplete();
  }

  /** A monitor reported (a check ended). */
  reported(address: Address): void {
    if (this.#rounds.reported(address)) this.finishIfComplete();
  }

  /** A monitor was removed: the round under way no longer waits for it (the caller finishes it). */
  removed(address: Address): void {
    this.#rounds.reported(address);
  }

  /** Waits for the end of the round under way (request one first). */
  wait(timeoutMS: number): Promise<TopologyDescription> {
    return this.#rounds.wait(timeoutMS);
  }

  rejectAll(error: Error): void {
    this.#rounds.rejectAll(error);
  }

  /** Ends the round under way if nobody is left to report. */
  finishIfComplete(): void {
    if (!this.#rounds.complete) return;
    const snapshot = this.#options.snapshot();
    const round = this.#rounds.finish(snapshot);
    this.#options.refreshed(round, snapshot);
    // Callers still waiting for a server: keep the checks coming (the monitors pace them).
    const options = this.#options;
    if (options.selectionsWaiting() && !this.#requesting && options.monitors.size > 0) this.request();
  }
}
