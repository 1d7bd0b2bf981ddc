/**
 * When a server monitor checks: the rules the herd-free claim rests on, shared by the socket
 * monitor and the test kit's scripted one, so that tests on a scripted topology test these rules.
 *
 * - At most one check in flight, and at most one wake-up armed: the earliest requested check
 *   wins, a later request is absorbed by it.
 * - Requested checks are paced: at most one per minHeartbeatFrequencyMS, counted from the end of
 *   the last check (or, for a streaming server that answers at once, from the last request sent).
 * - A check cancelled by the application waits a full heartbeat before the next one (the server
 *   was already marked Unknown); a request can bring that check forward, paced as above.
 */
import { reusableTimer, type Clock, type ReusableTimer } from '../time/clock.js';
import { isProcessStall } from '../time/deadline.js';

export type CheckState = 'new' | 'idle' | 'checking' | 'closed';

export interface CheckSchedulerOptions {
  readonly clock: Clock;
  readonly heartbeatFrequencyMS: number;
  readonly minHeartbeatFrequencyMS: number;
  /**
   * Starts a check; the scheduler is 'checking' until {@link CheckScheduler.checkEnded}.
   * `afterStall`: the wake-up came far later than armed, so the process had been paused.
   */
  readonly begin: (afterStall: boolean) => void;
  /**
   * How a check due at once starts: in a microtask (default; never inside the caller's stack, where
   * the topology may be mid-update), or on a zero-delay timer of the clock (a virtual clock then
   * starts it when the test advances time, deterministically).
   */
  readonly atOnce?: 'microtask' | 'clock';
}

export class CheckScheduler {
  readonly #options: CheckSchedulerOptions;
  #state: CheckState = 'new';
  /**
   * The armed wake-up: none, a microtask (live while #microtask still has the number it was
   * queued with), or the timer. A state, not a handle object, so that arming allocates nothing.
   */
  #wake: 'none' | 'microtask' | 'timer' = 'none';
  #microtask = 0;
  /** The one timer that paces the checks, re-armed for each (no allocation per check). */
  #wakeTimer: ReusableTimer | null = null;
  #wakeAt = Infinity;
  #wakeArmedAt = 0;
  #lastCheckEndedAt = -Infinity;

  constructor(options: CheckSchedulerOptions) {
    this.#options = options;
  }

  get state(): CheckState {
    return this.#state;
  }

  /** When the next check is due (Infinity when none is armed). */
  get nextCheckAt(): number {
    return this.#wake === 'none' ? Infinity : this.#wakeAt;
  }

  /** The first check, at once. */
  start(): void {
    if (this.#state !== 'new') return;
    this.#state = 'idle';
    this.#schedule(0);
  }

  /**
   * A check is wanted soon: paced from the end of the last check. A check in flight answers the
   * request itself; before start() or after close() there is nothing to wake.
   */
  requestCheck(): void {
    if (this.#state !== 'idle') return;
    this.paceFrom(this.#lastCheckEndedAt);
  }

  /** The next check at least minHeartbeatFrequencyMS after `since` (at once when that has passed). */
  paceFrom(since: number): void {
    const earliest = since + this.#options.minHeartbeatFrequencyMS;
    this.#schedule(Math.max(0, earliest - this.#options.clock.now()));
  }

  /** The next check after a full heartbeat: the polling interval, and the rule after a cancelled check. */
  nextHeartbeat(): void {
    this.#schedule(this.#options.heartbeatFrequencyMS);
  }

  /** The next check at once (a retry, or the next awaitable hello of a stream). */
  checkNow(): void {
    this.#schedule(0);
  }

  /** Begins a check now, outside the schedule (the armed wake-up is dropped). */
  beginNow(): void {
    if (this.#state !== 'idle') return;
    this.#disarm();
    this.#begin(false);
  }

  /** The check in flight is over (answered, failed or cancelled); the caller schedules the next. */
  checkEnded(): void {
    if (this.#state !== 'checking') return;
    this.#state = 'idle';
    this.#lastCheckEndedAt = this.#options.clock.now();
  }

  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#disarm();
    this.#wakeTimer?.dispose();
  }

  /** Arms the one wake-up: sooner requests replace later ones, later ones are ignored. */
  #schedule(delayMS: number): void {
    if (this.#state === 'closed' || this.#state === 'new') return;
    const { clock } = this.#options;
    const at = clock.now() + delayMS;
    if (this.#wake !== 'none' && this.#wakeAt <= at) return;
    this.#cancelWake();
    this.#wakeAt = at;
    this.#wakeArmedAt = clock.now();
    if (delayMS <= 0 && this.#options.atOnce !== 'clock') {
      const microtask = ++this.#microtask;
      this.#wake = 'microtask';
      queueMicrotask(() => {
        if (this.#microtask === microtask) this.#onWake();
      });
    } else {
      this.#wakeTimer ??= reusableTimer(clock, () => this.#onWake());
      this.#wakeTimer.arm(Math.max(0, delayMS));
      this.#wake = 'timer';
    }
  }

  #disarm(): void {
    this.#cancelWake();
    this.#wakeAt = Infinity;
  }

  #cancelWake(): void {
    if (this.#wake === 'microtask') this.#microtask++;
    else if (this.#wake === 'timer') this.#wakeTimer?.cancel();
    this.#wake = 'none';
  }

  #onWake(): void {
    const now = this.#options.clock.now();
    const afterStall = isProcessStall(this.#wakeAt - this.#wakeArmedAt, now - this.#wakeArmedAt);
    this.#wake = 'none';
    this.#wakeAt = Infinity;
    if (this.#state !== 'idle') return;
    this.#begin(afterStall);
  }

  #begin(afterStall: boolean): void {
    this.#state = 'checking';
    this.#options.begin(afterStall);
  }
}
