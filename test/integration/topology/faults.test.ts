/**
 * Our Topology (real socket monitors, streaming and polling) against every fault the simulated
 * replica set can inject, on a secondary and on the primary, plus kill/restart and
 * partition/heal. For each: the member becomes Unknown with an error that names the cause, the
 * rest of the set stays usable (a lost primary is noticed, and found again once the simulator
 * elects one or the fault is cleared), the member comes back as what it is once the fault is
 * cleared, and close() leaves no socket or timer of ours behind.
 *
 * Synchronised on topology and simulator events only: no sleeps, no timing assertions. The
 * monitors run on virtual clocks (see MonitorClocks) whose time passes only while nothing real is
 * awaited: a healthy member's check cannot time out on a loaded machine, and a hung member's
 * deadline passes at once instead of after real seconds.
 */
import { describe, expect, it } from 'vitest';
import type { ServerDescription } from '../../../src/description/types.js';
import {
  MalformedReplyError,
  NetworkError,
  NetworkTimeoutError,
  TopologyClosedError,
  WireProtocolError,
} from '../../../src/errors.js';
import type { PoolClearedEvent, PrimaryChangedEvent } from '../../../src/events/events.js';
import type { ServerMonitoringMode } from '../../../src/monitor/server-monitor-types.js';
import type { FaultHandle, FaultSpec } from '../../../src/testing/faults.js';
import { SimulatedReplicaSet } from '../../../src/testing/simulated-replica-set.js';
import { Topology } from '../../../src/topology/topology.js';
import {
  connectionTracker,
  countingClock,
  fullyDiscovered,
  nextEvent,
  until,
  type CountingClock,
} from './helpers.js';
import { closeAfterTest } from './close-after-test.js';
import { MonitorClocks } from './monitor-clocks.js';

/** Virtual for the monitors, except that the simulator holds an awaitable hello this long (real). */
const HEARTBEAT_MS = 100;
/** Virtual: it passes only for a check the test made unanswerable. */
const CONNECT_TIMEOUT_MS = 10_000;

type ErrorClass = typeof NetworkError | typeof MalformedReplyError;

/** How a fault shows: the error class and message of the first failed check. */
interface Expected {
  readonly type: ErrorClass;
  readonly message: RegExp;
}

interface ReplyFault {
  readonly name: string;
  readonly specs: readonly FaultSpec[];
  /** The first failed check after the fault was injected. */
  readonly first: Expected;
  /** The error the server settles on while the fault lasts, when not the first one. */
  readonly settled?: Expected;
  /** A timeout: the pool is cleared with interruptInUseConnections (server monitoring spec). */
  readonly timeout: boolean;
  /** The reply begins but never ends: its deadline may pass only once its first bytes are in. */
  readonly partial?: true;
}

const networkTimeout: Expected = { type: NetworkTimeoutError, message: /timed out after \d+ ms/ };

const replyFaults: readonly ReplyFault[] = [
  {
    name: 'reset',
    specs: [{ kind: 'reset', commands: ['hello'] }],
    first: { type: NetworkError, message: /ECONNRESET/ },
    timeout: false,
  },
  {
    // Refusing affects new connections only: the open ones are reset, so that the monitor
    // has to reconnect.
    name: 'refuse',
    specs: [{ kind: 'reset' }, { kind: 'refuse' }],
    first: { type: NetworkError, message: /ECONNRESET|ECONNREFUSED/ },
    settled: { type: NetworkError, message: /ECONNREFUSED/ },
    timeout: false,
  },
  { name: 'hang', specs: [{ kind: 'hang', commands: ['hello'] }], first: networkTimeout, timeout: true },
  {
    name: 'slow',
    // Slower than any deadline of the monitor: it gives up waiting.
    specs: [{ kind: 'slow', commands: ['hello'], delayMS: 60_000 }],
    first: networkTimeout,
    timeout: true,
  },
  {
    name: 'truncatedFrame',
    specs: [{ kind: 'truncatedFrame', commands: ['hello'] }],
    first: { type: WireProtocolError, message: /closed the connection in the middle of a message/ },
    timeout: false,
  },
  {
    name: 'wrongLength',
    specs: [{ kind: 'wrongLength', commands: ['hello'] }],
    first: { type: WireProtocolError, message: /message length 12 is smaller than the 16-byte header/ },
    timeout: false,
  },
  {
    name: 'garbage',
    specs: [{ kind: 'garbage', commands: ['hello'] }],
    first: { type: WireProtocolError, message: /invalid message from .*message length \d+ exceeds/ },
    timeout: false,
  },
  {
    name: 'malformedHello',
    specs: [{ kind: 'malformedHello' }],
    first: { type: MalformedReplyError, message: /Malformed hello reply from .*"(hosts|setVersion)"/ },
    timeout: false,
  },
];

