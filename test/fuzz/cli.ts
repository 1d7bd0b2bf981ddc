/**
 * `npm run fuzz`: the long-run fuzz campaign, in three parts (all by default, or one with
 * `--only sdam|hostile|simulator`):
 * - sdam: the SDAM property sequences at depth (`--sequences N`, default 1,000,000), through
 *   vitest with WASPNEST_PROPERTY_SCALE;
 * - hostile: broken frames from a hostile server to our monitors' connection code, then to
 *   whole Topologies (`--frames N`, default 100,000);
 * - simulator: broken frames at the simulator's wire server (`--frames N`).
 * `--seed S` makes a run repeatable. Exits 1 on any failure, printing the case to replay.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fuzzMonitorConnections, fuzzTopologies } from './hostile-server.js';
import { fuzzSimulator } from './simulator-fuzz.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    sequences: { type: 'string', default: '1000000' },
    frames: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
  },
});
const seed = Number(values.seed);
const parts = values.only === undefined ? ['sdam', 'hostile', 'simulator'] : [values.only];
let failed = false;
const log = (line: string): void => console.log(`fuzz: ${line}`);
const tally = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');

for (const part of parts) {
  const started = Date.now();
  if (part === 'sdam') {
    const sequences = Number(values.sequences);
    // The property file runs 20,000 sequences at scale 1.
    const scale = sequences / 20_000;
    log(`sdam: ${sequences} sequences (scale ${scale}), seed ${seed}`);
    const run = spawnSync(
      'npx',
      ['vitest', 'run', 'test/property/sdam.property.test.ts', '--testTimeout=0', '--reporter=default'],
      {
        stdio: 'inherit',
        env: { ...process.env, WASPNEST_PROPERTY_SCALE: String(scale), WASPNEST_PROPERTY_SEED: String(seed) },
      },
    );
    if (run.status !== 0) failed = true;
    log(
      `sdam: ${run.status === 0 ? 'every invariant held' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  } else if (part === 'hostile') {
    const frames = Number(values.frames);
    const result = await fuzzMonitorConnections({
      frames,
      seed,
      progress: (line) => log(`hostile: ${line}`),
    });
    log(
      `hostile: ${result.frames} frames to the monitors' connection: ${result.replies} replies accepted; typed errors: ${tally(result.errors)}`,
    );
    log(`hostile: mutations: ${tally(result.byMutation)}`);
    log(
      `hostile: broken frames still taken as a reply (a valid hello survived the change): ${tally(result.acceptedByMutation)}`,
    );
    const topologies = await fuzzTopologies({ topologies: 50, durationMS: 15_000, seed });
    log(
      `hostile: 50 Topologies polling it for 15 s: ${topologies.checks} checks; failed checks by error: ${tally(topologies.failed)}`,
    );
    for (const failure of [...result.failures, ...topologies.failures].slice(0, 20))
      log(`hostile: FAILURE ${failure}`);
    if (result.failures.length + topologies.failures.length > 0) failed = true;
    log(
      `hostile: ${result.failures.length + topologies.failures.length} failures in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  } else if (part === 'simulator') {
    const frames = Number(values.frames);
    const result = await fuzzSimulator({ frames, seed, progress: (line) => log(`simulator: ${line}`) });
    log(
      `simulator: ${result.frames} frames at the simulator: endings ${tally(result.endings)}; ${result.healthChecks} health checks passed`,
    );
    for (const failure of result.failures.slice(0, 20)) log(`simulator: FAILURE ${failure}`);
    if (result.failures.length > 0) failed = true;
    log(`simulator: ${result.failures.length} failures in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } else {
    console.error(`fuzz: unknown part ${part} (sdam, hostile or simulator)`);
    process.exit(2);
  }
}
process.exit(failed ? 1 : 0);
