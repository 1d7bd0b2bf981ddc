/**
 * Server selection cost on a healthy topology: ns per call of our `selectServerNow` and
 * `await selectServer` for primary, secondaryPreferred with tags and nearest, on 3 and 50
 * simulated members, next to the official driver's `topology.selectServer` on the same
 * deployment in the same run; sequentially and with 10,000 calls in flight.
 *
 * The timing runs in a fresh child process (selection-child.ts), both sides in it one after the
 * other. In the runner's process, the earlier sections leave it idle for a while (they run in
 * children of their own), and V8's memory reducer then shrinks the young generation to its
 * minimum; it stays there while little survives, so every allocation-heavy loop afterwards
 * collects garbage many times as often. An `await` allocates, so that adds some nanoseconds to
 * every awaited call on both sides, and a figure of a few tens of nanoseconds would depend on
 * which sections ran before it.
 */
import { runChild } from './child.js';
import type { Benchmark, FigureValue } from './results.js';

export const CONCURRENT = 10_000;
/** The plain loop: one timed run of this many sequential calls, so that call overhead shows. */
export const LOOP = 1_000_000;
export const LOOP_RUNS = 3;

export const selectionBenchmark: Benchmark = {
  key: 'selection',
  title: 'Server selection on a healthy replica set',
  rows: [
    {
      label: 'primary, selectServerNow, 3 members',
      unit: 'ns',
      ours: 'nowPrimaryNs',
      driver: 'driverAsyncPrimaryNs',
      target: '≤ 1/100 of the driver',
    },
    {
      label: 'primary, await selectServer, 3 members',
      unit: 'ns',
      ours: 'asyncPrimaryNs',
      driver: 'driverAsyncPrimaryNs',
      target: '≤ 1/30 of the driver',
    },
    {
      label: `primary, selectServerNow, loop of ${LOOP.toLocaleString('en-US')} calls, 3 members`,
      unit: 'ns',
      ours: 'loopNowPrimaryNs',
      driver: 'driverLoopAsyncPrimaryNs',
      target: '≤ 1/100 of the driver',
    },
    {
      label: `primary, await selectServer, loop of ${LOOP.toLocaleString('en-US')} calls, 3 members`,
      unit: 'ns',
      ours: 'loopAsyncPrimaryNs',
      driver: 'driverLoopAsyncPrimaryNs',
      target: '≤ 1/30 of the driver',
    },
    {
      label: 'for scale: await of an already settled promise, no call (the floor of every awaited row)',
      unit: 'ns',
      ours: 'settledAwaitNs',
    },
    {
      label: 'secondaryPreferred + tags, await, 3 members',
      unit: 'ns',
      ours: 'asyncTaggedNs',
      driver: 'driverAsyncTaggedNs',
    },
    {
      label: 'nearest, await, 3 members',
      unit: 'ns',
      ours: 'asyncNearestNs',
      driver: 'driverAsyncNearestNs',
    },
    {
      label: 'secondaryPreferred + tags, selectServerNow, 3 members',
      unit: 'ns',
      ours: 'nowTaggedNs',
      driver: 'driverAsyncTaggedNs',
    },
    {
      label: 'nearest, selectServerNow, 3 members',
      unit: 'ns',
      ours: 'nowNearestNs',
      driver: 'driverAsyncNearestNs',
    },
    {
      label: `primary, ${CONCURRENT.toLocaleString('en-US')} in flight, per call, 3 members`,
      unit: 'ns',
      ours: 'concurrentAsyncNs',
      driver: 'driverConcurrentAsyncNs',
    },
    {
      label: `timers alive with ${CONCURRENT.toLocaleString('en-US')} calls in flight`,
      unit: 'count',
      ours: 'concurrentTimers',
      driver: 'driverConcurrentTimers',
      target: '0 for us',
    },
    {
      label: 'primary, selectServerNow, 50 members',
      unit: 'ns',
      ours: 'nowPrimary50Ns',
      driver: 'driverAsyncPrimary50Ns',
    },
    {
      label: 'primary, await selectServer, 50 members',
      unit: 'ns',
      ours: 'asyncPrimary50Ns',
      driver: 'driverAsyncPrimary50Ns',
    },
    {
      label: 'secondaryPreferred + tags, await, 50 members',
      unit: 'ns',
      ours: 'asyncTagged50Ns',
      driver: 'driverAsyncTagged50Ns',
      target: '≤ 1/20 of the driver',
    },
    {
      label: 'secondaryPreferred + tags as a plain object per call, await, 50 members',
      unit: 'ns',
      ours: 'asyncTaggedPlain50Ns',
      driver: 'driverAsyncTagged50Ns',
    },
    {
      label: `secondaryPreferred + tags, await, loop of ${LOOP.toLocaleString('en-US')} calls, 50 members`,
      unit: 'ns',
      ours: 'loopAsyncTagged50Ns',
      driver: 'driverLoopAsyncTagged50Ns',
      target: '≤ 1/20 of the driver',
    },
    {
      label: 'nearest, await, 50 members',
      unit: 'ns',
      ours: 'asyncNearest50Ns',
      driver: 'driverAsyncNearest50Ns',
    },
    {
      label: `primary, ${CONCURRENT.toLocaleString('en-US')} in flight, per call, 50 members`,
      unit: 'ns',
      ours: 'concurrentAsync50Ns',
      driver: 'driverConcurrentAsync50Ns',
    },
  ],
  async run(context, figures, notes) {
    const message = await runChild('./selection-child.ts', context.quick ? ['--quick'] : [], {
      timeoutMs: 900_000,
    });
    figures.copy(message.figures as Readonly<Record<string, FigureValue>>);
    notes.push(
      `The timing runs in a fresh child process, both clients in it one after the other. Timed in the runner's ` +
        `own process after the earlier sections had left it idle, V8 kept the young generation at its 1 MB ` +
        `minimum (--trace-gc: a scavenge per MB allocated, against one per 16 MB in a fresh process), and our ` +
        `await selectServer('primary') took 43 ns where a fresh process took 35-36 ns with the same code ` +
        `(2026-12-07; an await allocates). The driver's figures moved within their run-to-run spread.`,
      `Both clients connect with default options (serverMonitoringMode auto, heartbeatFrequencyMS 10000) ` +
        `to the same simulated set, and wait until every member is known before timing. The set runs in a ` +
        `child process: in the measuring process only the clients run (the simulator's AsyncLocalStorage ` +
        `would slow every promise of either side's process on Node 20).`,
      `Driver: \`client.topology.selectServer(readPreference, { operationName, deprioritizedServers })\` — the ` +
        `internal call every driver operation makes first — reached through a narrow structural type after ` +
        `\`client.connect()\`; read preferences are built once. Ours: the public \`selectServerNow\` / \`selectServer\`.`,
      `"In flight": ${CONCURRENT.toLocaleString('en-US')} calls started in one tick and awaited together; the ` +
        `figure is wall time / calls. "Timers alive" counts Timeout resources right after starting them ` +
        `(process.getActiveResourcesInfo()) minus those before.`,
      `Tagged reads use tags [{ dc: 'east' }]; the simulator tags half of the secondaries dc: 'east'. Both sides build ` +
        `the tagged read preference once (ours: toReadPreference, the driver: new ReadPreference); the "plain object ` +
        `per call" row passes ours a frozen { mode, tags } object instead, normalised and keyed on every call.`,
      `Loop rows: a timed plain loop of ${LOOP.toLocaleString('en-US')} sequential calls (no warm-up, no batches), ` +
        `total time / calls, so that call overhead outside the cache shows; the median of ${LOOP_RUNS} such loops, ` +
        `and the driver runs the same loops.`,
      `Sequential figures: median ns per call over timed batches (${context.quick ? 'short' : 'longer'} windows in ${context.quick ? 'quick' : 'full'} mode).`,
    );
  },
};
