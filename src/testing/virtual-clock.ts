/**
 * A Clock whose time moves only when told to. Timers fire in order of due time (then of
 * creation) during `advance`, each at its own due time, so a test of time-driven behaviour is
 * exact and instant: no sleeps, no thresholds.
 */
import { SimulatorOptionsError } from '../errors.js';
import type { Clock, TimerHandle } from '../time/clock.js';

interface VirtualTimer {
  readonly dueAt: number;
  readonly sequence: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  #now: number;
  #sequence = 0;
  /** Pending timers, kept sorted by (dueAt, sequence); tests have few, so a sorted array is enough. */
  #timers: VirtualTimer[] = [];

  /** @param start the initial time in ms (default 0). */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: VirtualTimer = {
      dueAt: this.#now + delay,
      sequence: this.#sequence++,
      callback,
      cancelled: false,
    };
    let index = this.#timers.length;
    while (index > 0) {
      const before = this.#timers[index - 1] as VirtualTimer;
      if (before.dueAt <= timer.dueAt) break;
      index -= 1;
    }
    this.#timers.splice(index, 0, timer);
    return {
      cancel: () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        const at = this.#timers.indexOf(timer);
        if (at >= 0) this.#timers.splice(at, 1);
      },
    };
  }

  /** How many timers are pending. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the next timer is due, or null when none is pending. */
  get nextDueAt(): number | null {
    return this.#timers[0]?.dueAt ?? null;
  }

  /**
   * Moves time forward by `ms`, firing every timer that comes due on the way (including timers
   * those callbacks set), in order, with `now()` equal to each timer's due time while it runs.
   * @returns how many timers fired.
   */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new SimulatorOptionsError(`advance() takes a non-negative number of ms, got ${ms}`);
    const target = this.#now + ms;
    let fired = 0;
    for (let timer = this.#timers[0]; timer !== undefined && timer.dueAt <= target; timer = this.#timers[0]) {
      this.#timers.shift();
      this.#now = Math.max(this.#now, timer.dueAt); // an overdue timer (after pause) fires now, late
      fired += 1;
      timer.callback();
    }
    // max: a callback may itself have advanced the clock further (time never goes back).
    this.#now = Math.max(this.#now, target);
    return fired;
  }

  /**
   * Simulates a pause of the whole process (a blocked event loop, a frozen FaaS container): time
   * moves forward by `ms` but no timer fires. The next `advance` fires the overdue timers, late,
   * at the time it is then (as Node does after a pause).
   */
  pause(ms: number): void {
    if (!(ms >= 0)) throw new SimulatorOptionsError(`pause() takes a non-negative number of ms, got ${ms}`);
    this.#now += ms;
  }

  /** Advances exactly to the next pending timer and fires the timers due then; false when none is pending. */
  advanceToNext(): boolean {
    const next = this.nextDueAt;
    if (next === null) return false;
    this.advance(Math.max(0, next - this.#now));
    return true;
  }
}