/** Variants of the same faults whose bytes fool the framing for longer. */
const subtlerReplyFaults: readonly ReplyFault[] = [
  {
    // Longer than the reply, within maxMessageSizeBytes: the rest never comes.
    name: 'wrongLength (too long)',
    specs: [{ kind: 'wrongLength', commands: ['hello'], length: 1_000_000 }],
    first: {
      type: NetworkTimeoutError,
      message: /timed out after \d+ ms \(\d+ bytes of an incomplete message received\)/,
    },
    timeout: true,
    partial: true,
  },
  {
    // A well-framed message with an opCode nobody speaks.
    name: 'garbage (a valid frame)',
    specs: [{ kind: 'garbage', commands: ['hello'], bytes: unknownOpCodeFrame() }],
    first: { type: WireProtocolError, message: /invalid message from .*unknown opCode 9999/ },
    timeout: false,
  },
];

function unknownOpCodeFrame(): Uint8Array {
  const frame = Buffer.alloc(26);
  frame.writeInt32LE(frame.length, 0); // messageLength
  frame.writeInt32LE(1, 4); // requestID
  frame.writeInt32LE(0, 8); // responseTo
  frame.writeInt32LE(9999, 12); // opCode
  return frame;
}

const modes: readonly ServerMonitoringMode[] = ['stream', 'poll'];

// ---- harness --------------------------------------------------------------------------------

interface Harness {
  readonly rs: SimulatedReplicaSet;
  readonly topology: Topology;
  /** The topology's own (real) clock. */
  readonly clock: CountingClock;
  /** The monitors' virtual clocks. */
  readonly monitorClocks: MonitorClocks;
  readonly connections: ReturnType<typeof connectionTracker>;
  /** TCP handles (sockets, listeners) of the process before the topology existed. */
  readonly handlesBefore: readonly string[];
  readonly poolCleared: PoolClearedEvent[];
  readonly primaryChanged: PrimaryChangedEvent[];
  /** Listener errors and process warnings: a monitor or a listener threw somewhere. */
  readonly problems: unknown[];
}

/** TCP sockets and listeners keeping the process alive (ours are unref'd: see the connection tracker). */
function tcpHandles(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap')
    .sort();
}

/**
 * A replica set and a connected topology over it. `before` runs before the topology exists (to
 * fault a member from the start); without it, setUp waits until every member is known.
 */
