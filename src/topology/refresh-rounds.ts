/**
 * Herd-free refreshes. A refresh is a round: every monitor is asked for one check, and the
 * round completes when each of them has reported once after the request. While a round is
 * under way, further requests join it, so any number of `scheduleRefresh()` calls make one
 * `requestCheck()` per monitor, and any number of `waitForRefresh()` callers share one round
 * and one deadline timer.
 */
import type { Clock } from '../time/clock.js';
import { DeadlineQueue, type Deadline } from '../time/deadline-queue.js';
import type { Address } from '../description/types.js';

interface RefreshWaiter<T> extends Deadline {
  deadline: number;
  heapIndex: number;
  readonly timeoutMS: number;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
  extended: boolean;
}

export interface RefreshRoundsOptions {
  readonly clock: Clock;
  /** Error for a waiter whose deadline passed. */
  readonly timeoutError: (timeoutMS: number) => Error;
  /** Extra time given to waiters whose deadline passed only because the process was paused. */
  readonly graceMS: number;
  /** Called when the first caller starts waiting (true) and when the last one is answered (false). */
  readonly busyChanged?: (busy: boolean) => void;
}

/** `T` is what a completed round hands its waiters (the Topology passes the snapshot). */
export class RefreshRounds<T> {
  readonly #options: RefreshRoundsOptions;
  /** Monitors that have not yet reported in the round under way; null when no round is. */
  #pending: Set<Address> | null = null;
  #waiters: RefreshWaiter<T>[] = [];
  /** Only while callers wait (most topologies never call waitForRefresh): about 200 B otherwise kept. */
  #deadlines: DeadlineQueue<RefreshWaiter<T>> | null = null;
  #completed = 0;

  constructor(options: RefreshRoundsOptions) {
    this.#options = options;
  }

  #deadlineQueue(): DeadlineQueue<RefreshWaiter<T>> {
    return (this.#deadlines ??= new DeadlineQueue<RefreshWaiter<T>>({
      clock: this.#options.clock,
      expire: (expired, stalled) => this.#expire(expired, stalled),
    }));
  }

  /** Whether a round is under way. */
  get inProgress(): boolean {
    return this.#pending !== null;
  }

  /** How many callers wait for the round under way. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Starts a round that waits for `addresses` to report, unless one is under way (the request
   * then joins it). Returns true when a round started: the caller asks its monitors for a check.
   */
  request(addresses: Iterable<Address>): boolean {
    if (this.#pending !== null) return false;
    this.#pending = new Set(addresses);
    return true;
  }

  /**
   * A monitor reported (a check succeeded or failed), or it was removed. Returns true when this
   * completed the round under way; the caller then calls `finish()`.
   */
  reported(address: Address): boolean {
    const pending = this.#pending;
    if (pending === null || !pending.delete(address)) return false;
    return pending.size === 0;
  }

  /** Whether a round is under way with nobody left to report (e.g. no monitors at all). */
  get complete(): boolean {
    return this.#pending !== null && this.#pending.size === 0;
  }

  /** Ends the round under way and resolves its waiters with `value`; returns the round's number. */
  finish(value: T): number {
    this.#completed += 1;
    for (const waiter of this.#takeWaiters()) waiter.resolve(value);
    return this.#completed;
  }

  /** Waits for the end of the round under way (the caller starts one first). */
  wait(timeoutMS: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = timeoutMS === Infinity ? Infinity : this.#options.clock.now() + Math.max(0, timeoutMS);
      const waiter: RefreshWaiter<T> = {
        deadline,
        heapIndex: -1,
        timeoutMS,
        resolve,
        reject: (error) => reject(error),
        settled: false,
        extended: false,
      };
      this.#waiters.push(waiter);
      if (this.#waiters.length === 1) this.#options.busyChanged?.(true);
      this.#deadlineQueue().add(waiter);
    });
  }

  /** Rejects every waiter (the topology closed) and forgets the round under way. */
  rejectAll(error: Error): void {
    for (const waiter of this.#takeWaiters()) waiter.reject(error);
  }

  /**
   * Ends the round under way and takes its waiters: those not yet answered, marked answered, their
   * deadlines gone.
   */
  #takeWaiters(): RefreshWaiter<T>[] {
    this.#pending = null;
    this.#deadlines?.drain();
    this.#deadlines = null;
    const waiters = this.#waiters;
    if (waiters.length > 0) this.#waiters = [];
    if (waiters.length > 0) this.#options.busyChanged?.(false);
    const unanswered = waiters.filter((waiter) => !waiter.settled);
    for (const waiter of unanswered) waiter.settled = true;
    return unanswered;
  }

  #expire(expired: RefreshWaiter<T>[], stalled: boolean): void {
    const now = this.#options.clock.now();
    for (const waiter of expired) {
      if (waiter.settled) continue;
      if (stalled && !waiter.extended) {
        waiter.extended = true;
        waiter.deadline = now + this.#options.graceMS;
        this.#deadlineQueue().add(waiter);
        continue;
      }
      waiter.settled = true;
      waiter.reject(this.#options.timeoutError(waiter.timeoutMS));
    }
    if (expired.some((waiter) => waiter.settled)) {
      this.#waiters = this.#waiters.filter((waiter) => !waiter.settled);
      if (this.#waiters.length === 0) {
        this.#deadlines = null; // empty: every waiter is answered
        this.#options.busyChanged?.(false);
      }
    }
  }
}
