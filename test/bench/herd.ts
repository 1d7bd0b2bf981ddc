/**
 * Thundering herd: 10,000 concurrent callers across a step-down. For each side, on its own fresh
 * simulated set: the hellos each member receives in the window that follows the step-down
 * (handshakes apart from monitoring checks), how many callers got the new primary, failed fast or
 * timed out, and how many were handed the old primary after the client's own view (our snapshot,
 * the driver's description) already showed the new one.
 */
import { ReadPreference, type CommandStartedEvent, type MongoClient } from 'mongodb';
import type { Topology } from '../../src/topology/topology.js';
import {
  driverPrimaryOf,
  driverStreamingStarted,
  driverTopology,
  noDeprioritizedServers,
  openDriver,
  openOurs,
  ourPrimaryOf,
  ourStreamingStarted,
  waitForDriver,
  waitForOurs,
  type StreamingWatch,
} from './clients.js';
import { comparedRow, driverField, sideField, type Side } from './driver-field.js';
import { startReplicaSet, type BenchReplicaSet, type HelloCount, type HelloCounter } from './deployment.js';
import type { Benchmark, BenchContext, Figures } from './results.js';
import { errorMessage, nowMs } from './stats.js';

const CALLERS = 10_000;
/** Elections of a real replica set take seconds; a visible no-primary window is what makes a herd. */
const ELECTION_DELAY_MS = 500;
/** Pause between "streaming on every member" and the step-down. */
const SETTLE_MS = 1_000;

interface Outcomes {
  newPrimary: number;
  oldPrimary: number;
  otherServer: number;
  failedFast: number;
  timedOut: number;
  stale: number;
  /** The first error a caller got, to say why callers failed. */
  firstError: string | null;
  /** How long starting the calls blocked the event loop. */
  launchMs: number;
}

function emptyOutcomes(): Outcomes {
  return {
    newPrimary: 0,
    oldPrimary: 0,
    otherServer: 0,
    failedFast: 0,
    timedOut: 0,
    stale: 0,
    firstError: null,
    launchMs: 0,
  };
}

export const herdBenchmark: Benchmark = {
  key: 'herd',
  title: `Herd: ${CALLERS.toLocaleString('en-US')} concurrent callers across a step-down`,
  rows: [
    comparedRow('hellos per member in the window, max (all)', 'count', 'helloPerMemberMax', '≤ the driver'),
    comparedRow('… of which monitoring checks (max member)', 'count', 'monitoringHelloPerMemberMax'),
    comparedRow('… of which handshakes (max member)', 'count', 'handshakePerMemberMax'),
    comparedRow('time to start the 10,000 calls (event loop blocked)', 'ms', 'launchMs'),
    comparedRow('callers that got the new primary', 'count', 'newPrimary'),
    comparedRow('callers handed the old primary', 'count', 'oldPrimary'),
    comparedRow('callers that failed fast', 'count', 'failedFast'),
    comparedRow('callers that timed out', 'count', 'timedOut'),
    comparedRow('first error a caller got', 'count', 'firstCallerError'),
    comparedRow(
      'stale dispatches (old primary after the view showed the new one)',
      'count',
      'staleDispatch',
      '0 for us',
    ),
    {
      label: 'driver insertOne: inserts sent to the old primary after the description showed the new one',
      unit: 'count',
      driver: 'driverInsertStaleDispatch',
    },
    {
      label:
        'driver insertOne: inserts sent to the old primary after it was no longer primary in the description',
      unit: 'count',
      driver: 'driverInsertAfterStepDown',
    },
    {
      label: 'driver insertOne: hellos per member in the window, max',
      unit: 'count',
      driver: 'driverInsertHelloPerMemberMax',
    },
    {
      label: '… of which monitoring checks',
      unit: 'count',
      driver: 'driverInsertMonitoringHelloPerMemberMax',
    },
    {
      label: '… of which handshakes (new pool connections)',
      unit: 'count',
      driver: 'driverInsertHandshakePerMemberMax',
    },
    {
      label: 'driver insertOne: inserts that succeeded / failed',
      unit: 'count',
      driver: 'driverInsertOutcome',
    },
  ],
  extraFields: [
    'helloPerMember',
    'driverHelloPerMember',
    'driverInsertHelloPerMember',
    'windowMs',
    'electionDelayMS',
  ],
  async run(context, figures, notes) {
    const windowMs = context.quick ? 3_000 : 5_000;
    figures.set('windowMs', windowMs);
    figures.set('electionDelayMS', ELECTION_DELAY_MS);

    context.log('ours: selectServer callers');
    await runSide(figures, 'ours', (rs) => ourSide(rs, windowMs));
    context.log('driver: client.topology.selectServer callers');
    await runSide(figures, 'driver', (rs) => driverSelectSide(rs, windowMs));
    context.log('driver: insertOne callers');
    await driverInserts(context, figures, windowMs);

    notes.push(
      `Each side runs alone against its own fresh 3-member simulated set (electionDelayMS ${ELECTION_DELAY_MS}, so ` +
        `that there is a no-primary window as with a real election), default client options (streaming).`,
      `Both clients stream (an awaitable hello in flight on every member), then wait ${SETTLE_MS} ms for start-up ` +
        `work (RTT pinger connections) to finish, before the step-down.`,
      `Callers: ${CALLERS.toLocaleString('en-US')} calls of selectServer('primary'), each with a ` +
        `${windowMs} ms timeout, started in one synchronous loop at the moment the client's own view first stops ` +
        `showing the old primary — the moment every application call notices the failure at once. A caller ` +
        `rejected before 95% of its timeout counts as failed fast. Ours: ` +
        `topology.selectServer; driver: client.topology.selectServer (not real operations). "Stale" is judged ` +
        `when the call resolves, against topology.snapshot / the driver's description at that moment.`,
      `Hellos: counted by the simulator for ${windowMs} ms from the step-down; the first hello of a connection ` +
        `opened in the window counts as a handshake, every other hello (including RTT pings) as monitoring.`,
      `Driver insertOne rows: ${CALLERS.toLocaleString('en-US')} real insertOne calls (retryWrites on) in flight ` +
        `when the primary steps down (started just before stepDown()); each insert's destination is taken from ` +
        `its commandStarted event and compared with the driver's description at that moment.`,
    );
  },
};

