/**
 * Server selection cost on a healthy topology: ns per call of our `selectServerNow` and
 * `await selectServer` for primary, secondaryPreferred with tags and nearest, on 3 and 50
 * simulated members, next to the official driver's `topology.selectServer` on the same
 * deployment in the same run; sequentially and with 10,000 calls in flight.
 */
import { ReadPreference, type MongoClient } from 'mongodb';
import type { Topology } from '../../src/topology/topology.js';
import {
  driverTopology,
  noDeprioritizedServers,
  openDriver,
  openOurs,
  type DriverTopology,
} from './clients.js';
import { startReplicaSet, type BenchReplicaSet } from './deployment.js';
import type { Benchmark, BenchContext, Figures } from './results.js';
import { median, nowNs, nsPerAsyncCall, nsPerCall } from './stats.js';

const CONCURRENT = 10_000;
const eastTags = [{ dc: 'east' }];

const ours = {
  primary: 'primary' as const,
  tagged: Object.freeze({ mode: 'secondaryPreferred' as const, tags: eastTags }),
  nearest: 'nearest' as const,
};
const driver = {
  primary: ReadPreference.primary,
  tagged: new ReadPreference('secondaryPreferred', eastTags),
  nearest: ReadPreference.nearest,
};
type Mode = keyof typeof ours;

