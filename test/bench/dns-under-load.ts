/**
 * DNS under load: with libuv's thread pool saturated (4 long crypto.pbkdf2 jobs), how long until
 * the first successful check of `127.0.0.1`, of `localhost`, and of a host name resolved before
 * the saturation — ours (a Topology) and the driver's (a MongoClient, directConnection) — each
 * in a fresh child process so that no earlier work warmed anything up. A side that never gets a
 * successful check is reported with its error.
 */
import { runChild } from './child.js';
import { startReplicaSet } from './deployment.js';
import { driverField, sideField } from './driver-field.js';
import type { Benchmark } from './results.js';
import { errorMessage, median } from './stats.js';

const targets = [
  { key: 'ipLiteral', arg: 'ip', label: '127.0.0.1' },
  { key: 'localhost', arg: 'localhost', label: 'localhost' },
  { key: 'resolved', arg: 'resolved', label: 'host name resolved before the saturation' },
] as const;

export const dnsBenchmark: Benchmark = {
  key: 'dns',
  title: 'DNS under load (thread pool saturated, fresh process each)',
  rows: [
    ...targets.map((t) => ({
      label: `first successful check of ${t.label}`,
      unit: 'ms' as const,
      ours: `${t.key}Ms`,
      driver: `${driverField(t.key)}Ms`,
      target: t.key === 'resolved' ? undefined : '≤ 50 ms',
    })),
    {
      label: 'control: first check of 127.0.0.1 with an idle pool (fresh process)',
      unit: 'ms' as const,
      ours: 'ipLiteralIdleMs',
      driver: 'driverIpLiteralIdleMs',
    },
    ...targets.map((t) => ({
      label: `${t.label}: thread pool still saturated at that moment (every attempt)`,
      unit: 'yes/no' as const,
      ours: `${t.key}PoolBusy`,
      driver: `${driverField(t.key)}PoolBusy`,
    })),
  ],
  extraFields: ['timeoutMs', 'resolvedHost'],
  async run(context, figures, notes) {
    const timeoutMs = context.quick ? 2_000 : 5_000;
    const reps = context.quick ? 1 : 3;
    figures.set('timeoutMs', timeoutMs);
    const rs = await startReplicaSet({ members: 1 });
    try {
      const primary = rs.primary;
      if (primary === undefined) throw new Error('the one-member simulated set has no primary');
      const port = primary.slice(primary.lastIndexOf(':') + 1);
      const runs = [
        ...targets.map((t) => ({ ...t, idle: false })),
        { key: 'ipLiteralIdle', arg: 'ip', label: '127.0.0.1 (idle pool)', idle: true },
      ];
      for (const target of runs) {
        for (const side of ['ours', 'driver'] as const) {
          const field = sideField(side, target.key);
          const args = [side, target.arg, port, String(timeoutMs), ...(target.idle ? ['--idle'] : [])];
          const times: number[] = [];
          let busyEveryTime = true;
          let failure: string | null = null;
          let attempts = 0;
          // One fresh process per repetition; a failure ends the series (it is the result, and
          // each failed attempt costs the whole timeout).
          while (attempts < reps && failure === null) {
            attempts++;
            try {
              const result = await runChild('./dns-child.ts', args, { timeoutMs: timeoutMs * 3 + 30_000 });
              if (target.key === 'resolved' && typeof result.host === 'string') {
                figures.set('resolvedHost', result.host);
              }
              if (typeof result.firstCheckMs === 'number') {
                times.push(result.firstCheckMs);
                busyEveryTime &&= result.poolBusyAtSuccess === true;
              } else {
                failure = typeof result.error === 'string' ? result.error : 'no successful check';
              }
            } catch (error) {
              failure = errorMessage(error);
            }
          }
          if (failure !== null) {
            const why = times.length > 0 ? `${failure} (after ${times.length} successful attempts)` : failure;
            figures.fail(`${field}Ms`, why);
            if (!target.idle) figures.fail(`${field}PoolBusy`, why);
          } else {
            figures.set(`${field}Ms`, median(times));
            if (!target.idle) figures.set(`${field}PoolBusy`, busyEveryTime);
          }
          figures.set(`${field}Attempts`, `${times.length} of ${attempts} succeeded`);
          context.log(
            `${side} ${target.label}: ` +
              [
                ...times.map((t) => `${t.toFixed(1)} ms`),
                ...(failure === null ? [] : [`failed (${failure})`]),
              ].join(', '),
          );
        }
      }
    } finally {
      await rs.close();
    }
    notes.push(
      `Each figure is the median of ${reps} fresh Node processes (tsx) — a side's series stops at its first ` +
        `failure, which is then the result. Each process: import everything, start 4 crypto.pbkdf2 jobs ` +
        `sized to outlast the measurement (libuv's default pool has 4 threads), then create the client and time ` +
        `until its first serverHeartbeatSucceeded. Both sides get connectTimeoutMS = serverSelectionTimeoutMS = ` +
        `${timeoutMs} ms; a side with no successful check by then is reported with its connect() error.`,
      `"Host name resolved before the saturation": the machine's host name (${String(figures.get('resolvedHost') ?? 'n/a')}, ` +
        `/etc/hosts → 127.0.0.1); a first client of the same side connects and closes before the pool is saturated, ` +
        `then a new client is measured.`,
      'The server is a one-member simulated replica set in the parent process, reached with directConnection=true.',
      'The control row runs the same child without saturating the pool: the cost of a first check in a cold ' +
        'process. Note that 4 busy pool threads on a 2-core machine also take CPU time from the main thread.',
    );
  },
};
