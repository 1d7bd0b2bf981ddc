/**
 * The soak: a five-member SimulatedReplicaSet under application load while random faults hit it,
 * with the invariants that a long-lived client depends on checked all along and at the end.
 *
 * Load: the official driver's retryable `w: 'majority'` writes (each an upsert incrementing a
 * counter of its own, so a write applied twice shows) and secondaryPreferred reads; and a waspnest
 * Topology with many concurrent `selectServer` callers over a mix of read preferences.
 *
 * Faults, one every 100–500 ms, never more than two members out at once (so a majority remains):
 * stepDown, kill and later restart, partition and later heal, added latency, a garbage frame.
 *
 * Checked all along: at most one primary in any snapshot; snapshot versions only grow; once a
 * fault settles, our primary is the simulator's within `agreementBoundMS`; every time-out of a
 * waiting selectServer is justified (no snapshot during its wait held a suitable server); no
 * unhandled rejection. At the end: every acknowledged write present exactly once and none twice;
 * the heap after forced GC flat; nothing left open after close().
 */
import { MongoClient } from 'mongodb';
import { ServerType } from '../../src/description/server-type.js';
import type { TopologyDescription } from '../../src/description/types.js';
import { ServerSelectionError, TopologyClosedError } from '../../src/errors.js';
import type { ReadPreferenceLike } from '../../src/selection/read-preference.js';
import { seededRandom } from '../../src/cli/seeded-random.js';
import { SimulatedReplicaSet } from '../../src/testing/simulated-replica-set.js';
import { Topology } from '../../src/topology/topology.js';
import { InvariantViolation, SnapshotWitness } from '../support/snapshot-witness.js';
import { heapTrend, type HeapSample, type HeapTrend } from './heap-trend.js';
import { CheckHistory } from './check-history.js';
import { DriverWatch } from './driver-watch.js';
import { WriteLedger, type LedgerVerdict } from './write-ledger.js';

export interface SoakOptions {
  readonly durationMS: number;
  readonly seed: number;
  /** Concurrent selectServer callers on the waspnest Topology; default 1000. */
  readonly selectors?: number;
  /** Concurrent driver writers; default 8. */
  readonly writers?: number;
  /** Told of progress now and then. */
  readonly progress?: (line: string) => void;
}

export interface SoakReport {
  readonly durationMS: number;
  readonly seed: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly faultsTotal: number;
  readonly agreementBoundMS: number;
  /** Longest time from a fault settling in the simulator to our snapshot naming the same primary. */
  readonly maxAgreementMS: number;
  readonly selections: { readonly served: number; readonly timedOut: number; readonly justified: number };
  readonly reads: { readonly ok: number; readonly failed: number };
  /** Driver operations that their abort signal ended after DRIVER_OPERATION_BOUND_MS. */
  readonly driverOperationsAborted: number;
  readonly writes: LedgerVerdict;
  readonly snapshotsSeen: number;
  readonly heap: HeapTrend | null;
  readonly handlesLeft: readonly string[];
  readonly violations: readonly string[];
}

const MEMBERS = 5;
const HEARTBEAT_MS = 500;
const CONNECT_TIMEOUT_MS = 1000;
/**
 * Why each driver operation of the load carries an abort signal: the official driver (7.9) can
 * wait for ever when it writes a command to a pooled socket that the server has just closed (Node
 * has destroyed the socket, its 'close' event is still to come): `socket.write` returns false, the
 * driver awaits a 'drain' that never comes, and socketTimeoutMS no longer applies to a destroyed
 * socket. Kills, partitions and step-downs close sockets all the time here, so a writer would
 * hang about once in twenty one-minute soaks (it held CI until its time limit once). The signal
 * bounds each operation; an operation it ends counts as a failed write (outcome unknown).
 */
const DRIVER_OPERATION_BOUND_MS = 20_000;
const bounded = (): { signal: AbortSignal } => ({ signal: AbortSignal.timeout(DRIVER_OPERATION_BOUND_MS) });
/**
 * Why this bound: in streaming mode a member's role change reaches us with its next awaitable
 * hello reply at once. The slowest case is a member whose streaming check hung (it was partitioned,
 * then healed) and that wins the next election: the hung check gives up after connectTimeoutMS +
 * heartbeatFrequencyMS (the spec's socket timeout for an awaitable hello), the next check is paced
 * to minHeartbeatFrequencyMS after it, and it needs a new connection and handshake (at most
 * connectTimeoutMS). Plus one second for an event loop shared by the simulator, the driver and
 * 1,000 callers on a busy machine.
 */