export const selectionBenchmark: Benchmark = {
  key: 'selection',
  title: 'Server selection on a healthy replica set',
  rows: [
    {
      label: 'primary, selectServerNow, 3 members',
      unit: 'ns',
      ours: 'nowPrimaryNs',
      driver: 'driverAsyncPrimaryNs',
      target: '≤ 1/50 of the driver',
    },
    {
      label: 'primary, await selectServer, 3 members',
      unit: 'ns',
      ours: 'asyncPrimaryNs',
      driver: 'driverAsyncPrimaryNs',
      target: '≤ 1/10 of the driver',
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
    for (const members of [3, 50]) {
      const suffix = members === 3 ? '' : '50';
      context.log(`starting a ${members}-member simulated replica set`);
      const rs = await startReplicaSet({ members, tagged: true });
      try {
        await measureOurs(context, figures, rs, suffix);
        await measureDriver(context, figures, rs, suffix);
      } finally {
        await rs.close();
      }
    }
    notes.push(
      `Both clients connect with default options (serverMonitoringMode auto, heartbeatFrequencyMS 10000) ` +
        `to the same simulated set, and wait until every member is known before timing.`,
      `Driver: \`client.topology.selectServer(readPreference, { operationName, deprioritizedServers })\` — the ` +
        `internal call every driver operation makes first — reached through a narrow structural type after ` +
        `\`client.connect()\`; read preferences are built once. Ours: the public \`selectServerNow\` / \`selectServer\`.`,
      `"In flight": ${CONCURRENT.toLocaleString('en-US')} calls started in one tick and awaited together; the ` +
        `figure is wall time / calls. "Timers alive" counts Timeout resources right after starting them ` +
        `(process.getActiveResourcesInfo()) minus those before.`,
      `Tagged reads use tags [{ dc: 'east' }]; the simulator tags half of the secondaries dc: 'east'.`,
      `Sequential figures: median ns per call over timed batches (${context.quick ? 'short' : 'longer'} windows in ${context.quick ? 'quick' : 'full'} mode).`,
    );
  },
};

function windowMs(context: BenchContext): number {
  return context.quick ? 150 : 600;
}

/**
 * Opens a client, measures with it and closes it. When opening fails, every one of `fields` fails;
 * when measuring fails, the ones not measured yet.
 */
async function measureWith<Client extends { close(): Promise<void> }>(
  figures: Figures,
  fields: readonly string[],
  open: () => Promise<Client>,
  measure: (client: Client) => Promise<void>,
): Promise<void> {
  let client: Client;
  try {
    client = await open();
  } catch (error) {
    for (const field of fields) figures.fail(field, error);
    return;
  }
  try {
    await measure(client);
  } catch (error) {
    figures.failMissing(fields, error);
  } finally {
    await client.close();
  }
}

async function measureOurs(
  context: BenchContext,
  figures: Figures,
  rs: BenchReplicaSet,
  suffix: string,
): Promise<void> {
  const open = (): Promise<Topology> => openOurs(rs.uri, rs.members.length, {});
  await measureWith(figures, ourFields(suffix), open, async (topology) => {
    context.log(`ours: ${rs.members.length} members`);
    const minMs = windowMs(context);
    const now = (mode: Mode): number =>
      nsPerCall(
        (n) => {
          for (let i = 0; i < n; i++) {
            if (topology.selectServerNow(ours[mode]) === undefined)
              throw new Error(`selectServerNow(${mode}) found no server`);
          }
        },
        { minMs, batch: 20_000 },
      );
    const awaited = (mode: Mode): Promise<number> =>
      nsPerAsyncCall(
        async (n) => {
          for (let i = 0; i < n; i++) await topology.selectServer(ours[mode]);
        },
        { minMs, batch: 5_000 },
      );
    await figures.measure(`nowPrimary${suffix}Ns`, () => now('primary'));
    await figures.measure(`asyncPrimary${suffix}Ns`, () => awaited('primary'));
    await figures.measure(`asyncTagged${suffix}Ns`, () => awaited('tagged'));
    await figures.measure(`asyncNearest${suffix}Ns`, () => awaited('nearest'));
    if (suffix === '') {
      await figures.measure('nowTaggedNs', () => now('tagged'));
      await figures.measure('nowNearestNs', () => now('nearest'));
    }
    const concurrent = await inFlight(context, () => topology.selectServer(ours.primary));
    figures.set(`concurrentAsync${suffix}Ns`, concurrent.nsPerCall);
    if (suffix === '') figures.set('concurrentTimers', concurrent.timers);
  });
}

async function measureDriver(
  context: BenchContext,
  figures: Figures,
  rs: BenchReplicaSet,
  suffix: string,
): Promise<void> {
  const open = (): Promise<MongoClient> => openDriver(rs.uri, rs.members.length, {});
  await measureWith(figures, driverFields(suffix), open, async (client) => {
    context.log(`driver: ${rs.members.length} members`);
    const topology: DriverTopology = driverTopology(client);
    const options = { operationName: 'benchmark', deprioritizedServers: noDeprioritizedServers };
    const awaited = (mode: Mode): Promise<number> =>
      nsPerAsyncCall(
        async (n) => {
          for (let i = 0; i < n; i++) await topology.selectServer(driver[mode], options);
        },
        { minMs: windowMs(context), batch: 2_000 },
      );
    await figures.measure(`driverAsyncPrimary${suffix}Ns`, () => awaited('primary'));
    await figures.measure(`driverAsyncTagged${suffix}Ns`, () => awaited('tagged'));
    await figures.measure(`driverAsyncNearest${suffix}Ns`, () => awaited('nearest'));
    const concurrent = await inFlight(context, () => topology.selectServer(driver.primary, options));
    figures.set(`driverConcurrentAsync${suffix}Ns`, concurrent.nsPerCall);
    if (suffix === '') figures.set('driverConcurrentTimers', concurrent.timers);
  });
}

function ourFields(suffix: string): string[] {
  const fields = [
    `nowPrimary${suffix}Ns`,
    `asyncPrimary${suffix}Ns`,
    `asyncTagged${suffix}Ns`,
    `asyncNearest${suffix}Ns`,
    `concurrentAsync${suffix}Ns`,
  ];
  return suffix === '' ? [...fields, 'nowTaggedNs', 'nowNearestNs', 'concurrentTimers'] : fields;
}

function driverFields(suffix: string): string[] {
  const fields = [
    `driverAsyncPrimary${suffix}Ns`,
    `driverAsyncTagged${suffix}Ns`,
    `driverAsyncNearest${suffix}Ns`,
    `driverConcurrentAsync${suffix}Ns`,
  ];
  return suffix === '' ? [...fields, 'driverConcurrentTimers'] : fields;
}

function countTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** Starts CONCURRENT calls in one tick, awaits them all; repeats and reports the median per call. */
async function inFlight(
  context: BenchContext,
  call: () => Promise<unknown>,
): Promise<{ nsPerCall: number; timers: number }> {
  const rounds = context.quick ? 3 : 7;
  const perCall: number[] = [];
  let timers = 0;
  for (let round = 0; round <= rounds; round++) {
    const timersBefore = countTimers();
    const start = nowNs();
    const calls: Promise<unknown>[] = new Array<Promise<unknown>>(CONCURRENT);
    for (let i = 0; i < CONCURRENT; i++) calls[i] = call();
    const timersDuring = countTimers() - timersBefore;
    await Promise.all(calls);
    const elapsed = Number(nowNs() - start);
    if (round === 0) continue; // warm-up
    perCall.push(elapsed / CONCURRENT);
    timers = Math.max(timers, timersDuring);
  }
  return { nsPerCall: median(perCall) as number, timers };
}
