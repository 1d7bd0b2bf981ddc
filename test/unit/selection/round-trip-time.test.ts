import { describe, it, expect } from 'vitest';
import { addRttSample, emptyRttStats, RTT_WINDOW_SIZE } from '../../../src/description/round-trip-time.js';

describe('RTT statistics', () => {
  it('start empty and frozen', () => {
    expect(emptyRttStats).toEqual({ average: null, min: null, samples: [] });
    expect(Object.isFrozen(emptyRttStats) && Object.isFrozen(emptyRttStats.samples)).toBe(true);
  });

  it('take the first sample as the average, then weigh each new sample 0.2', () => {
    const one = addRttSample(emptyRttStats, 10);
    expect(one.average).toBe(10);
    const two = addRttSample(one, 20);
    expect(two.average).toBeCloseTo(12, 10);
    const three = addRttSample(two, 2);
    expect(three.average).toBeCloseTo(0.2 * 2 + 0.8 * 12, 10);
  });

  it('report min as 0 with a single sample, then the minimum of the last 10', () => {
    let stats = addRttSample(emptyRttStats, 50);
    expect(stats.min).toBe(0);
    stats = addRttSample(stats, 7);
    expect(stats.min).toBe(7);
    for (let i = 0; i < RTT_WINDOW_SIZE; i++) stats = addRttSample(stats, 30 + i);
    // The 7 ms sample has just left the window of 10.
    expect(stats.samples).toHaveLength(RTT_WINDOW_SIZE);
    expect(stats.samples).not.toContain(7);
    expect(stats.min).toBe(30);
  });

  it('never change an existing value, and return frozen new ones', () => {
    const before = addRttSample(emptyRttStats, 10);
    const after = addRttSample(before, 30);
    expect(before).toEqual({ average: 10, min: 0, samples: [10] });
    expect(Object.isFrozen(after) && Object.isFrozen(after.samples)).toBe(true);
  });

  it('ignore samples that are not finite non-negative numbers', () => {
    const stats = addRttSample(emptyRttStats, 10);
    expect(addRttSample(stats, Number.NaN)).toBe(stats);
    expect(addRttSample(stats, -1)).toBe(stats);
    expect(addRttSample(stats, Number.POSITIVE_INFINITY)).toBe(stats);
  });
});
