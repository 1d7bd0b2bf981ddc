import type { Clock, TimerHandle } from '../../../src/time/clock.js';

interface FakeTimer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A virtual clock for tests: time moves only when the test says so.
 * `tick(ms)` runs like a live process (each timer fires at its own due time);
 * `jump(ms)` models a paused process (time leaps, then every overdue timer fires late).
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: FakeTimer[] = [];
  /** Every delay ever asked for, in order (lets tests see what a monitor scheduled). */
  readonly requested: number[] = [];

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    this.requested.push(ms);
    const timer: FakeTimer = {
      at: this.#now + Math.max(0, ms),
      seq: this.#seq++,
      callback,
      cancelled: false,
    };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** The delay until the next timer, or undefined when none is armed. */
  get nextDelay(): number | undefined {
    const next = this.#next(Infinity);
    return next ? next.at - this.#now : undefined;
  }

  /** Advances time by `ms`, firing timers one by one at their due times. */
  tick(ms: number): void {
    const end = this.#now + ms;
    for (let t = this.#next(end); t; t = this.#next(end)) {
      this.#now = Math.max(this.#now, t.at);
      this.#fire(t);
    }
    this.#now = end;
  }

  /** Time leaps by `ms` at once (a frozen process), then the overdue timers fire, all late. */
  jump(ms: number): void {
    this.#now += ms;
    for (let t = this.#next(this.#now); t; t = this.#next(this.#now)) this.#fire(t);
  }

  #next(until: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.#timers) {
      if (t.cancelled || t.at > until) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }

  #fire(timer: FakeTimer): void {
    timer.cancelled = true;
    this.#timers = this.#timers.filter((t) => t !== timer);
    timer.callback();
  }
}