interface SideResult {
  readonly outcomes: Outcomes;
  readonly hellos: ReadonlyMap<string, HelloCount>;
}

async function runSide(
  figures: Figures,
  side: Side,
  measure: (rs: BenchReplicaSet) => Promise<SideResult>,
): Promise<void> {
  const field = (name: string): string => sideField(side, name);
  const names = [
    'launchMs',
    'helloPerMemberMax',
    'monitoringHelloPerMemberMax',
    'handshakePerMemberMax',
    'newPrimary',
    'oldPrimary',
    'failedFast',
    'timedOut',
    'staleDispatch',
    'firstCallerError',
    'helloPerMember',
  ];
  let rs: BenchReplicaSet | undefined;
  try {
    rs = await startReplicaSet({ members: 3, electionDelayMS: ELECTION_DELAY_MS });
    const result = await measure(rs);
    recordHellos(figures, field, result.hellos);
    const o = result.outcomes;
    figures.set(field('newPrimary'), o.newPrimary);
    figures.set(field('oldPrimary'), o.oldPrimary);
    figures.set(field('failedFast'), o.failedFast);
    figures.set(field('timedOut'), o.timedOut);
    figures.set(field('staleDispatch'), o.stale);
    if (o.otherServer > 0) figures.set(field('otherServer'), o.otherServer);
    figures.set(field('firstCallerError'), o.firstError ?? 'none');
    figures.set(field('launchMs'), o.launchMs);
  } catch (error) {
    figures.failMissing(names.map(field), error);
  } finally {
    await rs?.close();
  }
}

function recordHellos(
  figures: Figures,
  field: (name: string) => string,
  hellos: ReadonlyMap<string, HelloCount>,
): void {
  let all = 0;
  let monitoring = 0;
  let handshakes = 0;
  const parts: string[] = [];
  for (const [address, count] of hellos) {
    all = Math.max(all, count.handshakes + count.monitoring);
    monitoring = Math.max(monitoring, count.monitoring);
    handshakes = Math.max(handshakes, count.handshakes);
    parts.push(`${address}: ${count.monitoring} monitoring + ${count.handshakes} handshakes`);
  }
  figures.set(field('helloPerMemberMax'), all);
  figures.set(field('monitoringHelloPerMemberMax'), monitoring);
  figures.set(field('handshakePerMemberMax'), handshakes);
  figures.set(field('helloPerMember'), parts.join('; '));
}

