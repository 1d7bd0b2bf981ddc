/**
 * `npm run test:unified`: MongoDB's unified-format spec tests, run through the official `mongodb`
 * driver against waspnest's simulated deployments (single = SimulatedStandalone, replicaset =
 * SimulatedReplicaSet with 3 members, sharded = SimulatedShardedCluster).
 *
 *   npm run test:unified [-- <path substring>] [--file X] [--test "name"]
 *                        [--topology single|replicaset|sharded] [--verbose] [--json out.json]
 *                        [--timeout ms] [--lanes n] [--allow-missing]
 *
 * `--lanes n`: simulated deployments per topology running pairs side by side (default 2).
 *
 * Reads UNIFIED_TESTS_DIR, else `shared/unified-tests` beside the checkout or a parent folder.
 *
 * Exit policy. The simulator does not pass every test yet, so a failed pair alone does not fail
 * the run. The run exits non-zero when:
 * - the data directory is missing or holds no pair (with `--allow-missing`, outside CI, it exits 0);
 * - the runner's self-test breaks: a valid-fail file passed (a runner bug);
 * - an area's pass share falls below its floor in test/unified/floors.json (area -> minimum
 *   share of passed among passed + failed pairs). Floors are raised as the simulator improves;
 *   a filtered run (path, --file, --test, --topology) does not check them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runMatrix } from './matrix.js';
import { MATRIX_TOPOLOGIES, type MatrixTopology } from './requirements.js';
import {
  areaLines,
  floorViolations,
  selfTest,
  tallyAreas,
  topReasons,
  totalsLine,
  countedStatus,
} from './report.js';
import { specDirExists } from '../spec/spec-files.js';
import { loadUnifiedFiles, unifiedTestsDir } from './unified-files.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: 'string' },
    test: { type: 'string' },
    topology: { type: 'string', multiple: true },
    verbose: { type: 'boolean', default: false },
    json: { type: 'string' },
    timeout: { type: 'string' },
    lanes: { type: 'string' },
    'allow-missing': { type: 'boolean', default: false },
  },
});

function missing(message: string): never {
  console.error(`\n*** ${message} ***\n`);
  console.log('0 passed, 0 failed, 0 skipped');
  process.exit(values['allow-missing'] && !process.env['CI'] ? 0 : 1);
}

const topologies = (values.topology ?? [...MATRIX_TOPOLOGIES]) as MatrixTopology[];
for (const t of topologies) {
  if (!MATRIX_TOPOLOGIES.includes(t)) {
    console.error(`unknown --topology ${t} (use ${MATRIX_TOPOLOGIES.join(', ')})`);
    process.exit(2);
  }
}
const timeoutMS = values.timeout ? Number(values.timeout) : 10_000;
const pathFilter = values.file ?? positionals[0];
const filtered = pathFilter !== undefined || values.test !== undefined || values.topology !== undefined;

const dir = unifiedTestsDir();
if (!specDirExists(dir)) missing(`unified test directory not found: ${dir} (set UNIFIED_TESTS_DIR)`);
const files = loadUnifiedFiles(dir);
console.log(`Unified tests from ${dir}: ${files.length} files; topologies ${topologies.join(', ')}`);

const startedAt = Date.now();
const run = await runMatrix(files, {
  topologies,
  timeoutMS,
  lanesPerTopology: values.lanes ? Number(values.lanes) : 2,
  ...(pathFilter !== undefined ? { pathFilter } : {}),
  ...(values.test !== undefined ? { testFilter: values.test } : {}),
  onResult: (r) => {
    if (values.verbose && countedStatus(r) === 'failed') {
      console.log(`FAILED [${r.topology}] ${r.file} :: ${r.test}\n    ${r.reason ?? ''}`);
    }
  },
});
const seconds = (Date.now() - startedAt) / 1000;
const { results } = run;
if (results.length === 0)
  missing(`no (test, topology) pairs found under ${dir}${filtered ? ' with these filters' : ''}`);

for (const [topology, facts] of run.facts) {
  console.log(`${topology}: server version ${facts.version.join('.')} (read from buildInfo)`);
}
const tallies = tallyAreas(results);
console.log('');
for (const line of areaLines(tallies)) console.log(line);
const self = selfTest(results);
console.log('');
for (const line of self.lines) console.log(line);
for (const r of self.validFailPassed)
  console.log(`  RUNNER BUG: valid-fail passed [${r.topology}] ${r.file} :: ${r.test}`);
for (const r of self.validPassFailed)
  console.log(`  valid-pass failed [${r.topology}] ${r.file} :: ${r.test}: ${r.reason ?? ''}`);
console.log('\ntop failure reasons:');
for (const [reason, count] of topReasons(results, 15)) console.log(`${String(count).padStart(5)}  ${reason}`);
console.log(
  `\n${results.length} pairs in ${seconds.toFixed(1)} s; deployments replaced: ${run.deploymentRestarts}`,
);

if (values.json) {
  writeFileSync(
    values.json,
    JSON.stringify(
      {
        seconds,
        facts: Object.fromEntries([...run.facts].map(([t, f]) => [t, { version: f.version.join('.') }])),
        areas: tallies,
        results,
      },
      null,
      2,
    ),
  );
  console.log(`results written to ${values.json}`);
}

let exitCode = 0;
if (self.validFailPassed.length > 0) {
  console.log(`the runner self-test failed: ${self.validFailPassed.length} valid-fail pair(s) passed`);
  exitCode = 1;
}
if (!filtered) {
  const floors = JSON.parse(readFileSync(new URL('./floors.json', import.meta.url), 'utf8')) as Record<
    string,
    number
  >;
  const violations = floorViolations(tallies, floors);
  for (const v of violations) console.log(`FLOOR: ${v}`);
  if (violations.length > 0) exitCode = 1;
}
console.log(totalsLine(results));
process.exit(exitCode);
