/**
 * `npm run soak -- --minutes N` (or `--seconds N`; `--seed S`; `--selectors K`; `--writers W`, 0 to
 * see the heap without the simulator's growing data): runs the soak
 * (see soak.ts), prints its figures and exits 1 when any invariant was violated. Run it with
 * `--expose-gc` (the npm script does) so that heap samples follow a forced GC.
 */
import { parseArgs } from 'node:util';
import { runSoak } from './soak.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    seconds: { type: 'string' },
    seed: { type: 'string', default: '1' },
    selectors: { type: 'string', default: '1000' },
    writers: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? '1') * 60;
if (!(seconds > 0)) {
  console.error('soak: --minutes or --seconds must be a positive number');
  process.exit(2);
}
if ((globalThis as { gc?: unknown }).gc === undefined) {
  console.error('soak: run with node --expose-gc (npm run soak does) so heap samples follow a GC');
  process.exit(2);
}

// The soak bounds each of its own phases; this bounds the whole run, so that a hang we did not foresee
// ends the process with a message instead of holding CI until its time limit.
const watchdogMS = seconds * 1000 + 120_000;
let lastLine = 'starting';
const watchdog = setTimeout(() => {
  console.error(`soak: still running ${watchdogMS / 1000} s after the start; last progress: ${lastLine}`);
  process.exit(1);
}, watchdogMS);
watchdog.unref();

const report = await runSoak({
  durationMS: seconds * 1000,
  seed: Number(values.seed),
  selectors: Number(values.selectors),
  writers: Number(values.writers),
  progress: (line) => {
    lastLine = line;
    console.log(`soak: ${line}`);
  },
});
clearTimeout(watchdog);
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
if (values.json) console.log(JSON.stringify(report, null, 2));
console.log(`soak: ${(report.durationMS / 1000).toFixed(0)} s, seed ${report.seed}`);
console.log(
  `soak: faults ${report.faultsTotal} (${Object.entries(report.faults)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ')})`,
);
console.log(
  `soak: primary agreed within ${report.maxAgreementMS} ms of each settled fault at worst (bound ${report.agreementBoundMS} ms)`,
);
console.log(
  `soak: selections served ${report.selections.served}, timed out ${report.selections.timedOut} (each justified: ${report.selections.justified}); snapshots seen ${report.snapshotsSeen}`,
);
const w = report.writes;
console.log(
  `soak: writes acknowledged ${w.acknowledged} (lost ${w.lost.length}, applied twice ${w.duplicated.length}), failed ${w.failed} (of which applied ${w.failedButApplied}); reads ${report.reads.ok} ok, ${report.reads.failed} failed`,
);
if (report.heap !== null) {
  console.log(
    `soak: heap after GC ${mb(report.heap.firstBytes)} → ${mb(report.heap.lastBytes)} (max ${mb(report.heap.maxBytes)}), slope ${(report.heap.slopeBytesPerMinute / 1024).toFixed(1)} KB/min over ${report.heap.samples} samples after warm-up`,
  );
}
console.log(
  `soak: driver operations ended by their abort signal after 20 s (the driver's wait on a just-closed socket): ${report.driverOperationsAborted}`,
);
console.log(`soak: handles left after close: ${report.handlesLeft.length}`);
for (const v of report.violations) console.log(`soak: VIOLATION ${v}`);
console.log(
  `soak: ${report.violations.length === 0 ? 'all invariants held' : `${report.violations.length} violations`}`,
);
process.exit(report.violations.length === 0 ? 0 : 1);
