/**
 * Child of the `selection` benchmark: times both clients' server selection in a fresh process of
 * its own, so that the sections run before it cannot shape this process's heap (see selection.ts).
 * It starts the simulated set in a grandchild, measures ours and then the driver on 3 and then 50
 * members, and sends every figure (or its error) to the parent.
 */
import { ReadPreference, type MongoClient } from 'mongodb';
import { toReadPreference } from '../../src/selection/read-preference.js';
import type { Topology } from '../../src/topology/topology.js';
import { BenchChild, childMain } from './child.js';
import {
  driverTopology,
  noDeprioritizedServers,
  openDriver,
  openOurs,
  type DriverTopology,
} from './clients.js';
import { Figures, type BenchContext } from './results.js';
import { CONCURRENT, LOOP, LOOP_RUNS } from './selection.js';
import { median, nowNs, nsPerAsyncCall, nsPerCall } from './stats.js';

const eastTags = [{ dc: 'east' }];

const ours = {
  primary: 'primary' as const,
  // Built once, as the driver's ReadPreference below is.
  tagged: toReadPreference({ mode: 'secondaryPreferred', tags: eastTags }),
  nearest: 'nearest' as const,
};
/** The same read preference as a plain object each call (normalised and keyed per call). */
const taggedPlainObject = Object.freeze({ mode: 'secondaryPreferred' as const, tags: eastTags });
const driver = {
  primary: ReadPreference.primary,
  tagged: new ReadPreference('secondaryPreferred', eastTags),
  nearest: ReadPreference.nearest,
};
type Mode = keyof typeof ours;

/** A simulated set served by a child process. */
interface SimulatedSet {
  readonly uri: string;
  readonly members: number;
}

const context: BenchContext = {
  quick: process.argv.includes('--quick'),
  log: (message) => console.log(`  [selection child] ${message}`),
};

await childMain(async () => {
  const figures = new Figures();
  for (const members of [3, 50]) {
    const suffix = members === 3 ? '' : '50';
    context.log(`starting a ${members}-member simulated replica set in a child process`);
    const simulator = new BenchChild('./scale-simulator-child.ts', ['1', String(members), 'tagged'], {
      timeoutMs: 600_000,
    });
    try {
      const ready = await simulator.next('ready');
      const rs = { uri: (ready.uris as string[])[0] as string, members };
      await measureOurs(context, figures, rs, suffix);
      await measureDriver(context, figures, rs, suffix);
      simulator.send({ type: 'close' });
      await simulator.next('result');
    } finally {
      simulator.kill('benchmark finished');
      await simulator.exited;
    }
  }
  return { figures: figures.values };
});

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
  rs: SimulatedSet,
  suffix: string,
): Promise<void> {
  const open = (): Promise<Topology> => openOurs(rs.uri, rs.members, {});
  await measureWith(figures, ourFields(suffix), open, async (topology) => {
    context.log(`ours: ${rs.members} members`);
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
      const settled = Promise.resolve(undefined);
      await figures.measure('settledAwaitNs', () =>
        nsPerAsyncCall(
          async (n) => {
            for (let i = 0; i < n; i++) await settled;
          },
          { minMs, batch: 5_000 },
        ),
      );
      await figures.measure('nowTaggedNs', () => now('tagged'));
      await figures.measure('nowNearestNs', () => now('nearest'));
      await figures.measure('loopNowPrimaryNs', () =>
        loop(() => {
          for (let i = 0; i < LOOP; i++) {
            if (topology.selectServerNow('primary') === undefined) throw new Error('no primary');
          }
          return Promise.resolve();
        }),
      );
      await figures.measure('loopAsyncPrimaryNs', () =>
        loop(async () => {
          for (let i = 0; i < LOOP; i++) await topology.selectServer('primary');
        }),
      );
    } else {
      await figures.measure('asyncTaggedPlain50Ns', () =>
        nsPerAsyncCall(
          async (n) => {
            for (let i = 0; i < n; i++) await topology.selectServer(taggedPlainObject);
          },
          { minMs, batch: 5_000 },
        ),
      );
      await figures.measure('loopAsyncTagged50Ns', () =>
        loop(async () => {
          for (let i = 0; i < LOOP; i++) await topology.selectServer(ours.tagged);
        }),
      );
    }
    const concurrent = await inFlight(context, () => topology.selectServer(ours.primary));
    figures.set(`concurrentAsync${suffix}Ns`, concurrent.nsPerCall);
    if (suffix === '') figures.set('concurrentTimers', concurrent.timers);
  });
}

async function measureDriver(
  context: BenchContext,
  figures: Figures,
  rs: SimulatedSet,
  suffix: string,
): Promise<void> {
  const open = (): Promise<MongoClient> => openDriver(rs.uri, rs.members, {});
  await measureWith(figures, driverFields(suffix), open, async (client) => {
    context.log(`driver: ${rs.members} members`);
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
    const loopMode: Mode = suffix === '' ? 'primary' : 'tagged';
    await figures.measure(suffix === '' ? 'driverLoopAsyncPrimaryNs' : 'driverLoopAsyncTagged50Ns', () =>
      loop(async () => {
        for (let i = 0; i < LOOP; i++) await topology.selectServer(driver[loopMode], options);
      }),
    );
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
  return suffix === ''
    ? [
        ...fields,
        'settledAwaitNs',
        'nowTaggedNs',
        'nowNearestNs',
        'concurrentTimers',
        'loopNowPrimaryNs',
        'loopAsyncPrimaryNs',
      ]
    : [...fields, 'asyncTaggedPlain50Ns', 'loopAsyncTagged50Ns'];
}

function driverFields(suffix: string): string[] {
  const fields = [
    `driverAsyncPrimary${suffix}Ns`,
    `driverAsyncTagged${suffix}Ns`,
    `driverAsyncNearest${suffix}Ns`,
    `driverConcurrentAsync${suffix}Ns`,
  ];
  return suffix === ''
    ? [...fields, 'driverConcurrentTimers', 'driverLoopAsyncPrimaryNs']
    : [...fields, 'driverLoopAsyncTagged50Ns'];
}

/**
 * `body` is a plain loop of LOOP calls: ns per call of the median of LOOP_RUNS timed runs (no
 * warm-up; the median keeps a run that another process preempted on this shared machine out).
 */
async function loop(body: () => Promise<void>): Promise<number> {
  const perCall: number[] = [];
  for (let run = 0; run < LOOP_RUNS; run++) {
    const start = nowNs();
    await body();
    perCall.push(Number(nowNs() - start) / LOOP);
  }
  return median(perCall) as number;
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