/** A copy of the counts `ms` from now (late only if the event loop is blocked, as it then counts nothing either). */
function countsAfter(counter: HelloCounter, ms: number): Promise<Map<string, HelloCount>> {
  return new Promise((resolve) => {
    setTimeout(() => {
      resolve(new Map([...counter.counts()].map(([address, count]) => [address, { ...count }])));
    }, ms);
  });
}

/**
 * Step down, launch the callers when `lost(oldPrimary)` resolves, count hellos for the window. A
 * caller's rejection is stamped with its time, to tell failing fast from timing out.
 */
async function acrossStepDown(
  rs: BenchReplicaSet,
  windowMs: number,
  lost: (oldPrimary: string) => Promise<unknown>,
  caller: (timeoutMs: number) => Promise<{ address: string; stale: boolean }>,
): Promise<SideResult> {
  const oldPrimary = rs.primary;
  if (oldPrimary === undefined) throw new Error('the simulated set has no primary');
  const counter = rs.countHellos();
  const inWindow = countsAfter(counter, windowMs);
  const stepping = rs.stepDown();
  const calls: Promise<{ address: string; stale: boolean } | Error>[] = [];
  try {
    await lost(oldPrimary);
    const launchStart = nowMs();
    for (let i = 0; i < CALLERS; i++) {
      calls.push(caller(windowMs).catch((error: unknown) => stamped(error)));
    }
    const launchMs = nowMs() - launchStart;
    const newPrimary = await stepping;
    const settled = await Promise.all(calls);
    const hellos = await inWindow;
    const outcomes = emptyOutcomes();
    outcomes.launchMs = launchMs;
    // A caller that failed before 95% of its timeout failed fast; the others timed out.
    const fastBefore = launchStart + 0.95 * windowMs;
    for (const result of settled) {
      if (result instanceof Error) {
        outcomes.firstError ??= errorMessage(result);
        const at = (result as Error & { at?: number }).at;
        if (at !== undefined && at < fastBefore) outcomes.failedFast++;
        else outcomes.timedOut++;
        continue;
      }
      if (result.stale) outcomes.stale++;
      if (result.address === newPrimary) outcomes.newPrimary++;
      else if (result.address === oldPrimary) outcomes.oldPrimary++;
      else outcomes.otherServer++;
    }
    return { outcomes, hellos };
  } finally {
    counter.stop();
    await stepping.catch(() => undefined);
  }
}

/** Tags a rejection with when it happened, to tell failing fast from timing out. */
function stamped(error: unknown): Error {
  const tagged = (error instanceof Error ? error : new Error(String(error))) as Error & { at?: number };
  tagged.at = nowMs();
  return tagged;
}

/** Waits (at most 15 s) until `streams` resolved: each client has an awaitable hello in flight on every member. */
async function untilStreaming(stream: StreamingWatch | undefined): Promise<void> {
  if (stream === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([stream.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, 15_000)))]);
  clearTimeout(timer);
  stream.cancel();
  // Let start-up work finish (RTT pinger connections, their first pings) so that the window
  // counts what the step-down causes, not what connecting causes.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

async function ourSide(rs: BenchReplicaSet, windowMs: number): Promise<SideResult> {
  let stream: StreamingWatch | undefined;
  const topology: Topology = await openOurs(rs.uri, 3, {}, (t) => (stream = ourStreamingStarted(t, 3)));
  try {
    await untilStreaming(stream);
    return await acrossStepDown(
      rs,
      windowMs,
      (oldPrimary) =>
        waitForOurs(
          topology,
          (s) => ourPrimaryOf(s) !== oldPrimary,
          windowMs,
          'our view losing the old primary',
        ),
      async (timeoutMs) => {
        const server = await topology.selectServer('primary', { timeoutMS: timeoutMs });
        const shown = ourPrimaryOf(topology.snapshot);
        return { address: server.address, stale: shown !== undefined && server.address !== shown };
      },
    );
  } finally {
    await topology.close();
  }
}

