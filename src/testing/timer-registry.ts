/**
 * Every timer a simulated deployment sets goes through one registry, so close() can clear them
 * all and leave nothing behind, and every pending wait ends when the deployment closes.
 */

/** Thrown by waits that ended because the deployment closed or their connection went away. */
export class WaitAbortedError extends Error {
  override name = 'WaitAbortedError';
}

export class TimerRegistry {
  #timers = new Set<NodeJS.Timeout>();
  #controller = new AbortController();

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
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        callback();
      },
      Math.max(0, ms),
    );
    this.#timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.#timers.delete(timer);
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
        this.signal.removeEventListener('abort', onAbort);
        signal?.removeEventListener('abort', onAbort);
        reject(new WaitAbortedError('wait aborted'));
      };
      const cancel = this.setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.signal.addEventListener('abort', onAbort, { once: true });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Clears every timer and aborts every wait. Idempotent. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#controller.abort();
  }
}
