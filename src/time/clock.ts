/**
 * The one way the shell reads time and sets timers, so that tests and the scripted
 * topology can run on a virtual clock. The pure core never reads a clock: it is given `now`.
 */
export interface TimerHandle {
  /** Cancels the timer; harmless when it already fired. */
  cancel(): void;
}

export interface Clock {
  /** Milliseconds; monotonic for the real clock. */
  now(): number;
  /** Calls `callback` after `ms`; real timers never keep the process alive on their own. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /**
   * Optional: one timer for `callback` that can be armed again and again. Monitors arm a timer
   * per check; on the real clock this reuses one Node timer instead of allocating one per check.
   * Callers fall back to {@link reusableTimer} over setTimeout when a clock does not provide it.
   */
  createTimer?(callback: () => void): ReusableTimer;
}

/** A timer armed many times for the same callback: `arm` replaces any pending expiry. */
export interface ReusableTimer {
  /** Fires the callback once after `ms`, replacing the expiry armed before (if any). */
  arm(ms: number): void;
  /**
   * Disarms it: the callback will not run for the expiry armed before. On the real clock the
   * Node timer is kept (unref'd) so that the next `arm` can refresh it instead of allocating.
   */
  cancel(): void;
  /** Disarms it and releases the underlying timer (when its owner is done with it). */
  dispose(): void;
}

/** The real clock: performance.now() and unref'd timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  createTimer: (callback) => new NodeReusableTimer(callback),
};

/** The clock's reusable timer, or one made of its setTimeout. */
export function reusableTimer(clock: Clock, callback: () => void): ReusableTimer {
  if (clock.createTimer) return clock.createTimer(callback);
  let handle: TimerHandle | null = null;
  const cancel = (): void => {
    handle?.cancel();
    handle = null;
  };
  return {
    arm(ms) {
      handle?.cancel();
      handle = clock.setTimeout(() => {
        handle = null;
        callback();
      }, ms);
    },
    cancel,
    dispose: cancel,
  };
}

/**
 * One unref'd Node timer re-armed with `refresh()` while the delay stays the same. A cleared Node
 * timer cannot be refreshed, so `cancel` only disarms (an expiry that comes anyway does nothing)
 * and `dispose` clears it.
 */
class NodeReusableTimer implements ReusableTimer {
  readonly #fire: () => void;
  #timer: NodeJS.Timeout | null = null;
  #ms = -1;
  #armed = false;

  constructor(callback: () => void) {
    this.#fire = () => {
      if (!this.#armed) return;
      this.#armed = false;
      callback();
    };
  }

  arm(ms: number): void {
    this.#armed = true;
    if (this.#timer !== null && ms === this.#ms) {
      this.#timer.refresh();
      return;
    }
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#ms = ms;
    this.#timer = setTimeout(this.#fire, ms);
    this.#timer.unref();
  }

  cancel(): void {
    this.#armed = false;
  }

  dispose(): void {
    this.#armed = false;
    if (this.#timer === null) return;
    clearTimeout(this.#timer);
    this.#timer = null;
  }
}