async function driverSelectSide(rs: BenchReplicaSet, windowMs: number): Promise<SideResult> {
  let stream: StreamingWatch | undefined;
  const client: MongoClient = await openDriver(
    rs.uri,
    3,
    {},
    {},
    (c) => (stream = driverStreamingStarted(c, 3)),
  );
  try {
    await untilStreaming(stream);
    const topology = driverTopology(client);
    return await acrossStepDown(
      rs,
      windowMs,
      (oldPrimary) =>
        waitForDriver(
          client,
          (d) => driverPrimaryOf(d) !== oldPrimary,
          windowMs,
          'the driver losing the old primary',
        ),
      async (timeoutMs) => {
        const server = await topology.selectServer(ReadPreference.primary, {
          serverSelectionTimeoutMS: timeoutMs,
          operationName: 'benchmark',
          deprioritizedServers: noDeprioritizedServers,
        });
        const address = server.description.address;
        const shown = driverPrimaryOf(topology.description);
        return { address, stale: shown !== undefined && address !== shown };
      },
    );
  } finally {
    await client.close();
  }
}

/** 10,000 real insertOne calls in flight across the step-down, through the driver. */
async function driverInserts(context: BenchContext, figures: Figures, windowMs: number): Promise<void> {
  const fields = [
    'driverInsertStaleDispatch',
    'driverInsertAfterStepDown',
    'driverInsertHelloPerMemberMax',
    'driverInsertMonitoringHelloPerMemberMax',
    'driverInsertHandshakePerMemberMax',
    'driverInsertOutcome',
    'driverInsertHelloPerMember',
  ];
  let rs: BenchReplicaSet | undefined;
  let client: MongoClient | undefined;
  try {
    rs = await startReplicaSet({ members: 3, electionDelayMS: ELECTION_DELAY_MS });
    let stream: StreamingWatch | undefined;
    client = await openDriver(
      rs.uri,
      3,
      { serverSelectionTimeoutMS: windowMs },
      { monitorCommands: true },
      (c) => (stream = driverStreamingStarted(c, 3)),
    );
    await untilStreaming(stream);
    const topology = driverTopology(client);
    const collection = client.db('bench').collection<{ i: number }>('herd');
    await collection.insertOne({ i: -1 }); // the pool has a connection and the collection exists
    const oldPrimary = rs.primary;
    if (oldPrimary === undefined) throw new Error('the simulated set has no primary');
    let stale = 0;
    let afterStepDown = 0;
    const onStarted = (event: CommandStartedEvent): void => {
      if (event.commandName !== 'insert' || event.address !== oldPrimary) return;
      const description = topology.description;
      const shown = driverPrimaryOf(description);
      if (shown !== undefined && shown !== oldPrimary) stale++;
      if (description.servers.get(oldPrimary)?.type !== 'RSPrimary') afterStepDown++;
    };
    client.on('commandStarted', onStarted);
    const counter = rs.countHellos();
    const inserts: Promise<'ok' | Error>[] = [];
    for (let i = 0; i < CALLERS; i++) {
      inserts.push(
        collection.insertOne({ i }).then(
          () => 'ok' as const,
          (error: unknown) => stamped(error),
        ),
      );
    }
    const inWindow = countsAfter(counter, windowMs);
    await rs.stepDown();
    const results = await Promise.all(inserts);
    const hellos = await inWindow;
    counter.stop();
    client.off('commandStarted', onStarted);
    let ok = 0;
    let failed = 0;
    for (const result of results) {
      if (result === 'ok') ok++;
      else failed++;
    }
    figures.set('driverInsertStaleDispatch', stale);
    figures.set('driverInsertAfterStepDown', afterStepDown);
    recordHellos(figures, (name) => driverField(name, 'driverInsert'), hellos);
    figures.set('driverInsertOutcome', `${ok} ok / ${failed} failed`);
    context.log(
      `driver inserts: ${ok} ok, ${failed} failed, ${stale} stale, ${afterStepDown} after step-down`,
    );
  } catch (error) {
    figures.failMissing(fields, error);
  } finally {
    await client?.close();
    await rs?.close();
  }
}
