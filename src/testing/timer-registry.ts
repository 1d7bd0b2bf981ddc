/**
 * Every timer a simulated deployment sets, and every time it reads, goes through one registry on
 * the deployment's clock (the wall clock, or a virtual one a test moves), so close() can clear them
 * all and leave nothing behind, and every pending wait ends when the deployment closes.
 */
import type { Clock, TimerHandle } from '../time/clock.js';
import { wallClock } from './wall-clock.js';

/** Thrown by waits that ended because the deployment closed or their connection went away. */
export class WaitAbortedError extends Error {
  override name = 'WaitAbortedError';
}

export class TimerRegistry {
  readonly #clock: Clock;
  #timers = new Set<TimerHandle>();
  #controller = new AbortController();
  /** What close() must end; kept here rather than as one abort listener per pending wait. */
  #onClose = new Set<() => void>();

  /** @param clock whose `now()` is wall-clock ms since the epoch (a simulated server's dates). */
  constructor(clock: Clock = wallClock) {
    this.#clock = clock;
  }

  /** The deployment's time: ms since the epoch, on its clock. */
  now(): number {
    return this.#clock.now();
  }

  /** Aborted when the registry is closed. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get closed(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Runs `callback` after `ms`; returns a function that cancels it. Does nothing once closed. */
  setTimeout(callback: () => void, ms: number): () => void {
    if (this.closed) return () => undefined;
    const timer = this.#clock.setTimeout(
      () => {
        this.#timers.delete(timer);
        callback();
      },
      Math.max(0, ms),
    );
    this.#timers.add(timer);
    return () => {
      timer.cancel();
      this.#timers.delete(timer);
    };
  }

  /**
   * Calls `callback` once when the registry closes; returns a function that forgets it. Waits
   * register here instead of on `signal`: a deployment can have hundreds of waits pending
   * (awaitable hellos from many clients), and one abort listener each would make Node warn
   * about a listener leak.
   */
  onClose(callback: () => void): () => void {
    if (this.closed) return () => undefined;
    this.#onClose.add(callback);
    return () => {
      this.#onClose.delete(callback);
    };
  }

  /**
   * Resolves after `ms` (at once for 0 or less); rejects with WaitAbortedError when `signal` aborts
   * or the registry closes first.
   */
  delay(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted === true) return Promise.reject(new WaitAbortedError('wait aborted'));
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        cancel();
        forget();
        signal?.removeEventListener('abort', onAbort);
        reject(new WaitAbortedError('wait aborted'));
      };
      const cancel = this.setTimeout(() => {
        forget();
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const forget = this.onClose(onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Clears every timer and aborts every wait. Idempotent. */
  close(): void {
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
    this.#controller.abort();
    const callbacks = [...this.#onClose];
    this.#onClose.clear();
    for (const callback of callbacks) callback();
  }
}
