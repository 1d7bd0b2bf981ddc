import { describe, expect, it } from 'vitest';
import { isProcessStall, startDeadline, type Expiry } from '../../../src/time/deadline.js';
import { FakeClock } from '../net/fake-clock.js';

describe('deadlines that know about paused processes', () => {
  it('calls a timer that fired after more than twice its delay plus 1 s a stall, and no other', () => {
    expect(isProcessStall(10_000, 10_050)).toBe(false);
    expect(isProcessStall(10_000, 21_000)).toBe(false);
    expect(isProcessStall(10_000, 21_001)).toBe(true);
    expect(isProcessStall(100, 1_201)).toBe(true);
  });

  it('reports elapsed time and whether the process was paused', () => {
    const clock = new FakeClock();
    const seen: Expiry[] = [];
    startDeadline(clock, 500, (e) => seen.push(e));
    clock.tick(500);
    startDeadline(clock, 500, (e) => seen.push(e));
    clock.jump(120_000);
    expect(seen).toEqual([
      { elapsedMS: 500, stalled: false },
      { elapsedMS: 120_000, stalled: true },
    ]);
  });

  it('arms nothing for 0 (no limit) and can be cancelled', () => {
    const clock = new FakeClock();
    const seen: Expiry[] = [];
    startDeadline(clock, 0, (e) => seen.push(e));
    expect(clock.pending).toBe(0);
    startDeadline(clock, 10, (e) => seen.push(e)).cancel();
    clock.tick(100);
    expect(seen).toEqual([]);
  });
});
