import { describe, expect, it } from 'vitest';
import { faultSchedule } from '../../src/cli/demo-schedule.js';

function take<T>(iterable: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const value of iterable) {
    if (out.length === n) break;
    out.push(value);
  }
  return out;
}

describe('faultSchedule', () => {
  it('fits a stepDown, a kill and a partition (three failovers) in a 6 s demo', () => {
    const steps = [...faultSchedule(6000)];
    expect(steps.map((s) => s.action)).toEqual(['stepDown', 'kill', 'restart', 'partition', 'heal']);
    expect(steps.every((s) => s.atMS <= 5000)).toBe(true);
  });

  it('fits at least two failovers in a 10 s demo and leaves time for the last one to be seen', () => {
    const steps = [...faultSchedule(10_000)];
    const failovers = steps.filter(
      (s) => s.action === 'stepDown' || s.action === 'kill' || s.action === 'partition',
    );
    expect(failovers.length).toBeGreaterThanOrEqual(2);
    expect(steps.every((s) => s.atMS <= 9000)).toBe(true);
    expect(steps.map((s) => s.atMS)).toEqual([...steps.map((s) => s.atMS)].sort((a, b) => a - b));
  });

  it('repeats forever without a duration', () => {
    const steps = take(faultSchedule(null), 12);
    expect(steps).toHaveLength(12);
    expect(steps[5]).toEqual({ atMS: 6300, action: 'stepDown' });
  });

  it('has nothing to do in a very short demo', () => {
    expect([...faultSchedule(1000)]).toEqual([]);
  });
});
