/**
 * Round-trip-time statistics for one server, as immutable values.
 *
 * The average is the exponentially weighted moving average the server selection specification
 * prescribes (weight 0.2 for the newest sample; the first sample is the average). The minimum is
 * taken over the most recent 10 samples, as the server monitoring specification describes for
 * `minRoundTripTime`; it needs at least two samples (the first one usually includes the
 * connection handshake), so with a single sample it is 0.
 */

import { plainConstructor, type Mutable } from './plain-constructor.js';

/** How much the newest sample weighs in the moving average. */
export const RTT_ALPHA = 0.2;
/** How many recent samples the minimum is taken over. */
export const RTT_WINDOW_SIZE = 10;

export interface RttStats {
  /** Exponentially weighted moving average in ms, or null before the first sample. */
  readonly average: number | null;
  /** Minimum of the last {@link RTT_WINDOW_SIZE} samples in ms: null with no sample, 0 with one. */
  readonly min: number | null;
  /** The most recent samples, oldest first, at most {@link RTT_WINDOW_SIZE}. */
  readonly samples: readonly number[];
}

/** No sample yet: what a server has before its first successful check or after an error. */
export const emptyRttStats: RttStats = Object.freeze({
  average: null,
  min: null,
  samples: Object.freeze([]) as readonly number[],
});

/**
 * Returns new statistics including `sampleMS`. A sample that is not a finite, non-negative number
 * (a clock going backwards, NaN) is ignored: the same stats object is returned.
 */
export function addRttSample(stats: RttStats, sampleMS: number): RttStats {
  if (!Number.isFinite(sampleMS) || sampleMS < 0) return stats;
  const average = stats.average === null ? sampleMS : RTT_ALPHA * sampleMS + (1 - RTT_ALPHA) * stats.average;
  // One pass into an array of the final length: slice + push + freeze measured ~7x slower
  // (this runs on every check of every server).
  const previous = stats.samples;
  const length = previous.length >= RTT_WINDOW_SIZE ? RTT_WINDOW_SIZE : previous.length + 1;
  const drop = previous.length + 1 - length;
  const window = new Array<number>(length);
  let min = sampleMS;
  for (let i = 0; i < length - 1; i++) {
    const sample = previous[i + drop] as number;
    window[i] = sample;
    if (sample < min) min = sample;
  }
  window[length - 1] = sampleMS;
  const samples: readonly number[] = Object.freeze(window);
  if (length < 2) min = 0;
  return Object.freeze(new Stats(average, min, samples));
}

/** Makes addRttSample's value: a constructor, not a literal (see plain-constructor.ts). */
const Stats = plainConstructor(function (
  this: Mutable<RttStats>,
  average: number,
  min: number,
  samples: readonly number[],
): void {
  this.average = average;
  this.min = min;
  this.samples = samples;
});
