/**
 * Scale: one process monitoring 1,000 servers (334 simulated replica sets of 3, served by another
 * process), polling every 1000 ms and then streaming: CPU seconds, peak RSS and open sockets of
 * the monitoring process over the window, ours (334 Topology objects) vs 334 driver MongoClients,
 * each side in a fresh plain-node process (ours loaded from the built dist/).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild, runChildWith } from './child.js';
import { comparedRow, sideField } from './driver-field.js';
import type { Benchmark, BenchContext, Figures } from './results.js';
import { median } from './stats.js';

const SETS = 334;
/**
 * Windows per side and mode in a full run, alternating the sides; each figure is the median. One
 * window's peak RSS moves by several MB from run to run with the moment V8 collects (see
 * docs/benchmarks.md, "Where the polling memory goes").
 */
const ROUNDS = 3;
const MODES = ['poll', 'stream'] as const;
type Mode = (typeof MODES)[number];

/** Figure names of a mode: the polling ones keep the names they always had. */
function modeField(mode: Mode, name: string): string {
  return mode === 'poll' ? name : `stream${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

export const scaleBenchmark: Benchmark = {
  key: 'scale',
  title: `Scale: ${SETS} replica sets of 3 (${SETS * 3} servers), heartbeatFrequencyMS 1000, polling and streaming`,
  rows: [
    comparedRow(
      'polling: CPU seconds of the monitoring process in the window',
      's',
      'cpuSeconds',
      '≤ 0.35x the driver',
    ),
    comparedRow('polling: peak RSS of the monitoring process', 'MB', 'peakRssMB'),
    comparedRow('polling: RSS before creating the clients (baseline)', 'MB', 'baselineRssMB'),
    comparedRow('polling: peak RSS minus the baseline', 'MB', 'rssGrowthMB', '≤ 0.4x the driver'),
    comparedRow('polling: open sockets per server', 'count', 'socketsPerServer'),
    comparedRow('polling: time to connect every client', 'ms', 'connectMs'),
    comparedRow('polling: CPU seconds while connecting', 's', 'connectCpuSeconds'),
    comparedRow('polling: successful heartbeats in the window', 'count', 'heartbeats'),
    comparedRow('streaming: CPU seconds in the window', 's', 'streamCpuSeconds', '< the driver'),
    comparedRow('streaming: peak RSS', 'MB', 'streamPeakRssMB'),
    comparedRow('streaming: peak RSS minus the baseline', 'MB', 'streamRssGrowthMB', '< the driver'),
    comparedRow('streaming: open sockets per server', 'count', 'streamSocketsPerServer', '≤ the driver'),
    comparedRow('streaming: heartbeats in the window', 'count', 'streamHeartbeats'),
  ],
  extraFields: [
    'windowMs',
    'servers',
    'failedHeartbeats',
    'driverFailedHeartbeats',
    'streamFailedHeartbeats',
    'driverStreamFailedHeartbeats',
  ],
  async run(context, figures, notes) {
    const windowMs = context.quick ? 5_000 : 30_000;
    figures.set('windowMs', windowMs);
    buildPackage(context);
    context.log(`starting ${SETS} simulated replica sets in a child process`);
    const simulator = new BenchChild('./scale-simulator-child.ts', [String(SETS)], { timeoutMs: 900_000 });
    try {
      const ready = await simulator.next('ready');
      const uris = ready.uris as string[];
      const servers = ready.servers as number;
      figures.set('servers', servers);
      const rounds = context.quick ? 1 : ROUNDS;
      for (const mode of MODES) {
        const runs: Record<'ours' | 'driver', SideResult[]> = { ours: [], driver: [] };
        for (let round = 1; round <= rounds; round++) {
          for (const side of ['ours', 'driver'] as const) {
            const result = await measureSide(context, notes, { mode, side, uris, servers, windowMs });
            if (result !== null) runs[side].push(result);
          }
        }
        for (const side of ['ours', 'driver'] as const) {
          recordMedians(figures, mode, side, runs[side]);
          if (rounds > 1 && runs[side].length > 0) {
            notes.push(
              `${side} (${mode}) peak RSS minus the baseline in each window: ` +
                runs[side].map((r) => `${r.rssGrowthMB.toFixed(1)} MB`).join(', ') +
                `; CPU seconds: ${runs[side].map((r) => r.cpuSeconds.toFixed(2)).join(', ')}.`,
            );
          }
        }
      }
      simulator.send({ type: 'close' });
      await simulator.next('result');
    } finally {
      simulator.kill('benchmark finished');
      await simulator.exited;
    }
    notes.push(
      `The ${SETS} sets (${SETS * 3} servers) run in one child process; each side then runs in its own fresh ` +
        `child process that opens ${SETS} clients (heartbeatFrequencyMS 1000; serverMonitoringMode poll, then ` +
        `stream), waits until all are connected, and measures process.cpuUsage() (user + system) over a ` +
        `${windowMs / 1000} s window. ` +
        (context.quick
          ? 'Quick run: one window per side and mode.'
          : `${ROUNDS} windows per side and mode, the sides alternating, each in a fresh process; every figure is the median of its side's windows.`),
      'Children run with plain `node` (no tsx); ours loads the built package (dist/, built at the start of ' +
        'this section), the driver loads mongodb. Peak RSS: the larger of RSS sampled every 100 ms and ' +
        "process.resourceUsage().maxRSS; it includes the baseline of a Node process with that side's library " +
        'loaded (the baseline row; each side loads only its own library).',
      'Open sockets: file descriptors of the process that are sockets (/proc/self/fd), counted half-way ' +
        'through the window, minus those before the clients existed, divided by the servers.',
      "The driver's MongoClient.connect() also opens one pooled connection per client (its default behaviour); " +
        'our Topology opens monitoring connections only. Streaming: both keep a monitoring connection and an ' +
        'RTT connection per server.',
    );
  },
};