async function setUp(
  mode: ServerMonitoringMode,
  before?: (rs: SimulatedReplicaSet, monitorClocks: MonitorClocks) => void,
): Promise<Harness> {
  const rs = await SimulatedReplicaSet.start({ members: 3 });
  closeAfterTest(() => rs.close());
  // Every connection the topology opens is seen by the simulator: when each one is closed, no
  // socket of ours is left (our sockets are unref'd, so the process's handle list cannot show them).
  const connections = connectionTracker(rs);
  const handlesBefore = tcpHandles();
  const monitorClocks = new MonitorClocks();
  closeAfterTest(async () => monitorClocks.stop());
  before?.(rs, monitorClocks);
  const clock = countingClock();
  const topology = new Topology(rs.uri, {
    clock,
    monitorFactory: monitorClocks.monitorFactory,
    serverMonitoringMode: mode,
    heartbeatFrequencyMS: HEARTBEAT_MS,
    minHeartbeatFrequencyMS: 100,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    serverSelectionTimeoutMS: 20_000,
  });
  closeAfterTest(() => topology.close());
  monitorClocks.watch(topology);
  const problems: unknown[] = [];
  const onWarning = (warning: Error): void => {
    if (warning.name !== 'ExperimentalWarning' && warning.name !== 'DeprecationWarning')
      problems.push(warning);
  };
  process.on('warning', onWarning);
  closeAfterTest(async () => {
    process.off('warning', onWarning);
  });
  const poolCleared: PoolClearedEvent[] = [];
  const primaryChanged: PrimaryChangedEvent[] = [];
  topology.on('poolCleared', (e) => poolCleared.push(e));
  topology.on('primaryChanged', (e) => primaryChanged.push(e));
  topology.on('listenerError', (e) => problems.push(e.error));
  await topology.connect();
  if (before === undefined) await until(topology, fullyDiscovered(rs.members));
  return {
    rs,
    topology,
    clock,
    monitorClocks,
    connections,
    handlesBefore,
    poolCleared,
    primaryChanged,
    problems,
  };
}

/** Resolves with the first description of `address` (current or later) for which `predicate` holds. */
async function untilServer(
  topology: Topology,
  address: string,
  predicate: (server: ServerDescription) => boolean,
): Promise<ServerDescription> {
  const snapshot = await until(topology, (s) => {
    const server = s.servers.get(address);
    return server !== undefined && predicate(server);
  });
  return snapshot.servers.get(address) as ServerDescription;
}

const failing = (server: ServerDescription): boolean => server.type === 'Unknown' && server.error !== null;

const failingWith =
  (expected: Expected) =>
  (server: ServerDescription): boolean =>
    failing(server) &&
    server.error?.name === expected.type.name &&
    expected.message.test(server.error.message);

/** In streaming mode: resolves once an awaitable hello of `address` is in flight. */
async function streamingTo(topology: Topology, address: string): Promise<void> {
  await nextEvent(topology, 'serverHeartbeatStarted', (e) => e.address === address && e.awaited);
}

/** The first failed check of `address` from now on, and the description it produced. */
function nextFailure(topology: Topology, address: string): Promise<[Error, ServerDescription]> {
  const beat = nextEvent(topology, 'serverHeartbeatFailed', (e) => e.address === address);
  const described = untilServer(topology, address, failing);
  return Promise.all([beat.then((e) => e.failure), described]);
}

/** The failure is of the expected class, says what went wrong and names the server. */
function expectError(failure: Error, description: ServerDescription, expected: Expected): void {
  expect(failure).toBeInstanceOf(expected.type);
  expect(failure.message).toMatch(expected.message);
  expect(failure.message).toContain(description.address);
  expect(description.type).toBe('Unknown');
  expect(description.error).toMatchObject({
    name: expected.type.name,
    message: expect.stringMatching(expected.message),
  });
}

/** A failed check clears the pool once (a timeout also interrupts the connections in use). */
function expectPoolClearedOnce(h: Harness, address: string, timeout: boolean): void {
  const cleared = h.poolCleared.filter((e) => e.address === address);
  expect(cleared).toHaveLength(1);
  expect(cleared[0]?.interruptInUseConnections).toBe(timeout);
}

/** Every member known as what the simulator says it is, and the primary selectable. */
async function expectWholeSet(h: Harness): Promise<void> {
  const { rs, topology } = h;
  const snapshot = await until(topology, fullyDiscovered(rs.members));
  for (const member of rs.members) {
    expect(snapshot.servers.get(member)?.type).toBe(member === rs.primary ? 'RSPrimary' : 'RSSecondary');
    expect(snapshot.servers.get(member)?.error).toBeNull();
  }
  expect(topology.selectServerNow('primary')?.address).toBe(rs.primary);
}

