import { describe, expect, it } from 'vitest';
import { CheckScheduler, type CheckSchedulerOptions } from '../../../src/monitor/check-scheduler.js';
import { VirtualClock } from '../../../src/testing/virtual-clock.js';

const heartbeatFrequencyMS = 10_000;
const minHeartbeatFrequencyMS = 500;

/** A scheduler on a virtual clock that records when each check began. */
function scheduler(options: Partial<CheckSchedulerOptions> = {}) {
  const clock = new VirtualClock(1_000);
  const began: { at: number; afterStall: boolean }[] = [];
  const checks = new CheckScheduler({
    clock,
    heartbeatFrequencyMS,
    minHeartbeatFrequencyMS,
    atOnce: 'clock',
    begin: (afterStall) => began.push({ at: clock.now(), afterStall }),
    ...options,
  });
  /** Starts, lets the first check begin and ends it at `endAt`. */
  const firstCheckEndsAt = (endAt: number) => {
    checks.start();
    clock.advance(0);
    clock.advance(endAt - clock.now());
    checks.checkEnded();
  };
  return { clock, began, checks, firstCheckEndsAt };
}

describe('CheckScheduler', () => {
  it('checks at once on start, once, and is checking until the check ends', () => {
    const { clock, began, checks } = scheduler();
    expect(checks.state).toBe('new');
    checks.requestCheck(); // before start: nothing to wake
    checks.start();
    checks.start();
    clock.advance(0);
    expect(began).toEqual([{ at: 1_000, afterStall: false }]);
    expect(checks.state).toBe('checking');
    checks.requestCheck(); // the check in flight answers it
    expect(checks.nextCheckAt).toBe(Infinity);
    checks.checkEnded();
    expect(checks.state).toBe('idle');
  });

  it('starts a check due at once in a microtask by default, never inside the caller', async () => {
    const { began, checks } = scheduler({ atOnce: 'microtask' });
    checks.start();
    expect(began).toHaveLength(0);
    await Promise.resolve();
    expect(began).toHaveLength(1);
  });

  it('paces requested checks: at most one per minHeartbeatFrequencyMS after the last check ended', () => {
    const { clock, began, checks, firstCheckEndsAt } = scheduler();
    firstCheckEndsAt(1_100);
    clock.advance(100);
    checks.requestCheck();
    checks.requestCheck();
    expect(checks.nextCheckAt).toBe(1_600);
    clock.advance(399);
    expect(began).toHaveLength(1);
    clock.advance(1);
    expect(began.map((b) => b.at)).toEqual([1_000, 1_600]);
  });

  it('answers a request at once when the last check ended long enough ago', () => {
    const { clock, began, checks, firstCheckEndsAt } = scheduler();
    firstCheckEndsAt(1_000);
    clock.advance(5_000);
    checks.requestCheck();
    expect(checks.nextCheckAt).toBe(6_000);
    clock.advance(0);
    expect(began.map((b) => b.at)).toEqual([1_000, 6_000]);
  });

  it('keeps the earliest requested check: a later one is absorbed, a sooner one replaces it', () => {
    const { clock, began, checks, firstCheckEndsAt } = scheduler();
    firstCheckEndsAt(1_000);
    checks.nextHeartbeat();
    expect(checks.nextCheckAt).toBe(11_000);
    checks.requestCheck();
    expect(checks.nextCheckAt).toBe(1_500);
    checks.nextHeartbeat();
    expect(checks.nextCheckAt).toBe(1_500);
    clock.advance(20_000);
    // One wake-up: the heartbeat armed before the request does not fire a second check.
    expect(began.map((b) => b.at)).toEqual([1_000, 1_500]);
  });

  it('makes a cancelled check wait a full heartbeat, unless a request brings it forward (paced)', () => {
    const { clock, began, checks, firstCheckEndsAt } = scheduler();
    firstCheckEndsAt(1_000); // the check was cancelled: it ended, and the next waits a heartbeat
    checks.nextHeartbeat();
    clock.advance(9_999);
    expect(began).toHaveLength(1);
    clock.advance(1);
    expect(began.map((b) => b.at)).toEqual([1_000, 11_000]);

    checks.checkEnded();
    checks.nextHeartbeat();
    clock.advance(100);
    checks.requestCheck();
    clock.advance(400);
    expect(began.map((b) => b.at)).toEqual([1_000, 11_000, 11_500]);
  });

  it('paces from a given moment (a streaming server that answers at once)', () => {
    const { clock, checks, firstCheckEndsAt } = scheduler();
    firstCheckEndsAt(1_200);
    checks.paceFrom(1_000);
    expect(checks.nextCheckAt).toBe(1_500);
    clock.advance(1_000);
    checks.checkEnded();
    checks.paceFrom(0);
    expect(checks.nextCheckAt).toBe(clock.now());
  });

  it('tells the check that its wake-up came far too late (the process was paused)', () => {
    const { clock, began, checks, firstCheckEndsAt } = scheduler();
    firstCheckEndsAt(1_000);
    checks.nextHeartbeat();
    clock.pause(60_000);
    clock.advance(0);
    expect(began.at(-1)).toEqual({ at: 61_000, afterStall: true });
  });

  it('begins a check outside the schedule when asked, dropping the armed wake-up', () => {
    const { clock, began, checks, firstCheckEndsAt } = scheduler();
    firstCheckEndsAt(1_000);
    checks.nextHeartbeat();
    checks.beginNow();
    expect(checks.state).toBe('checking');
    expect(checks.nextCheckAt).toBe(Infinity);
    clock.advance(20_000);
    expect(began.map((b) => b.at)).toEqual([1_000, 1_000]);
  });

  it('does nothing after close', () => {
    const { clock, began, checks, firstCheckEndsAt } = scheduler();
    firstCheckEndsAt(1_000);
    checks.nextHeartbeat();
    checks.close();
    checks.requestCheck();
    checks.checkNow();
    checks.beginNow();
    clock.advance(20_000);
    expect(began).toHaveLength(1);
    expect(checks.state).toBe('closed');
  });
});
