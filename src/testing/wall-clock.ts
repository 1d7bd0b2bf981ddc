/**
 * The simulator's default clock: the wall clock. A simulated server's `now()` is a date (hello's
 * `localTime`, `lastWrite`, cluster time seconds), so it reads `Date.now()`, not the monotonic
 * `systemClock`. Its timers are ref'd, like a server process's: a pending election or lagged
 * write holds the process until it fires or the deployment closes (close() clears them all).
 */
import type { Clock } from '../time/clock.js';

export const wallClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    return { cancel: () => clearTimeout(timer) };
  },
};