interface SideRun {
  readonly mode: Mode;
  readonly side: 'ours' | 'driver';
  readonly uris: readonly string[];
  readonly servers: number;
  readonly windowMs: number;
}

/** One window of one side: its figures, or null when it failed (the failure is noted). */
interface SideResult {
  readonly cpuSeconds: number;
  readonly peakRssMB: number;
  readonly baselineRssMB: number;
  readonly rssGrowthMB: number;
  readonly socketsPerServer: number | null;
  readonly connectMs: number;
  readonly connectCpuSeconds: number;
  readonly heartbeats: number;
  readonly failedHeartbeats: number;
}

const FIGURES = [
  'cpuSeconds',
  'peakRssMB',
  'baselineRssMB',
  'rssGrowthMB',
  'socketsPerServer',
  'connectMs',
  'connectCpuSeconds',
  'heartbeats',
  'failedHeartbeats',
] as const;

async function measureSide(context: BenchContext, notes: string[], run: SideRun): Promise<SideResult | null> {
  const { mode, side, uris, servers, windowMs } = run;
  context.log(`${side} (${mode}): ${uris.length} clients for ${windowMs / 1000} s`);
  try {
    const result = await runChildWith(
      './scale-monitor-child.mjs',
      [side, String(windowMs), mode],
      { timeoutMs: windowMs + 180_000, plainNode: true },
      (child) => child.send({ type: 'uris', uris }),
    );
    const peak = Math.max(result.peakRssMB as number, result.maxRssMB as number);
    const baseline = result.baselineRssMB as number;
    if (typeof result.firstFailure === 'string')
      notes.push(`${side} (${mode}): first failed heartbeat: ${result.firstFailure}`);
    context.log(
      `${side} (${mode}): ${(result.cpuSeconds as number).toFixed(2)} CPU s, peak RSS ${peak.toFixed(0)} MB ` +
        `(baseline ${baseline.toFixed(0)}), sockets ${String(result.sockets)}`,
    );
    return {
      cpuSeconds: result.cpuSeconds as number,
      peakRssMB: peak,
      baselineRssMB: baseline,
      rssGrowthMB: peak - baseline,
      socketsPerServer: typeof result.sockets === 'number' ? result.sockets / servers : null,
      connectMs: result.connectMs as number,
      connectCpuSeconds: result.connectCpuSeconds as number,
      heartbeats: result.heartbeatsInWindow as number,
      failedHeartbeats: result.failedHeartbeats as number,
    };
  } catch (error) {
    notes.push(
      `${side} (${mode}): a window failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return null;
  }
}

/** Each figure of `side` in `mode`: the median of its windows (missing when every window failed). */
function recordMedians(
  figures: Figures,
  mode: Mode,
  side: 'ours' | 'driver',
  runs: readonly SideResult[],
): void {
  const field = (name: string): string => sideField(side, modeField(mode, name));
  if (runs.length === 0) {
    figures.failMissing(
      FIGURES.map(field),
      new Error(`every ${side} (${mode}) window failed (see the notes)`),
    );
    return;
  }
  for (const name of FIGURES) {
    const values = runs.map((r) => r[name]).filter((v): v is number => v !== null);
    const value = median(values);
    if (value === null) figures.fail(field(name), new Error('no /proc/self/fd on this platform'));
    else figures.set(field(name), value);
  }
}

/** Builds dist/ from the current sources, so that our child measures this code as users get it. */
function buildPackage(context: BenchContext): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  context.log('building the package (npm run build) for the plain-node children');
  const built = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) {
    throw new Error(`npm run build failed (${String(built.status)}): ${built.stderr.slice(-500)}`);
  }
}
