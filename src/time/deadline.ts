import type { Clock, TimerHandle } from './clock.js';

/** How late a timer may fire, beyond twice its delay, before we blame a paused process. */
export const STALL_SLACK_MS = 1000;

/**
 * True when a timer that asked for `requestedMS` fired only after `elapsedMS`: far later than
 * any busy event loop explains, so the process itself was paused (stopped, or a frozen FaaS
 * container). Whatever the timer guarded (a reply, a connect) may well have arrived meanwhile.
 */
export function isProcessStall(requestedMS: number, elapsedMS: number): boolean {
  return elapsedMS > 2 * requestedMS + STALL_SLACK_MS;
}

export interface Expiry {
  /** Time from arming to firing, by the clock. */
  readonly elapsedMS: number;
  /** The timer fired so late that the process must have been paused (see isProcessStall). */
  readonly stalled: boolean;
}

const noTimer: TimerHandle = { cancel: () => undefined };

/**
 * Arms a timer on `clock` that reports, when it fires, whether it fired on time or after a
 * pause of the whole process. `ms <= 0` means no limit (the specification's connectTimeoutMS=0).
 */
export function startDeadline(clock: Clock, ms: number, onExpire: (expiry: Expiry) => void): TimerHandle {
  if (!(ms > 0) || !Number.isFinite(ms)) return noTimer;
  const armedAt = clock.now();
  return clock.setTimeout(() => {
    const elapsedMS = clock.now() - armedAt;
    onExpire({ elapsedMS, stalled: isProcessStall(ms, elapsedMS) });
  }, ms);
}
