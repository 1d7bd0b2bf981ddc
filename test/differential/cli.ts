/**
 * `npm run test:differential`: our pure core against the official driver's SDAM code on seeded
 * random scenarios. Exits 1 when any divergence belongs to no known class.
 *
 *   npm run test:differential -- --sequences 20000 --seed 1
 *   npm run test:differential -- --replay 4242      one scenario: its divergences, shrunk
 */
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { KNOWN_DIVERGENCES } from './known-divergences.js';
import { runDifferential } from './run-many.js';
import { runScenario, type Divergence } from './run-scenario.js';
import { generateScenario } from './scenario.js';
import { shrink, signatureOf } from './shrink.js';

const USAGE = 'usage: test:differential [--sequences N] [--seed S] | --replay SEED';

function parseArgs(argv: readonly string[]): { sequences: number; seed: number; replay: number | null } {
  const options = { sequences: 20_000, seed: 1, replay: null as number | null };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = argv[i + 1];
    const number = Number(value);
    if (!['--sequences', '--seed', '--replay'].includes(name ?? '') || value === undefined) {
      throw new Error(`unknown argument ${JSON.stringify(name)}; ${USAGE}`);
    }
    if (!Number.isSafeInteger(number) || number < 0) {
      throw new Error(`${name} needs a non-negative integer, got ${JSON.stringify(value)}; ${USAGE}`);
    }
    if (name === '--sequences') options.sequences = number;
    else if (name === '--seed') options.seed = number;
    else options.replay = number;
    i++;
  }
  return options;
}

function describe(divergence: Divergence): string {
  if (divergence.kind === 'state') {
    return (
      `after step ${divergence.stepIndex} (${divergence.step.address}: ${divergence.description.type})\n` +
      `    ours:   ${JSON.stringify(divergence.ours)}\n    driver: ${JSON.stringify(divergence.driver)}`
    );
  }
  return (
    `selection ${JSON.stringify(divergence.readPreference)} after step ${divergence.stepIndex}\n` +
    `    ours:   ${JSON.stringify(divergence.ours)}\n    driver: ${JSON.stringify(divergence.driver)}`
  );
}

/** JSON replacer that leaves out nulls and empty lists (the reply fields a reply does not send). */
function withoutAbsentFields(_key: string, value: unknown): unknown {
  if (value === null || (Array.isArray(value) && value.length === 0)) return undefined;
  return value;
}

function replay(seed: number): boolean {
  const scenario = generateScenario(seed);
  const divergences = runScenario(scenario).divergences;
  console.log(
    `scenario of seed ${seed}: ${scenario.steps.length} steps, ${divergences.length} divergence(s)`,
  );
  const seen = new Set<string>();
  for (const divergence of divergences) {
    const signature = signatureOf(divergence);
    if (seen.has(signature)) continue;
    seen.add(signature);
    console.log(`\n${signature}: ${describe(divergence)}`);
    const minimal = shrink(scenario, signature);
    const again = runScenario(minimal).divergences.find((d) => signatureOf(d) === signature);
    console.log(`  minimal scenario (${minimal.steps.length} steps; absent reply fields left out):`);
    console.log(`    start ${JSON.stringify(minimal.start)}`);
    for (const step of minimal.steps) console.log(`    ${JSON.stringify(step, withoutAbsentFields)}`);
    if (again !== undefined) console.log(`  which gives ${describe(again)}`);
  }
  return [...seen].every((s) => !s.startsWith('unclassified'));
}

function driverVersion(): string {
  const require = createRequire(import.meta.url);
  const path = require.resolve('mongodb/package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

function main(): number {
  const options = parseArgs(process.argv.slice(2));
  if (options.replay !== null) return replay(options.replay) ? 0 : 1;
  const started = performance.now();
  const report = runDifferential(options.sequences, options.seed);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `Differential test against mongodb ${driverVersion()}: ${report.sequences} sequences from seed ` +
      `${report.firstSeed}, ${report.steps} steps, ${report.selections} selection comparisons, ` +
      `${seconds.toFixed(1)} s`,
  );
  for (const known of KNOWN_DIVERGENCES) {
    console.log(`  ${String(report.known.get(known.id) ?? 0).padStart(7)}  ${known.kind}: ${known.id}`);
  }
  console.log(`  ${String(report.unknown.length).padStart(7)}  unclassified`);
  if (report.unknown.length === 0) return 0;
  const shown = new Set<string>();
  for (const { seed, divergence } of report.unknown) {
    const key = `${divergence.kind}`;
    if (shown.has(key)) continue;
    shown.add(key);
    console.log(
      `\nUnclassified ${describe(divergence)}\n  replay and shrink: npm run test:differential -- --replay ${seed}`,
    );
  }
  return 1;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
}
