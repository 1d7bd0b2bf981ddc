/**
 * Small statistics for benchmark samples: median, max, percentiles, and a timed-loop helper.
 * Benchmarks report medians (robust on noisy machines) next to the maximum (what a user waits
 * in the worst observed case).
 */

/** The p-th percentile (0..100) by linear interpolation between closest ranks; null for no samples. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  const highValue = sorted[high] as number;
  return lowValue + (highValue - lowValue) * (rank - low);
}

export function median(samples: readonly number[]): number | null {
  return percentile(samples, 50);
}

export function max(samples: readonly number[]): number | null {
  let result: number | null = null;
  for (const value of samples) if (result === null || value > result) result = value;
  return result;
}

export function min(samples: readonly number[]): number | null {
  let result: number | null = null;
  for (const value of samples) if (result === null || value < result) result = value;
  return result;
}

export function mean(samples: readonly number[]): number | null {
  if (samples.length === 0) return null;
  let sum = 0;
  for (const value of samples) sum += value;
  return sum / samples.length;
}

/** Median, max and count of a list of samples. */
export interface Summary {
  readonly median: number | null;
  readonly p90: number | null;
  readonly max: number | null;
  readonly count: number;
}

export function summarize(samples: readonly number[]): Summary {
  return { median: median(samples), p90: percentile(samples, 90), max: max(samples), count: samples.length };
}

/** Rounds to a number of significant digits that keeps tables readable (null stays null). */
export function round(value: number | null, digits = 3): number | null {
  if (value === null || !Number.isFinite(value)) return value;
  if (value === 0) return 0;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** ours / driver, or null when either is missing or the driver's figure is zero. */
export function ratio(ours: number | null, driver: number | null): number | null {
  if (ours === null || driver === null || driver === 0) return null;
  return ours / driver;
}

/** Milliseconds since an arbitrary origin, with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.now();
}

/** Nanoseconds since an arbitrary origin (for per-call costs). */
export function nowNs(): bigint {
  return process.hrtime.bigint();
}

/**
 * Runs `body(iterations)` in batches until `minMs` has passed (after one warm-up batch) and
 * returns the nanoseconds per iteration of the median batch. `body` must run its loop itself so
 * that the loop's own cost stays negligible.
 */
export function nsPerCall(
  body: (iterations: number) => void,
  options: { minMs: number; batch?: number },
): number {
  const batch = options.batch ?? 10_000;
  body(batch); // warm-up: let the JIT settle before anything is timed
  const perCall: number[] = [];
  const deadline = nowMs() + options.minMs;
  do {
    const start = nowNs();
    body(batch);
    perCall.push(Number(nowNs() - start) / batch);
  } while (nowMs() < deadline || perCall.length < 5);
  return median(perCall) as number;
}

/** The asynchronous twin of {@link nsPerCall}: `body(iterations)` awaits each call in turn. */
export async function nsPerAsyncCall(
  body: (iterations: number) => Promise<void>,
  options: { minMs: number; batch?: number },
): Promise<number> {
  const batch = options.batch ?? 2_000;
  await body(batch);
  const perCall: number[] = [];
  const deadline = nowMs() + options.minMs;
  do {
    const start = nowNs();
    await body(batch);
    perCall.push(Number(nowNs() - start) / batch);
  } while (nowMs() < deadline || perCall.length < 5);
  return median(perCall) as number;
}

/** A readable message of anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
    return `${name}${error.message}`;
  }
  return String(error);
}
