/**
 * Scale: one process monitoring 1,000 servers (334 simulated replica sets of 3, served by another
 * process) with polling every 1000 ms: CPU seconds and peak RSS of the monitoring process over
 * the window, ours (334 Topology objects) vs 334 driver MongoClients, each side in a fresh process.
 */
import { BenchChild, runChildWith } from './child.js';
import { comparedRow, sideField } from './driver-field.js';
import type { Benchmark } from './results.js';

const SETS = 334;

export const scaleBenchmark: Benchmark = {
  key: 'scale',
  title: `Scale: ${SETS} replica sets of 3 (${SETS * 3} servers), polling every 1000 ms`,
  rows: [
    comparedRow(
      'CPU seconds of the monitoring process in the window',
      's',
      'cpuSeconds',
      '≤ 1/2 of the driver',
    ),
    comparedRow('peak RSS of the monitoring process', 'MB', 'peakRssMB', '≤ 1/2 of the driver'),
    comparedRow('RSS before creating the clients (baseline)', 'MB', 'baselineRssMB'),
    comparedRow('peak RSS minus the baseline', 'MB', 'rssGrowthMB'),
    comparedRow('time to connect every client', 'ms', 'connectMs'),
    comparedRow('CPU seconds while connecting', 's', 'connectCpuSeconds'),
    comparedRow('successful heartbeats in the window', 'count', 'heartbeats'),
  ],
  extraFields: ['windowMs', 'servers', 'failedHeartbeats', 'driverFailedHeartbeats'],
  async run(context, figures, notes) {
    const windowMs = context.quick ? 5_000 : 30_000;
    figures.set('windowMs', windowMs);
    context.log(`starting ${SETS} simulated replica sets in a child process`);
    const simulator = new BenchChild('./scale-simulator-child.ts', [String(SETS)], { timeoutMs: 600_000 });
    try {
      const ready = await simulator.next('ready');
      const uris = ready.uris as string[];
      figures.set('servers', ready.servers as number);
      for (const side of ['ours', 'driver'] as const) {
        const field = (name: string): string => sideField(side, name);
        const names = [
          'cpuSeconds',
          'peakRssMB',
          'baselineRssMB',
          'rssGrowthMB',
          'connectMs',
          'connectCpuSeconds',
          'heartbeats',
          'failedHeartbeats',
        ];
        context.log(`${side}: ${uris.length} clients for ${windowMs / 1000} s`);
        try {
          const result = await runChildWith(
            './scale-monitor-child.ts',
            [side, String(windowMs)],
            { timeoutMs: windowMs + 180_000 },
            (child) => child.send({ type: 'uris', uris }),
          );
          figures.set(field('cpuSeconds'), result.cpuSeconds as number);
          figures.set(field('peakRssMB'), Math.max(result.peakRssMB as number, result.maxRssMB as number));
          figures.set(field('baselineRssMB'), result.baselineRssMB as number);
          figures.set(
            field('rssGrowthMB'),
            Math.max(result.peakRssMB as number, result.maxRssMB as number) -
              (result.baselineRssMB as number),
          );
          figures.set(field('connectMs'), result.connectMs as number);
          figures.set(field('connectCpuSeconds'), result.connectCpuSeconds as number);
          figures.set(field('heartbeats'), result.heartbeatsInWindow as number);
          figures.set(field('failedHeartbeats'), result.failedHeartbeats as number);
          if (typeof result.firstFailure === 'string')
            notes.push(`${side}: first failed heartbeat: ${result.firstFailure}`);
          context.log(
            `${side}: ${(result.cpuSeconds as number).toFixed(2)} CPU s, peak RSS ${(result.peakRssMB as number).toFixed(0)} MB`,
          );
        } catch (error) {
          figures.failMissing(names.map(field), error);
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
        `child process that opens ${SETS} clients (serverMonitoringMode poll, heartbeatFrequencyMS 1000), waits ` +
        `until all are connected, and measures process.cpuUsage() (user + system) over a ${windowMs / 1000} s window.`,
      'Peak RSS: the larger of RSS sampled every 100 ms and process.resourceUsage().maxRSS; it includes the ' +
        "baseline of a Node process running tsx with that side's library loaded (the baseline row; each side " +
        'loads only its own library).',
      "The driver's MongoClient.connect() also opens one pooled connection per client (its default behaviour); " +
        'our Topology opens monitoring connections only.',
    );
  },
};
