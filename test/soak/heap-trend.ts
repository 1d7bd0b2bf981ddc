/**
 * Is the heap flat? Samples of heap use after a forced GC, and the least-squares slope of the
 * samples after a warm-up, in bytes per minute. Pure: the samples carry their own times.
 */
export interface HeapSample {
  /** ms since the start of the run. */
  readonly atMS: number;
  readonly heapUsedBytes: number;
}

export interface HeapTrend {
  readonly samples: number;
  /** Least-squares slope of heap use over the samples after warm-up, bytes per minute. */
  readonly slopeBytesPerMinute: number;
  readonly firstBytes: number;
  readonly lastBytes: number;
  readonly maxBytes: number;
}

/** The trend of `samples`, ignoring those before `warmUpMS`; null with fewer than 3 samples left. */
export function heapTrend(samples: readonly HeapSample[], warmUpMS: number): HeapTrend | null {
  const kept = samples.filter((s) => s.atMS >= warmUpMS);
  if (kept.length < 3) return null;
  const n = kept.length;
  const meanX = kept.reduce((sum, s) => sum + s.atMS, 0) / n;
  const meanY = kept.reduce((sum, s) => sum + s.heapUsedBytes, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const s of kept) {
    covariance += (s.atMS - meanX) * (s.heapUsedBytes - meanY);
    variance += (s.atMS - meanX) ** 2;
  }
  const slopePerMS = variance === 0 ? 0 : covariance / variance;
  return {
    samples: n,
    slopeBytesPerMinute: slopePerMS * 60_000,
    firstBytes: kept[0]?.heapUsedBytes ?? 0,
    lastBytes: kept[n - 1]?.heapUsedBytes ?? 0,
    maxBytes: Math.max(...kept.map((s) => s.heapUsedBytes)),
  };
}