const MIN_HEARTBEAT_MS = 500;
const AGREEMENT_BOUND_MS = CONNECT_TIMEOUT_MS + HEARTBEAT_MS + MIN_HEARTBEAT_MS + CONNECT_TIMEOUT_MS + 1000;

const SELECTION_MIX: readonly ReadPreferenceLike[] = [
  'primary',
  'secondary',
  'secondaryPreferred',
  'nearest',
  { mode: 'secondary', tags: [{ dc: 'west' }] },
  { mode: 'nearest', tags: [{ dc: 'east' }] },
];

const tagsOf = (index: number): Record<string, string> => ({ dc: index < 2 ? 'east' : 'west' });

function primaryOf(snapshot: TopologyDescription): string | undefined {
  for (const server of snapshot.servers.values())
    if (server.type === ServerType.RSPrimary) return server.address;
  return undefined;
}

function primaries(snapshot: TopologyDescription): number {
  let count = 0;
  for (const server of snapshot.servers.values()) if (server.type === ServerType.RSPrimary) count++;
  return count;
}

/** Resources that must be gone once everything is closed (timers, sockets, servers). */
function openResources(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((name) => name !== 'TTYWrap' && name !== 'PipeWrap' && name !== 'FSReqCallback');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const random = seededRandom(options.seed);
  const between = (min: number, max: number): number => min + Math.floor(random() * (max - min));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const say = options.progress ?? (() => undefined);
  const violations: string[] = [];
  const startedAt = Date.now();
  const violation = (text: string): void => {
    if (violations.length < 50) violations.push(text);
    say(`VIOLATION at ${Math.round((Date.now() - startedAt) / 1000)} s: ${text}`);
  };
  const onUnhandled = (reason: unknown): void =>
    violation(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  process.on('unhandledRejection', onUnhandled);
  const resourcesBefore = openResources();
  const elapsed = (): number => Date.now() - startedAt;

  const rs = await SimulatedReplicaSet.start({
    members: Array.from({ length: MEMBERS }, (_, index) => ({ tags: tagsOf(index) })),
  });
  const client = new MongoClient(rs.uri, {
    retryWrites: true,
    retryReads: true,
    writeConcern: { w: 'majority', wtimeoutMS: 10_000 },
    serverSelectionTimeoutMS: 10_000,
    heartbeatFrequencyMS: HEARTBEAT_MS,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    socketTimeoutMS: 10_000,
    monitorCommands: true,
  });
  const driver = new DriverWatch(client, startedAt);
  const topology = new Topology(rs.uri, {
    heartbeatFrequencyMS: HEARTBEAT_MS,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
  });
  const witness = new SnapshotWitness(topology);
  let lastVersion = -1;
  const checkSnapshot = (): void => {
    const snapshot = topology.snapshot;
    if (snapshot.version < lastVersion)
      violation(`snapshot version went back from v${lastVersion} to v${snapshot.version}`);
    lastVersion = snapshot.version;
    const count = primaries(snapshot);
    if (count > 1) violation(`snapshot v${snapshot.version} has ${count} primaries`);
  };
  topology.on('topologyDescriptionChanged', checkSnapshot);
  topology.on('serverDescriptionChanged', checkSnapshot);
  const checks = new CheckHistory(topology, rs, startedAt);

  let stopping = false;
  const collection = client.db('soak').collection<{ _id: string; count: number }>('writes');
  await client.connect();
  await topology.connect();

  // ---- load ----------------------------------------------------------------------------------
  const ledger = new WriteLedger();
  const reads = { ok: 0, failed: 0 };
  /** Driver operations ended by their signal (see DRIVER_OPERATION_BOUND_MS). */
  let driverOperationsAborted = 0;
  /** What each load task is doing now and since when: named in the report if one never ends. */
  const doing = new Map<string, { what: string; sinceMS: number }>();
  const writer = async (id: number): Promise<void> => {
    const task = `writer ${id}`;
    for (let n = 0; !stopping; n++) {
      const key = `w${id}-${n}`;
      const writeBound = bounded();
      try {
        doing.set(task, { what: `updateOne ${key}`, sinceMS: elapsed() });
        await collection.updateOne(
          { _id: key },
          { $inc: { count: 1 } },
          // The driver honours `signal` on writes too, though its types list it only for reads.
          { upsert: true, ...writeBound },
        );
        ledger.record(key, 'acknowledged');
      } catch {
        if (writeBound.signal.aborted) driverOperationsAborted++;
        ledger.record(key, 'failed');
        await sleep(50);
      }
      if (n % 4 === 0) {
        const readBound = bounded();
        try {
          doing.set(task, { what: `findOne ${key}`, sinceMS: elapsed() });
          await collection.findOne({ _id: key }, { readPreference: 'secondaryPreferred', ...readBound });
          reads.ok++;
        } catch {
          if (readBound.signal.aborted) driverOperationsAborted++;
          reads.failed++;
        }
      }
    }
    doing.delete(task);
  };
  const selections = { served: 0, timedOut: 0, justified: 0 };
  /** The snapshot version each waiting caller started from: the witness keeps only what they need. */
  const waitingFrom = new Set<{ from: number }>();
  const selector = async (id: number): Promise<void> => {
    const task = `selector ${id}`;
    while (!stopping) {
      const readPreference = pick(SELECTION_MIX);
      const from = witness.sample();
      const entry = { from };
      waitingFrom.add(entry);
      try {
        const timeoutMS = between(200, 2000);
        doing.set(task, {
          what: `selectServer(${JSON.stringify(readPreference)}, ${timeoutMS} ms) from v${from}`,
          sinceMS: elapsed(),
        });
        await topology.selectServer(readPreference, { timeoutMS });
        selections.served++;
      } catch (error) {
        if (error instanceof TopologyClosedError) return;
        if (!(error instanceof ServerSelectionError) || !error.timedOut) {
          violation(`selectServer failed unexpectedly: ${String(error)}`);
        } else {
          selections.timedOut++;
          try {
            witness.assertTimeoutJustified(readPreference, from, error.snapshotVersion ?? lastVersion, {
              heartbeatFrequencyMS: HEARTBEAT_MS,
              metricOnlyGaps: true,
            });
            selections.justified++;
          } catch (caught) {
            if (caught instanceof InvariantViolation) violation(caught.message);
            else throw caught;
          }
        }
      }
      waitingFrom.delete(entry);
      doing.set(task, { what: 'sleeping', sinceMS: elapsed() });
      await sleep(between(5, 50));
    }
    doing.delete(task);
  };
  const load = [
    ...Array.from({ length: options.writers ?? 8 }, (_, id) => writer(id)),
    ...Array.from({ length: options.selectors ?? 1000 }, (_, id) => selector(id)),
  ];

  // ---- heap samples ----------------------------------------------------------------------------
  const heap: HeapSample[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  const sampleHeap = (): void => {
    let oldest = topology.snapshot.version;
    for (const entry of waitingFrom) oldest = Math.min(oldest, entry.from);
    witness.forgetBefore(oldest);
    gc?.();
    heap.push({ atMS: elapsed(), heapUsedBytes: process.memoryUsage().heapUsed });
  };

  // ---- faults ----------------------------------------------------------------------------------
  const faults: Record<string, number> = {};
  const down = new Set<string>();
  const partitioned = new Set<string>();
  let maxAgreementMS = 0;
  const count = (name: string): void => {
    faults[name] = (faults[name] ?? 0) + 1;
  };
  /** Waits for the simulator to have a primary, then for our snapshot to name it. */
  const settle = async (): Promise<void> => {
    const primary = await rs.waitForPrimary({ timeoutMS: 10_000 });
    const since = Date.now();
    while (primaryOf(topology.snapshot) !== primary || rs.primary !== primary) {
      if (rs.primary !== primary) return; // another election under way: the next fault settles it
      if (Date.now() - since > AGREEMENT_BOUND_MS) {
        violation(
          `${Date.now() - since} ms after ${primary} was elected our snapshot v${topology.snapshot.version} still names ${primaryOf(topology.snapshot) ?? 'no primary'}${checks.explain()}`,
        );
        return;
      }
      await sleep(5);
    }
    maxAgreementMS = Math.max(maxAgreementMS, Date.now() - since);
  };
  const injectOne = async (): Promise<void> => {
    const members = rs.members;
    const out = down.size + partitioned.size;
    const primary = rs.primary;
    const roll = random();
    if (roll < 0.15 && primary !== undefined && out < 2) {
      count('stepDown');
      await rs.stepDown({ timeoutMS: 10_000 });
    } else if (roll < 0.3 && out < 2) {
      const target = primary !== undefined && random() < 0.5 ? primary : pick(members);
      if (down.has(target) || partitioned.has(target)) return;
      count('kill');
      down.add(target);
      await rs.kill(target, { reset: random() < 0.5 });
    } else if (roll < 0.45 && down.size > 0) {
      const target = pick([...down]);
      count('restart');
      down.delete(target);
      await rs.restart(target);
    } else if (roll < 0.6 && out < 2) {
      const target = primary !== undefined && random() < 0.5 ? primary : pick(members);
      if (down.has(target) || partitioned.has(target)) return;
      count('partition');
      partitioned.add(target);
      rs.partition(target);
    } else if (roll < 0.75 && partitioned.size > 0) {
      const target = pick([...partitioned]);
      count('heal');
      partitioned.delete(target);
      rs.heal(target);
    } else if (roll < 0.87) {
      const target = pick(members);
      if (down.has(target)) return;
      count('latency');
      rs.setLatency(target, random() < 0.5 ? 0 : between(1, 30));
    } else {
      const target = pick(members);
      if (down.has(target)) return;
      count('garbageFrame');
      rs.fault(target, { kind: 'garbage', times: 1, commands: [pick(['hello', 'update', 'find'])] });
    }
  };

  let nextReport = 10_000;
  while (elapsed() < options.durationMS) {
    await injectOne();
    await settle();
    if (heap.length === 0 || elapsed() - (heap.at(-1)?.atMS ?? 0) >= 5000) sampleHeap();
    if (elapsed() >= nextReport) {
      nextReport += 10_000;
      const total = Object.values(faults).reduce((a, b) => a + b, 0);
      say(
        `${Math.round(elapsed() / 1000)} s: ${total} faults, ${ledger.size} writes, ${selections.served} selections served, ${selections.timedOut} timed out, ${violations.length} violations`,
      );
    }
    await sleep(between(100, 500));
  }

  // ---- end: heal everything, stop the load, verify ---------------------------------------------
  say('healing every member');
  for (const address of partitioned) rs.heal(address);
  for (const address of down) await rs.restart(address);
  for (const address of rs.members) rs.setLatency(address, 0);
  await rs.clearFaults();
  await settle();
  say('stopping the load');
  stopping = true;
  // Every operation of the load is bounded (20 s for the driver's, by their signal; 2 s for selectServer):
  // a task still busy long after that is a hang, reported with what it was doing.
  const stopBoundMS = 30_000;
  let stopTimer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    Promise.all(load).then(() => true),
    new Promise<boolean>((resolve) => {
      stopTimer = setTimeout(() => resolve(false), stopBoundMS);
    }),
  ]);
  clearTimeout(stopTimer);
  if (!stopped) {
    const stuck = [...doing].map(
      ([task, d]) =>
        `${task}: ${d.what} since ${(d.sinceMS / 1000).toFixed(1)} s; driver: ${driver.commandsFor(d.what.split(' ')[1] ?? '')}`,
    );
    say(`driver connections checked out: ${driver.heldConnections()}`);
    violation(
      `${stuck.length} load tasks still busy ${stopBoundMS / 1000} s after the stop: ${stuck.slice(0, 10).join('; ')}; check-outs waiting: ${driver.waitingCheckOuts()}`,
    );
  }
  sampleHeap();
  say('verifying the writes');

  const found = new Map<string, number>();
  const verifier = new MongoClient(rs.uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    for await (const doc of verifier
      .db('soak')
      .collection<{ _id: string; count: number }>('writes')
      .find({}, { readConcern: { level: 'majority' } })) {
      found.set(doc._id, doc.count);
    }
  } finally {
    await verifier.close();
  }
  const writes = ledger.verify(found);
  if (writes.lost.length > 0)
    violation(`${writes.lost.length} acknowledged writes lost: ${writes.lost.slice(0, 5).join(', ')}`);
  if (writes.duplicated.length > 0)
    violation(
      `${writes.duplicated.length} writes applied twice: ${writes.duplicated.slice(0, 5).join(', ')}`,
    );
  if (writes.unexpected.length > 0) violation(`${writes.unexpected.length} documents nobody wrote`);

  say('closing');
  witness.stop();
  await topology.close();
  await client.close();
  await rs.close();
  // Closed sockets and cancelled timers leave on the next turns of the event loop.
  await new Promise((resolve) => setImmediate(resolve));
  await sleep(50);
  const left = openResources();
  const handlesLeft = [...left];
  for (const name of resourcesBefore) {
    const index = handlesLeft.indexOf(name);
    if (index >= 0) handlesLeft.splice(index, 1);
  }
  if (handlesLeft.length > 0) violation(`left open after close(): ${handlesLeft.join(', ')}`);
  process.off('unhandledRejection', onUnhandled);

  const faultsTotal = Object.values(faults).reduce((a, b) => a + b, 0);
  return {
    durationMS: elapsed(),
    seed: options.seed,
    faults,
    faultsTotal,
    agreementBoundMS: AGREEMENT_BOUND_MS,
    maxAgreementMS,
    selections,
    reads,
    driverOperationsAborted,
    writes,
    snapshotsSeen: witness.seen,
    heap: heapTrend(heap, Math.min(60_000, options.durationMS / 5)),
    handlesLeft,
    violations,
  };
}
