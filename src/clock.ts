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
}

/** The real clock: performance.now() and unref'd timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
