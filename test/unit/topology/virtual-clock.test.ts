import { describe, expect, it } from 'vitest';
import { SimulatorOptionsError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/testing/virtual-clock.js';

describe('VirtualClock', () => {
  it('fires timers in due order, each at its own time, then creation order for ties', () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`a2@${clock.now()}`), 10);
    expect(clock.advance(15)).toBe(2);
    expect(clock.now()).toBe(1015);
    clock.advance(100);
    expect(fired).toEqual(['a@1010', 'a2@1010', 'b@1020']);
    expect(clock.now()).toBe(1115);
  });

  it('fires timers set by callbacks when they fall within the advance', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const tick = () => {
      fired.push(clock.now());
      if (fired.length < 5) clock.setTimeout(tick, 10);
    };
    clock.setTimeout(tick, 10);
    clock.advance(35);
    expect(fired).toEqual([10, 20, 30]);
    clock.advance(100);
    expect(fired).toEqual([10, 20, 30, 40, 50]);
  });

  it('cancels timers, and a zero or negative delay fires on the next advance', () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    const handle = clock.setTimeout(() => fired.push('cancelled'), 5);
    clock.setTimeout(() => fired.push('now'), -1);
    handle.cancel();
    handle.cancel();
    expect(clock.pendingTimers).toBe(1);
    clock.advance(0);
    expect(fired).toEqual(['now']);
  });

  it('advanceToNext jumps to the next due timer', () => {
    const clock = new VirtualClock();
    clock.setTimeout(() => undefined, 250);
    expect(clock.nextDueAt).toBe(250);
    expect(clock.advanceToNext()).toBe(true);
    expect(clock.now()).toBe(250);
    expect(clock.advanceToNext()).toBe(false);
  });

  it('rejects a negative advance', () => {
    expect(() => new VirtualClock().advance(-1)).toThrow(SimulatorOptionsError);
    expect(() => new VirtualClock().pause(Number.NaN)).toThrow(SimulatorOptionsError);
  });
});