/** Selections that must avoid `address` while it is Unknown. */
function expectAvoided(topology: Topology, address: string): void {
  for (let i = 0; i < 20; i++) expect(topology.selectServerNow('nearest')?.address).not.toBe(address);
}

async function clear(handles: readonly FaultHandle[]): Promise<void> {
  await Promise.all(handles.map((handle) => handle.clear()));
}

/**
 * close(): the topology's timers are gone at once, and every connection it opened gets closed.
 * `faults` still in force are cleared only afterwards (a `refuse` fault closes a listener, which
 * the handle comparison would otherwise count).
 */
async function closeCleanly(h: Harness, faults: readonly FaultHandle[] = []): Promise<void> {
  const { topology } = h;
  const closed = nextEvent(topology, 'topologyClosed');
  await topology.close();
  await closed;
  expect(topology.state).toBe('closed');
  expect(h.clock.pending).toBe(0);
  expect(h.monitorClocks.pendingTimers).toBe(0);
  await h.connections.allClosed();
  expect(h.connections.open).toBe(0);
  await clear(faults);
  expect(tcpHandles()).toEqual(h.handlesBefore);
  expect(h.problems).toEqual([]);
}

/** A harness, and the member a test faults. */
interface Scene extends Harness {
  /** The primary when the test began. */
  readonly primary: string;
  /** The member the test faults: the primary, or the first secondary. */
  readonly target: string;
  /** The second secondary, which no test faults. */
  readonly other: string;
}

/**
 * setUp, and the member the test is about to fault. In streaming mode, resolves once an awaitable
 * hello of that member is in flight, so that the fault meets the streaming protocol.
 */
async function setUpTargeting(mode: ServerMonitoringMode, role: 'primary' | 'secondary'): Promise<Scene> {
  const h = await setUp(mode);
  const primary = h.rs.primary as string;
  const [secondary, other] = h.rs.secondaries as [string, string];
  const target = role === 'primary' ? primary : secondary;
  if (mode === 'stream') await streamingTo(h.topology, target);
  return { ...h, primary, target, other };
}

/**
 * The reply fault `c` on the target, in force until its handles are cleared with
 * {@link clearReplyFault}. A fault that leaves checks unanswered lets their deadlines pass.
 */
function replyFault(s: Scene, c: ReplyFault): FaultHandle[] {
  if (c.timeout && !c.partial) s.monitorClocks.silence(s.target);
  const handles = c.specs.map((spec) => s.rs.fault(s.target, spec));
  if (c.partial)
    void handles[0]?.triggered.then(bytesDelivered).then(() => s.monitorClocks.silence(s.target));
  return handles;
}

/**
 * Resolves once bytes the simulator wrote during this turn of the event loop have been read by
 * our sockets: on loopback they are in the peer's receive queue when write() returns, and the
 * next turn's poll phase reads them.
 */
