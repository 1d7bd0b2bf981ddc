/**
 * "Something moved on": write-concern waits and awaitable change-stream getMores sleep on it until
 * the oplog grows, a secondary applies entries or a role changes, a deadline passes, the request
 * is cancelled or the deployment closes. Timers go through the deployment's registry, so close()
 * leaves none behind.
 */
import { WaitAbortedError, type TimerRegistry } from './timer-registry.js';

export class ProgressSignal {
  #waiters = new Set<() => void>();

  constructor(private readonly timers: TimerRegistry) {}

  /** Wakes every waiter. */
  notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves true at the next notify(), false when `deadline` (a time on the deployment's clock; null = none)
   * passes first.
   * @throws WaitAbortedError when `signal` aborts or the deployment closes.
   */
  wait(deadline: number | null, signal: AbortSignal): Promise<boolean> {
    if (this.timers.closed || signal.aborted) return Promise.reject(new WaitAbortedError('wait aborted'));
    return new Promise((resolve, reject) => {
      let cancel = (): void => undefined;
      let forget = (): void => undefined;
      const done = (value: boolean | Error): void => {
        this.#waiters.delete(wake);
        cancel();
        forget();
        signal.removeEventListener('abort', onAbort);
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      const wake = (): void => done(true);
      const onAbort = (): void => done(new WaitAbortedError('wait aborted'));
      this.#waiters.add(wake);
      if (deadline !== null) cancel = this.timers.setTimeout(() => done(false), deadline - this.timers.now());
      forget = this.timers.onClose(onAbort);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
