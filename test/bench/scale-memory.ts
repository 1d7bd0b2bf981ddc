/**
 * Where the scale window's memory goes: runs the scale benchmark's deployment once and each side's
 * monitoring child (plain node, ours from dist/: run `npm run build` first) with
 * SCALE_MEMORY_TRACE, and prints, per run, the peak RSS above the baseline and the
 * process.memoryUsage() breakdown at the baseline, at the peak and at the end, and in which phase
 * (connecting or window) the peak fell. Traces are kept as <dir>/<side>-<mode>-<n>.jsonl.
 *
 *   npx tsx test/bench/scale-memory.ts <poll|stream> <windowMs> <repeats> <dir> [ours|driver]
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BenchChild, runChildWith } from './child.js';

interface Sample {
  readonly t: number;
  readonly phase: string;
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  /** Heap space name to [size, used]. */
  readonly spaces: Record<string, [number, number]>;
}

const [mode = 'poll', windowMs = '30000', repeats = '1', dir = '/tmp/scale-memory', only] =
  process.argv.slice(2);
const sides = only === 'ours' || only === 'driver' ? [only] : ['ours', 'driver'];
mkdirSync(dir, { recursive: true });
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const row = (s: Sample): string =>
  `rss ${mb(s.rss)} heapTotal ${mb(s.heapTotal)} heapUsed ${mb(s.heapUsed)} external ${mb(s.external)} ` +
  `arrayBuffers ${mb(s.arrayBuffers)} other ${mb(s.rss - s.heapTotal - s.external)}\n      spaces (size/used): ` +
  Object.entries(s.spaces)
    .filter(([, [size]]) => size >= 512 * 1024)
    .map(([name, [size, used]]) => `${name.replace(/_space$/, '')} ${mb(size)}/${mb(used)}`)
    .join(', ');

const simulator = new BenchChild('./scale-simulator-child.ts', ['334'], { timeoutMs: 900_000 });
try {
  const ready = await simulator.next('ready');
  const uris = ready.uris as string[];
  for (let n = 1; n <= Number(repeats); n++) {
    for (const side of sides) {
      const file = path.join(dir, `${side}-${mode}-${n}.jsonl`);
      const result = await runChildWith(
        './scale-monitor-child.mjs',
        [side, windowMs, mode],
        {
          timeoutMs: 600_000,
          plainNode: true,
          // SCALE_NODE_FLAGS: extra node flags for the monitoring child, e.g. --trace-gc.
          nodeFlags: (process.env.SCALE_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''),
          env: { SCALE_MEMORY_TRACE: file },
        },
        (child) => child.send({ type: 'uris', uris }),
      );
      const samples = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Sample);
      const baseline = samples[0]!;
      const peak = samples.reduce((a, b) => (b.rss > a.rss ? b : a));
      const end = samples[samples.length - 1]!;
      const peakOf = (phase: string): number =>
        Math.max(...samples.filter((s) => s.phase === phase).map((s) => s.rss));
      const maxRss = Math.max(result.peakRssMB as number, result.maxRssMB as number);
      console.log(
        `${side} ${mode} #${n}: growth ${(maxRss - (result.baselineRssMB as number)).toFixed(1)} MB ` +
          `(peak ${maxRss.toFixed(1)}, maxRSS ${(result.maxRssMB as number).toFixed(1)}, baseline ${(result.baselineRssMB as number).toFixed(1)}), ` +
          `cpu ${(result.cpuSeconds as number).toFixed(2)} s, connect ${(result.connectMs as number).toFixed(0)} ms`,
      );
      console.log(`  baseline           ${row(baseline)}`);
      console.log(`  peak at ${String(peak.t).padStart(6)} ms (${peak.phase}) ${row(peak)}`);
      console.log(`  end                ${row(end)}`);
      console.log(
        `  peak rss by phase: connecting ${mb(peakOf('connecting'))}, window ${mb(peakOf('window'))}; ` +
          `max heapTotal ${mb(Math.max(...samples.map((s) => s.heapTotal)))}, max heapUsed ${mb(Math.max(...samples.map((s) => s.heapUsed)))}, ` +
          `max external ${mb(Math.max(...samples.map((s) => s.external)))}`,
      );
    }
  }
  simulator.send({ type: 'close' });
  await simulator.next('result');
} finally {
  simulator.kill('done');
  await simulator.exited;
}