async function bytesDelivered(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Clears a reply fault: the target answers checks started from now on. */
async function clearReplyFault(s: Scene, handles: readonly FaultHandle[]): Promise<void> {
  await clear(handles);
  s.monitorClocks.answering(s.target);
}

/**
 * Runs `inject` (a fault on the target), and checks the first failed check of the target that
 * follows against `expected`. Resolves with what `inject` returned and that check's error.
 */
async function injectFailure<T>(
  s: Scene,
  inject: () => T | Promise<T>,
  expected: Expected,
): Promise<[injected: T, error: Error]> {
  const failure = nextFailure(s.topology, s.target);
  const injected = await inject();
  const [error, failed] = await failure;
  expectError(error, failed, expected);
  return [injected, error];
}

/** Faults the primary's replies with `c`: its first check fails as expected and the primary is lost. */
async function losePrimary(s: Scene, c: ReplyFault): Promise<FaultHandle[]> {
  const lost = nextEvent(s.topology, 'primaryChanged', (e) => e.previous === s.primary);
  const [handles] = await injectFailure(s, () => replyFault(s, c), c.first);
  expect(await lost).toMatchObject({ previous: s.primary, current: null });
  return handles;
}

/**
 * Runs `inject` (a fault that takes the primary away) and waits until the topology loses the
 * primary; a selection waiting meanwhile gets the one the set elects, and the old one is never
 * primary again. Resolves with the new primary.
 */
async function electedAfter(s: Scene, inject: () => unknown): Promise<string> {
  const { rs, topology, primary: oldPrimary } = s;
  const since = s.primaryChanged.length;
  const lost = nextEvent(topology, 'primaryChanged', (e) => e.previous === oldPrimary);
  await inject();
  await lost;
  const selected = await topology.selectServer('primary');
  const newPrimary = await rs.waitForPrimary();
  expect(newPrimary).not.toBe(oldPrimary);
  expect(selected.address).toBe(newPrimary);
  expect(s.primaryChanged.slice(since).some((e) => e.current === oldPrimary)).toBe(false);
  return newPrimary;
}

/** With a secondary faulted: the primary and the other secondary serve, and selection avoids the target. */
async function expectOthersServe(s: Scene): Promise<void> {
  expect(s.topology.selectServerNow('primary')?.address).toBe(s.primary);
  expect((await s.topology.selectServer('secondary')).address).toBe(s.other);
  expectAvoided(s.topology, s.target);
}

/** `address` is back as a healthy secondary, and the whole set is as the simulator says. */
async function expectBackAsSecondary(h: Harness, address: string): Promise<void> {
  await untilServer(h.topology, address, (s) => s.type === 'RSSecondary' && s.error === null);
  await expectWholeSet(h);
}

// ---- the faults -------------------------------------------------------------------------------

describe.each(modes)('Topology with %s monitoring', (mode) => {
  describe('a fault on the replies of a secondary', () => {
    it.each([...replyFaults, ...subtlerReplyFaults])(
      '$name: Unknown with a clear error, the rest usable, then recovered',
      async (c) => {
        const h = await setUpTargeting(mode, 'secondary');
        const { topology, primary, target } = h;

        const [handles] = await injectFailure(h, () => replyFault(h, c), c.first);
        expectPoolClearedOnce(h, target, c.timeout);
        if (c.settled) await untilServer(topology, target, failingWith(c.settled));

        // The rest of the set serves as before.
        expect(topology.snapshot.type).toBe('ReplicaSetWithPrimary');
        await expectOthersServe(h);
        expect(h.primaryChanged.filter((e) => e.previous === primary)).toEqual([]);

        await clearReplyFault(h, handles);
        const recovered = await untilServer(topology, target, (s) => s.type === 'RSSecondary');
        expect(recovered.error).toBeNull();
        await expectWholeSet(h);
        if (mode === 'stream') await streamingTo(topology, target); // back on the streaming protocol
        await closeCleanly(h);
      },
    );
  });

  describe('a fault on the replies of the primary, then cleared', () => {
    it.each(replyFaults)('$name: the primary is lost, waiters get it back when it recovers', async (c) => {
      const h = await setUpTargeting(mode, 'primary');
      const { rs, topology, primary } = h;

      const handles = await losePrimary(h, c);
      expectPoolClearedOnce(h, primary, c.timeout);
      if (c.settled) await untilServer(topology, primary, failingWith(c.settled));

      // No primary while the fault lasts; the secondaries still serve reads.
      expect(topology.isWritable()).toBe(false);
      expect(topology.selectServerNow('primary')).toBeUndefined();
      expect(rs.secondaries).toContain((await topology.selectServer('secondary')).address);
      expectAvoided(topology, primary);

      const waiting = topology.selectServer('primary');
      const found = nextEvent(topology, 'primaryChanged', (e) => e.current !== null);
      await clearReplyFault(h, handles);
      expect((await waiting).address).toBe(primary);
      expect(await found).toMatchObject({ previous: null, current: primary });
      expect(rs.primary).toBe(primary); // nothing was elected: the same primary came back
      expect(topology.isWritable()).toBe(true);
      await expectWholeSet(h);
      await closeCleanly(h);
    });
  });

  describe('a fault on the replies of the primary, and an election', () => {
    it.each(replyFaults)(
      '$name: waiters get the new primary; the old one returns as a secondary',
      async (c) => {
        const h = await setUpTargeting(mode, 'primary');
        const { rs, topology, primary: oldPrimary } = h;

        const handles = await losePrimary(h, c);

        const waiting = topology.selectServer('primary');
        const found = nextEvent(topology, 'primaryChanged', (e) => e.current !== null);
        const newPrimary = await rs.stepDown();
        expect(newPrimary).not.toBe(oldPrimary);
        expect((await waiting).address).toBe(newPrimary);
        expect(await found).toMatchObject({ previous: null, current: newPrimary });
        expect(topology.snapshot.servers.get(oldPrimary)?.type).not.toBe('RSPrimary');

        await clearReplyFault(h, handles);
        await untilServer(topology, oldPrimary, (s) => s.type === 'RSSecondary');
        await expectWholeSet(h);
        expect(topology.selectServerNow('primary')?.address).toBe(newPrimary);
        await closeCleanly(h);
      },
    );
  });

  describe('kill and restart', () => {
    it.each([
      ['closed (FIN)', false],
      ['reset (RST)', true],
    ])('a killed secondary, its connections %s, is refused, then back', async (_how, reset) => {
      const h = await setUpTargeting(mode, 'secondary');
      const { rs, topology, primary, target } = h;

      // The open connection closed or was reset; a new one is refused.
      const [, error] = await injectFailure(h, () => rs.kill(target, { reset }), {
        type: NetworkError,
        message: /closed by the server|ECONNRESET|ECONNREFUSED/,
      });
      expect(error).not.toBeInstanceOf(WireProtocolError);
      expectPoolClearedOnce(h, target, false);
      await untilServer(topology, target, failingWith({ type: NetworkError, message: /ECONNREFUSED/ }));

      await expectOthersServe(h);

      await rs.restart(target);
      await expectBackAsSecondary(h, target);
      expect(rs.primary).toBe(primary);
      await closeCleanly(h);
    });

    it.each([
      ['closed (FIN)', false],
      ['reset (RST)', true],
    ])('a killed primary, its connections %s: the elected one is found', async (_how, reset) => {
      const h = await setUpTargeting(mode, 'primary');
      const { rs, topology, primary: oldPrimary } = h;

      const newPrimary = await electedAfter(h, () => rs.kill(oldPrimary, { reset }));
      expect(h.primaryChanged.at(-1)).toMatchObject({ current: newPrimary });
      // Whatever marked it Unknown first (its monitor, or the new primary's election id), its
      // monitor settles on the cause.
      await untilServer(topology, oldPrimary, failingWith({ type: NetworkError, message: /ECONNREFUSED/ }));

      await rs.restart(oldPrimary);
      // A restarted mongod comes back as a secondary.
      await expectBackAsSecondary(h, oldPrimary);
      expect(topology.selectServerNow('primary')?.address).toBe(newPrimary);
      await closeCleanly(h);
    });
  });

  describe('partition and heal', () => {
    it('a partitioned secondary (connected, never answering) times out, then is back', async () => {
      const h = await setUpTargeting(mode, 'secondary');
      const { rs, target } = h;

      h.monitorClocks.silence(target);
      await injectFailure(h, () => rs.partition(target), networkTimeout);
      expectPoolClearedOnce(h, target, true);

      await expectOthersServe(h);

      rs.heal(target);
      h.monitorClocks.answering(target);
      await expectBackAsSecondary(h, target);
      await closeCleanly(h);
    });

    it('a partitioned primary times out; the elected one is found; healed, it is a secondary', async () => {
      const h = await setUpTargeting(mode, 'primary');
      const { rs, topology, primary: oldPrimary } = h;

      h.monitorClocks.silence(oldPrimary);
      const newPrimary = await electedAfter(h, () => rs.partition(oldPrimary));
      await untilServer(topology, oldPrimary, failingWith(networkTimeout));

      rs.heal(oldPrimary);
      h.monitorClocks.answering(oldPrimary);
      await expectBackAsSecondary(h, oldPrimary);
      expect(topology.selectServerNow('primary')?.address).toBe(newPrimary);
      await closeCleanly(h);
    });
  });
});

describe('a one-off fault (times: 1) on a polled secondary', () => {
  // Polling only: in streaming mode the RTT pinger's hello could take the one hit instead.
  const oneOff = replyFaults.filter((c) => c.name !== 'refuse');
  it.each(oneOff)('$name: Unknown once, then recovered by the monitor alone', async (c) => {
    const h = await setUpTargeting('poll', 'secondary');
    const { rs, target } = h;
    const [spec] = c.specs as [Exclude<FaultSpec, { kind: 'refuse' }>];
    if (c.timeout) h.monitorClocks.silence(target);
    const [handle] = await injectFailure(h, () => rs.fault(target, { ...spec, times: 1 }), c.first);
    await handle.exhausted;
    h.monitorClocks.answering(target); // the check it hit stays unanswered (and times out)
    expect(handle.active).toBe(false);
    await expectBackAsSecondary(h, target);
    await closeCleanly(h);
  });
});

describe.each(modes)('Topology with %s monitoring, a member faulty from the start', (mode) => {
  // The first check of the member is a new connection's handshake: the fault hits it there.
  const phases: Record<string, string> = { refuse: 'connect' };
  it.each(replyFaults)('$name: connect() succeeds, the member is Unknown until cleared', async (c) => {
    let target = '';
    let handles: FaultHandle[] = [];
    // A refused member has no connection to reset: the refusal alone applies.
    const specs = c.name === 'refuse' ? c.specs.filter((spec) => spec.kind === 'refuse') : c.specs;
    const h = await setUp(mode, (rs, monitorClocks) => {
      target = rs.secondaries[0] as string;
      if (c.timeout) monitorClocks.silence(target);
      handles = specs.map((spec) => rs.fault(target, spec));
    });
    const { rs, topology } = h;
    const expected = c.settled ?? c.first;
    const failed = await untilServer(topology, target, failingWith(expected));
    expect(failed.error?.message).toContain(target);
    const beat = await nextEvent(topology, 'serverHeartbeatFailed', (e) => e.address === target);
    expect(beat.failure).toBeInstanceOf(expected.type);
    expect(beat.phase).toBe(phases[c.name] ?? 'handshake');
    // The rest of the set was discovered meanwhile.
    const others = rs.members.filter((m) => m !== target);
    await until(topology, (s) =>
      others.every((m) => s.servers.get(m)?.error === null && s.servers.get(m)?.type !== 'Unknown'),
    );
    expect(topology.selectServerNow('primary')?.address).toBe(rs.primary);
    expect(h.poolCleared.filter((e) => e.address === target)).toEqual([]); // it never had a pool to clear

    await clear(handles);
    h.monitorClocks.answering(target);
    await expectBackAsSecondary(h, target);
    await closeCleanly(h);
  });
});

describe.each(modes)('Topology with %s monitoring, closed during a fault', (mode) => {
  it.each(replyFaults)('$name: close() leaves no socket or timer behind', async (c) => {
    const h = await setUpTargeting(mode, 'primary');
    const { topology, target } = h;
    const failure = nextFailure(topology, target);
    const handles = replyFault(h, c);
    await failure;
    // The monitor is trying again now (a new connection, a hung handshake, or a wait): close anyway.
    await nextEvent(topology, 'serverHeartbeatStarted', (e) => e.address === target);
    const waiting = expect(topology.selectServer('primary')).rejects.toThrow(TopologyClosedError);
    await closeCleanly(h, handles);
    await waiting;
  });
});
