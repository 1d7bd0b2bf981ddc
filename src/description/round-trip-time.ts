/**
 * Round-trip-time statistics for one server, as immutable values.
 *
 * The average is the exponentially weighted moving average the server selection specification
 * prescribes (weight 0.2 for the newest sample; the first sample is the average). The minimum is
 * taken over the most recent 10 samples, as the server monitoring specification describes for
 * `minRoundTripTime`; it needs at least two samples (the first one usually includes the
 * connection handshake), so with a single sample it is 0.
 */

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
  const previous = stats.samples;
  const drop = previous.length >= RTT_WINDOW_SIZE ? previous.length - RTT_WINDOW_SIZE + 1 : 0;
  const window = previous.slice(drop);
  window.push(sampleMS);
  const samples = Object.freeze(window);
  let min: number;
  if (samples.length < 2) {
    min = 0;
  } else {
    min = Infinity;
    for (const s of samples) if (s < min) min = s;
  }
  return Object.freeze({ average, min, samples });
}
