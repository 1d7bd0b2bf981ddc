/**
 * `npm run bench`: every benchmark, ours next to the official `mongodb` driver's figure from the
 * same run, printed as tables and written to `docs/benchmarks/results.json` and
 * `docs/benchmarks.md`.
 *
 *   npm run bench                       full run (a few minutes)
 *   npm run bench -- --quick            short windows and fewer repetitions (CI; under 2 minutes)
 *   npm run bench -- --no-write         print only, write no file
 *   npm run bench -- --only=dns,herd    run some sections (by key); implies --no-write
 *
 * Benchmarks never fail on a number. A side that fails a measurement is recorded as null plus an
 * error; a benchmark that itself crashes is recorded the same way and makes the exit code 1, so
 * that a broken benchmark cannot rot unnoticed in CI.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dnsBenchmark } from './dns-under-load.js';
import { failoverBenchmark } from './failover.js';
import { herdBenchmark } from './herd.js';
import {
  declaredFields,
  describeMachine,
  Figures,
  renderReport,
  resultsDocument,
  writeResults,
  type Benchmark,
  type BenchContext,
  type SectionResult,
} from './results.js';
import { scaleBenchmark } from './scale.js';
import { selectionBenchmark } from './selection.js';
import { simulatorBenchmark } from './simulator.js';
import { errorMessage, nowMs } from './stats.js';
import { updatesBenchmark } from './updates.js';

const benchmarks: readonly Benchmark[] = [
  updatesBenchmark,
  selectionBenchmark,
  failoverBenchmark,
  herdBenchmark,
  dnsBenchmark,
  scaleBenchmark,
  simulatorBenchmark,
];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg === undefined ? null : new Set(onlyArg.slice('--only='.length).split(','));
const write = !args.includes('--no-write') && only === null;
const unknown = args.filter((a) => a !== '--quick' && a !== '--no-write' && !a.startsWith('--only='));
if (unknown.length > 0) {
  console.error(`unknown argument(s): ${unknown.join(' ')} (known: --quick, --no-write, --only=key,...)`);
  process.exit(2);
}
if (only !== null) {
  const keys = new Set(benchmarks.map((b) => b.key));
  const missing = [...only].filter((k) => !keys.has(k));
  if (missing.length > 0) {
    console.error(`unknown section(s): ${missing.join(', ')} (known: ${[...keys].join(', ')})`);
    process.exit(2);
  }
}

const started = nowMs();
const date = new Date();
const context: BenchContext = {
  quick,
  log: (message) => console.log(`  [${((nowMs() - started) / 1000).toFixed(1)} s] ${message}`),
};

// A benchmark must not take the runner down with an unhandled rejection from a background task.
process.on('unhandledRejection', (reason) => {
  console.error(`unhandled rejection during the benchmarks: ${errorMessage(reason)}`);
});

const sections: SectionResult[] = [];
for (const benchmark of benchmarks) {
  if (only !== null && !only.has(benchmark.key)) continue;
  console.log(`\n== ${benchmark.title} (${benchmark.key})`);
  const figures = new Figures();
  const notes: string[] = [];
  const sectionStart = nowMs();
  let crashed: string | null = null;
  try {
    await benchmark.run(context, figures, notes);
  } catch (error) {
    crashed = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`  benchmark "${benchmark.key}" failed: ${crashed}`);
  }
  // Every declared figure ends up in the results: measured, or null with the reason.
  figures.failMissing(
    declaredFields(benchmark),
    crashed === null ? 'not measured' : `benchmark failed: ${firstLine(crashed)}`,
  );
  const durationMs = nowMs() - sectionStart;
  context.log(`${benchmark.key} done in ${(durationMs / 1000).toFixed(1)} s`);
  sections.push({
    key: benchmark.key,
    title: benchmark.title,
    rows: benchmark.rows,
    figures,
    notes,
    durationMs,
    crashed,
  });
}

const meta = {
  date,
  mode: quick ? ('quick' as const) : ('full' as const),
  machine: describeMachine(),
  durationMs: nowMs() - started,
};
const report = renderReport(sections, meta);
console.log(`\n${report}\n`);

if (write) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const written = await writeResults(root, resultsDocument(sections, meta), report);
  console.log(`wrote ${written.map((p) => path.relative(root, p)).join(' and ')}`);
} else {
  console.log('(--no-write: no file written)');
}

const crashedSections = sections.filter((s) => s.crashed !== null).map((s) => s.key);
if (crashedSections.length > 0) {
  console.error(`benchmarks that failed to run: ${crashedSections.join(', ')}`);
  process.exitCode = 1;
}

// Everything was closed: the process should now exit on its own. If something still holds it,
// say what, and exit anyway so that CI does not hang on a leak (the leak is the finding).
setImmediate(() => {
  const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'Immediate');
  if (left.length === 0) return;
  const watchdog = setTimeout(() => {
    console.error(
      `the benchmarks left handles open: ${process.getActiveResourcesInfo().join(', ')}; exiting`,
    );
    process.exit(process.exitCode ?? 1);
  }, 5_000);
  watchdog.unref();
});

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
