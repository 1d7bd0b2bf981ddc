import { describe, expect, it } from 'vitest';
import { reusableTimer, systemClock, type Clock, type TimerHandle } from '../../../src/time/clock.js';

function firing(): { fired: () => number; next: () => Promise<void>; callback: () => void } {
  let count = 0;
  let wake: (() => void) | null = null;
  return {
    fired: () => count,
    next: () => new Promise<void>((resolve) => (wake = resolve)),
    callback: () => {
      count++;
      wake?.();
    },
  };
}

describe('reusable timers', () => {
  it('on the real clock: re-arming replaces the expiry, a cancelled expiry never fires, it can be armed again', async () => {
    const f = firing();
    const timer = systemClock.createTimer?.(f.callback);
    expect(timer).toBeDefined();
    if (!timer) return;
    timer.arm(1);
    timer.cancel();
    let fired = f.next();
    timer.arm(1); // same delay: the cancelled Node timer is refreshed, not duplicated
    timer.arm(1);
    await fired;
    expect(f.fired()).toBe(1);
    fired = f.next();
    timer.arm(2); // another delay after it fired
    await fired;
    expect(f.fired()).toBe(2);
    timer.dispose();
  });

  it('over a clock without createTimer: one pending setTimeout at a time, none after cancel', () => {
    const pending = new Set<() => void>();
    const clock: Clock = {
      now: () => 0,
      setTimeout(callback): TimerHandle {
        const run = (): void => {
          pending.delete(run);
          callback();
        };
        pending.add(run);
        return { cancel: () => pending.delete(run) };
      },
    };
    let fired = 0;
    const timer = reusableTimer(clock, () => fired++);
    timer.arm(10);
    timer.arm(20);
    expect(pending.size).toBe(1);
    for (const run of [...pending]) run();
    expect(fired).toBe(1);
    timer.arm(10);
    timer.cancel();
    expect(pending.size).toBe(0);
    timer.arm(10);
    timer.dispose();
    expect(pending.size).toBe(0);
    expect(fired).toBe(1);
  });
});
