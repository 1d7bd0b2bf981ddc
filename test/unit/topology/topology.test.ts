import { describe, expect, it, vi } from 'vitest';
import {
  NetworkError,
  NetworkTimeoutError,
  ServerReplyError,
  ServerSelectionError,
  TopologyClosedError,
} from '../../../src/errors.js';
import type {
  PoolClearedEvent,
  PrimaryChangedEvent,
  ServerHeartbeatSucceededEvent,
} from '../../../src/events/events.js';
import { A, B, C, flush, members, primaryHello, recordEvents, scripted, secondaryHello } from './scripted.js';

describe('Topology discovery and events', () => {
  it('opens with topologyOpening, then the seeds, each with a monitor that checks at once', () => {
    const t = scripted();
    const events = recordEvents(t);
    expect(t.topology.state).toBe('idle');
    expect(t.monitored).toEqual([]);
    t.start();
    expect(t.topology.state).toBe('open');
    const names = events.map(([name]) => name);
    expect(names[0]).toBe('topologyOpening');
    expect(names.filter((n) => n === 'serverOpening')).toHaveLength(3);
    expect(names.indexOf('topologyDescriptionChanged')).toBeGreaterThan(0);
    // Every serverOpening precedes the heartbeats of that server.
    for (const address of members) {
      const opening = events.findIndex(
        ([n, p]) => n === 'serverOpening' && (p as { address: string }).address === address,
      );
      const started = events.findIndex(
        ([n, p]) => n === 'serverHeartbeatStarted' && (p as { address: string }).address === address,
      );
      expect(opening).toBeGreaterThanOrEqual(0);
      expect(started).toBeGreaterThan(opening);
    }
    expect(t.monitored.sort()).toEqual(members);
    for (const address of members) expect(t.stats(address)).toMatchObject({ checks: 1, checking: true });
  });

  it('a primary reply swaps in a new snapshot and emits the events in order, with the driver payloads', () => {
    const t = scripted().start();
    const events = recordEvents(t);
    const before = t.topology.snapshot;
    t.advance(250);
    t.reply(A, primaryHello(), { rttMS: 4 });
    const after = t.topology.snapshot;
    expect(after).not.toBe(before);
    expect(after.version).toBe(before.version + 1);
    expect(after.type).toBe('ReplicaSetWithPrimary');
    expect(events.map(([name]) => name)).toEqual([
      'serverHeartbeatSucceeded',
      'serverDescriptionChanged',
      'topologyDescriptionChanged',
      'primaryChanged',
      'writableChanged',
      'readableChanged',
    ]);
    const succeeded = events[0]?.[1] as ServerHeartbeatSucceededEvent;
    expect(succeeded).toMatchObject({
      topologyId: t.topology.topologyId,
      address: A,
      duration: 4,
      awaited: false,
    });
    expect(succeeded.connectionId).toEqual(expect.any(String));
    expect(succeeded.reply['isWritablePrimary']).toBe(true);
    expect(events[1]?.[1]).toMatchObject({
      address: A,
      previousDescription: { type: 'Unknown' },
      newDescription: { type: 'RSPrimary' },
    });
    expect(events[2]?.[1]).toMatchObject({ previousDescription: before, newDescription: after });
    expect(events[3]?.[1]).toEqual({
      topologyId: t.topology.topologyId,
      previous: null,
      current: A,
      durationMS: 250,
      snapshot: after,
    } satisfies PrimaryChangedEvent);
    expect(events[4]?.[1]).toMatchObject({ writable: true, snapshot: after });
    expect(events[5]?.[1]).toMatchObject({ readable: true });
    expect(t.topology.isWritable()).toBe(true);
    expect(t.topology.isReadable()).toBe(true);
    expect(t.topology.isReadable('secondary')).toBe(false);
  });

  it('a reply whose (=) fields are unchanged replaces the description and emits no SDAM event', () => {
    const t = scripted().start();
    // Two samples: the RTT average and minimum are settled.
    t.reply(A, primaryHello(), { rttMS: 4 });
    t.reply(A, primaryHello(), { rttMS: 4 });
    t.reply(B, secondaryHello());
    const snapshot = t.topology.snapshot;
    const events = recordEvents(t);
    t.advance(700);
    t.reply(A, primaryHello(), { rttMS: 9 });
    const next = t.topology.snapshot;
    expect(next).not.toBe(snapshot);
    expect(next.version).toBe(snapshot.version + 1);
    // The checked server's description is current (the average moves by 0.2 of the 5 ms step).
    expect(next.servers.get(A)?.roundTripTime).toBe(5);
    expect(next.servers.get(A)?.lastUpdateTime).toBe(snapshot.servers.get(A)!.lastUpdateTime + 700);
    // Shared: the other server's description; the topology's fields are as they were.
    expect(next.servers.get(B)).toBe(snapshot.servers.get(B));
    expect(next).toMatchObject({ type: snapshot.type, setName: snapshot.setName, compatible: true });
    expect(events.map(([name]) => name)).toEqual(['serverHeartbeatStarted', 'serverHeartbeatSucceeded']);
    expect(t.topology.isWritable()).toBe(true);
  });

  it('primaryChanged reports a loss with durationMS null, and the next primary with the time without one', () => {
    const t = scripted().start();
    t.reply(A, primaryHello(1));
    t.reply(B, secondaryHello());
    const changes: PrimaryChangedEvent[] = [];
    t.topology.on('primaryChanged', (e) => changes.push(e));
    t.fail(A, new NetworkError('connection reset'));
    expect(t.topology.isWritable()).toBe(false);
    t.advance(1200);
    t.reply(B, primaryHello(2));
    expect(changes.map(({ previous, current, durationMS }) => ({ previous, current, durationMS }))).toEqual([
      { previous: A, current: null, durationMS: null },
      { previous: null, current: B, durationMS: 1200 },
    ]);
  });

  it('a direct switch of primary has durationMS 0', () => {
    const t = scripted().start();
    t.reply(A, primaryHello(1));
    const changes: PrimaryChangedEvent[] = [];
    t.topology.on('primaryChanged', (e) => changes.push(e));
    t.reply(B, primaryHello(2));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ previous: A, current: B, durationMS: 0 });
    expect(t.topology.snapshot.servers.get(A)?.type).toBe('Unknown');
  });

  it('monitors follow the member list: new members get one, removed members lose theirs', () => {
    const t = scripted({}, 'mongodb://a/?replicaSet=rs0').start();
    const events = recordEvents(t);
    expect(t.monitored).toEqual([A]);
    t.reply(A, primaryHello(1));
    expect(t.monitored.sort()).toEqual(members);
    expect(
      events
        .filter(([n]) => n === 'serverOpening')
        .map(([, p]) => (p as { address: string }).address)
        .sort(),
    ).toEqual([B, C]);
    t.reply(A, primaryHello(1, { hosts: [A, B] }));
    expect(t.monitored.sort()).toEqual([A, B]);
    expect(t.stats(C).closed).toBe(true);
    expect(
      events.filter(([n]) => n === 'serverClosed').map(([, p]) => (p as { address: string }).address),
    ).toEqual([C]);
    // A late report from the closed monitor cannot bring C back.
    expect(() => t.reply(C, secondaryHello())).toThrow(/closed/);
    expect(t.topology.snapshot.servers.has(C)).toBe(false);
  });

  it('heartbeat failures carry the failure and phase', () => {
    const t = scripted().start();
    const failures: unknown[] = [];
    t.topology.on('serverHeartbeatFailed', (e) => failures.push(e));
    const error = new NetworkError('connect ECONNREFUSED');
    t.fail(B, error, { rttMS: 3 });
    expect(failures).toEqual([
      expect.objectContaining({ address: B, failure: error, phase: 'check', duration: 3, awaited: false }),
    ]);
    expect(t.topology.snapshot.servers.get(B)?.error?.message).toBe('connect ECONNREFUSED');
  });
});

describe('Topology selection', () => {
  it('selectServerNow answers from the snapshot, and schedules one refresh when nothing matches', () => {
    const t = scripted().start();
    t.reply(A, primaryHello());
    t.reply(B, secondaryHello());
    t.reply(C, secondaryHello()); // the first round of checks is complete
    expect(t.topology.selectServerNow()?.address).toBe(A);
    expect(t.topology.selectServerNow('secondary')?.address).toBe(B);
    expect(t.checkRequests(A)).toBe(0);
    t.fail(A);
    // Losing the primary asks every member for a check at once.
    for (const address of members) expect(t.checkRequests(address)).toBe(1);
    for (let i = 0; i < 100; i++) expect(t.topology.selectServerNow('primary')).toBeUndefined();
    // 100 failed selections: one more request per monitor, not a hundred.
    for (const address of members) expect(t.checkRequests(address)).toBe(2);
  });

  it('selectServer returns at once when a server matches', async () => {
    const t = scripted().start();
    t.reply(A, primaryHello());
    const timers = t.clock.pendingTimers;
    const selection = t.topology.selectServer();
    expect(t.clock.pendingTimers).toBe(timers); // no deadline timer was armed
    expect(t.topology.waiting.selections).toBe(0);
    await expect(selection).resolves.toMatchObject({ address: A, type: 'RSPrimary' });
  });

  it('a selection repeated on the same snapshot is the cached one; a new snapshot selects again', async () => {
    const t = scripted().start();
    t.reply(A, primaryHello());
    const first = t.topology.selectServer('primary');
    expect(t.topology.selectServer('primary')).toBe(first);
    expect(t.topology.selectServerNow('primary')).toBe(await first);
    // Every check replaces the description: the next selection must see the new one.
    t.reply(A, primaryHello());
    const second = t.topology.selectServer('primary');
    expect(second).not.toBe(first);
    expect(await second).toBe(t.topology.snapshot.servers.get(A));
    expect(await second).not.toBe(await first);
    expect(t.topology.selectServerNow('primary')).toBe(await second);
  });

  it('selectServer waits for a snapshot with a suitable server', async () => {
    const t = scripted().start();
    const pending = t.topology.selectServer('primary', { timeoutMS: 5000 });
    expect(t.topology.waiting).toEqual({ selections: 1, groups: 1, refreshes: 0 });
    t.reply(B, secondaryHello());
    expect(t.topology.waiting.selections).toBe(1);
    t.reply(A, primaryHello());
    await expect(pending).resolves.toMatchObject({ address: A });
    expect(t.topology.waiting.selections).toBe(0);
  });

  it('times out with a ServerSelectionError that says why, names the read preference and summarises the servers', async () => {
    const t = scripted().start();
    t.advance(100);
    t.reply(B, secondaryHello(), { rttMS: 7 });
    t.fail(C, new NetworkError('connect ECONNREFUSED 10.0.0.3:27017'));
    const pending = t.topology
      .selectServer({ mode: 'primary' }, { timeoutMS: 2000 })
      .catch((e: unknown) => e);
    t.advance(2000);
    const error = (await pending) as ServerSelectionError;
    expect(error).toBeInstanceOf(ServerSelectionError);
    expect(error.message).toMatch(/timed out after 2000 ms for read preference primary/);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.reason).toBe('noPrimary');
    expect(error.readPreference).toEqual({ mode: 'primary', tags: [], maxStalenessSeconds: null });
    expect(error.topologyType).toBe('ReplicaSetNoPrimary');
    const byAddress = new Map(error.servers.map((s) => [s.address, s]));
    expect(byAddress.get(A)).toEqual({
      address: A,
      type: 'Unknown',
      error: null,
      lastHeartbeatAgeMS: null,
      roundTripTimeMS: null,
    });
    expect(byAddress.get(B)).toMatchObject({
      type: 'RSSecondary',
      error: null,
      lastHeartbeatAgeMS: 2000,
      roundTripTimeMS: 7,
    });
    expect(byAddress.get(C)).toMatchObject({
      type: 'Unknown',
      error: 'connect ECONNREFUSED 10.0.0.3:27017',
      lastHeartbeatAgeMS: 2000,
    });
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      name: 'ServerSelectionError',
      reason: 'noPrimary',
    });
  });

  it('the deadline is shared: many waiters arm one timer', async () => {
    const t = scripted().start();
    const timersBefore = t.clock.pendingTimers;
    const pending = Array.from({ length: 50 }, (_, i) =>
      t.topology.selectServer('primary', { timeoutMS: 1000 + i }).catch((e: unknown) => e),
    );
    expect(t.clock.pendingTimers).toBe(timersBefore + 1);
    t.advance(1049);
    const errors = await Promise.all(pending);
    expect(errors.every((e) => e instanceof ServerSelectionError)).toBe(true);
  });

  it('timeoutMS 0 decides from the snapshot without waiting', async () => {
    const t = scripted().start();
    await expect(t.topology.selectServer('primary', { timeoutMS: 0 })).rejects.toBeInstanceOf(
      ServerSelectionError,
    );
    expect(t.topology.waiting.selections).toBe(0);
  });

  it('an AbortSignal rejects the wait with its reason', async () => {
    const t = scripted().start();
    const controller = new AbortController();
    const pending = t.topology.selectServer('primary', { signal: controller.signal });
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(t.topology.waiting.selections).toBe(0);
    await expect(t.topology.selectServer('primary', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('fails at once when waiting cannot help (an invalid maxStalenessSeconds)', async () => {
    const t = scripted().start();
    t.reply(A, primaryHello());
    t.reply(B, secondaryHello());
    const error = await t.topology
      .selectServer({ mode: 'secondary', maxStalenessSeconds: 1 }, { timeoutMS: 60_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerSelectionError);
    expect((error as ServerSelectionError).reason).toBe('invalidReadPreference');
    expect(t.topology.waiting.selections).toBe(0);
  });

  it('operation: write needs a writable server; deprioritized servers are avoided', async () => {
    const t = scripted({}, 'mongodb://m1,m2').start();
    t.reply('m1:27017', { ok: 1, msg: 'isdbgrid', isWritablePrimary: true, maxWireVersion: 21 });
    t.reply('m2:27017', { ok: 1, msg: 'isdbgrid', isWritablePrimary: true, maxWireVersion: 21 });
    expect(t.topology.snapshot.type).toBe('Sharded');
    for (let i = 0; i < 10; i++) {
      const server = await t.topology.selectServer(undefined, {
        operation: 'write',
        deprioritized: ['m1:27017'],
      });
      expect(server.address).toBe('m2:27017');
    }
  });

  it('prefers the less busy of two servers by the reported operation counts', async () => {
    const t = scripted({ random: () => 0.99 }, 'mongodb://m1,m2').start();
    t.reply('m1:27017', { ok: 1, msg: 'isdbgrid', isWritablePrimary: true, maxWireVersion: 21 });
    t.reply('m2:27017', { ok: 1, msg: 'isdbgrid', isWritablePrimary: true, maxWireVersion: 21 });
    const first = t.topology.selectServerNow()?.address as string;
    const other = first === 'm1:27017' ? 'm2:27017' : 'm1:27017';
    t.topology.operationStarted(first);
    expect(t.topology.operationCount(first)).toBe(1);
    expect(t.topology.selectServerNow()?.address).toBe(other);
    t.topology.operationFinished(first);
    let chosenDuring: string | undefined;
    await t.topology.withOperation(first, () => {
      chosenDuring = t.topology.selectServerNow()?.address;
    });
    expect(chosenDuring).toBe(other);
    expect(t.topology.operationCount(first)).toBe(0);
  });
});

describe('Topology refreshes', () => {
  it('scheduleRefresh: any number of calls are one requestCheck per monitor until the round completes', () => {
    const t = scripted().start();
    for (const address of members) t.reply(address, address === A ? primaryHello() : secondaryHello());
    for (let i = 0; i < 1000; i++) t.topology.scheduleRefresh();
    for (const address of members) expect(t.checkRequests(address)).toBe(1);
    // The monitors pace the request: at most one check per minHeartbeatFrequencyMS.
    t.advance(500);
    for (const address of members) expect(t.stats(address).checking).toBe(true);
    for (const address of members) t.reply(address, address === A ? primaryHello() : secondaryHello());
    t.topology.scheduleRefresh();
    for (const address of members) expect(t.checkRequests(address)).toBe(2);
  });

  it('waitForRefresh resolves with the snapshot after every monitor reported once, shared by all callers', async () => {
    const t = scripted().start();
    const refreshed: number[] = [];
    t.topology.on('refreshed', (e) => refreshed.push(e.round));
    // The initial checks are in flight; callers join a round that needs each monitor's report.
    const waits = Array.from({ length: 100 }, () => t.topology.waitForRefresh({ timeoutMS: 10_000 }));
    expect(t.topology.waiting.refreshes).toBe(100);
    t.reply(A, primaryHello());
    t.reply(B, secondaryHello());
    await flush();
    expect(refreshed).toEqual([]);
    t.fail(C);
    const snapshots = await Promise.all(waits);
    expect(new Set(snapshots).size).toBe(1);
    expect(snapshots[0]).toBe(t.topology.snapshot);
    expect(snapshots[0]?.servers.get(C)?.error).not.toBeNull();
    expect(refreshed).toEqual([1]);
    // They joined the first round, already under way: not one extra check was requested.
    for (const address of members) expect(t.checkRequests(address)).toBe(0);
  });

  it('waitForRefresh times out with a clear error', async () => {
    const t = scripted().start();
    const pending = t.topology.waitForRefresh({ timeoutMS: 300 }).catch((e: unknown) => e);
    t.advance(300);
    const error = (await pending) as Error;
    expect(error.name).toBe('RefreshTimeoutError');
    expect(error.message).toMatch(/within 300 ms/);
  });

  it('a removed server does not hold up the round', async () => {
    const t = scripted().start();
    const wait = t.topology.waitForRefresh();
    t.reply(A, primaryHello(1, { hosts: [A, B] })); // C leaves the set
    t.reply(B, secondaryHello({ hosts: [A, B] }));
    await expect(wait).resolves.toBe(t.topology.snapshot);
    expect(t.topology.snapshot.servers.has(C)).toBe(false);
  });

  it('while callers wait for a server, each completed round asks for another (paced by the monitors)', async () => {
    const t = scripted().start();
    const pending = t.topology.selectServer('primary', { timeoutMS: 60_000 });
    expect(t.checkRequests(A)).toBe(0); // joined the first round, under way
    for (const address of members) t.fail(address);
    // Round 1 complete without a primary: round 2 requested.
    for (const address of members) expect(t.checkRequests(address)).toBe(1);
    t.advance(500);
    t.reply(A, primaryHello());
    await expect(pending).resolves.toMatchObject({ address: A });
  });
});

describe('Topology application errors', () => {
  it('a network error on the primary marks it Unknown, clears its pool and cancels its check', () => {
    const t = scripted().start();
    t.reply(A, primaryHello());
    const cleared: unknown[] = [];
    t.topology.on('poolCleared', (e) => cleared.push(e));
    expect(t.topology.poolGeneration(A)).toBe(0);
    t.advance(10_000); // the next check of A is in flight
    expect(t.stats(A).checking).toBe(true);
    const actions = t.topology.reportError(A, new NetworkError('socket closed'), { generation: 0 });
    expect(actions).toMatchObject({ clearPool: true, cancelInFlightCheck: true });
    expect(t.topology.snapshot.servers.get(A)?.type).toBe('Unknown');
    expect(t.topology.poolGeneration(A)).toBe(1);
    expect(cleared).toEqual([
      {
        topologyId: t.topology.topologyId,
        address: A,
        generation: 1,
        interruptInUseConnections: false, // not a timeout
      },
    ]);
    // The monitor's check in flight was cancelled (the specification: a network error after the
    // handshake cancels it), as its monitor saw.
    expect(t.stats(A).cancels).toBe(1);
    // The same error from an older connection (generation 0) is stale now.
    const snapshot = t.topology.snapshot;
    t.reply(A, primaryHello());
    const again = t.topology.reportError(A, new NetworkError('socket closed'), { generation: 0 });
    expect(again.clearPool).toBe(false);
    expect(t.topology.snapshot.servers.get(A)?.type).toBe('RSPrimary');
    expect(snapshot).not.toBe(t.topology.snapshot);
  });

  it('a NotWritablePrimary error marks the server Unknown and requests an immediate check', () => {
    const t = scripted().start();
    t.reply(A, primaryHello());
    const error = new ServerReplyError('not primary', 10107, 'NotWritablePrimary', { ok: 0, code: 10107 });
    const actions = t.topology.reportError(A, error, { generation: 0 });
    expect(actions.requestImmediateCheck).toBe(true);
    expect(t.topology.snapshot.servers.get(A)?.type).toBe('Unknown');
    // The error's own request, and the lost primary's request to every member (the monitor paces
    // requests, so A still gets one check).
    expect(t.checkRequests(A)).toBe(2);
    expect(t.checkRequests(B)).toBe(1);
  });

  it('a failed check clears the pool once; a timeout also interrupts connections in use', () => {
    const t = scripted().start();
    t.reply(A, primaryHello());
    t.reply(B, secondaryHello());
    const cleared: PoolClearedEvent[] = [];
    t.topology.on('poolCleared', (e) => cleared.push(e));
    t.fail(A, new NetworkTimeoutError('hello timed out'));
    t.fail(A, new NetworkTimeoutError('hello timed out'));
    t.fail(B, new NetworkError('connection reset'));
    expect(
      cleared.map(({ address, generation, interruptInUseConnections }) => [
        address,
        generation,
        interruptInUseConnections,
      ]),
    ).toEqual([
      [A, 1, true],
      [B, 1, false],
    ]);
    expect(t.topology.poolGeneration(A)).toBe(1);
  });

  it('an error for an unknown address changes nothing', () => {
    const t = scripted().start();
    const snapshot = t.topology.snapshot;
    expect(t.topology.reportError('zzz:1', new NetworkError('x')).clearPool).toBe(false);
    expect(t.topology.snapshot).toBe(snapshot);
  });
});

describe('Topology listeners that throw', () => {
  it('do not break the monitor or the other listeners, and are reported on listenerError', () => {
    const t = scripted().start();
    const seen: string[] = [];
    const reported: unknown[] = [];
    t.topology.on('primaryChanged', () => {
      throw new Error('listener bug');
    });
    t.topology.on('primaryChanged', (e) => seen.push(`primary ${e.current}`));
    t.topology.on('serverHeartbeatSucceeded', () => {
      throw new Error('another bug');
    });
    t.topology.on('listenerError', (e) => reported.push([e.event, (e.error as Error).message]));
    t.reply(A, primaryHello());
    t.reply(B, primaryHello(2));
    expect(seen).toEqual([`primary ${A}`, `primary ${B}`]);
    expect(t.topology.snapshot.servers.get(B)?.type).toBe('RSPrimary');
    expect(reported).toContainEqual(['primaryChanged', 'listener bug']);
    expect(reported).toContainEqual(['serverHeartbeatSucceeded', 'another bug']);
  });

  it('warn once through process.emitWarning when nobody listens to listenerError', () => {
    const t = scripted().start();
    const warnings: Error[] = [];
    const original = process.emitWarning;
    process.emitWarning = ((warning: string | Error) => {
      warnings.push(typeof warning === 'string' ? new Error(warning) : warning);
    }) as typeof process.emitWarning;
    try {
      t.topology.on('serverHeartbeatSucceeded', () => {
        throw new Error('oops');
      });
      t.reply(A, primaryHello());
      t.reply(B, secondaryHello());
    } finally {
      process.emitWarning = original;
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/'serverHeartbeatSucceeded' threw: oops/);
    expect(t.topology.snapshot.servers.get(B)?.type).toBe('RSSecondary');
  });

  it('events caused by a listener come after the events of the change being emitted', () => {
    const t = scripted().start();
    t.reply(A, primaryHello());
    const log: string[] = [];
    t.topology.on('serverDescriptionChanged', (e) => {
      log.push(`sdc ${e.address} ${e.newDescription.type}`);
      // A listener that reports an error while the change is being emitted.
      if (e.address === B) t.topology.reportError(A, new NetworkError('reset'), { generation: 0 });
    });
    t.topology.on('topologyDescriptionChanged', (e) => log.push(`tdc ${e.newDescription.type}`));
    t.reply(B, secondaryHello());
    expect(log).toEqual([
      `sdc ${B} RSSecondary`,
      'tdc ReplicaSetWithPrimary',
      `sdc ${A} Unknown`,
      'tdc ReplicaSetNoPrimary',
    ]);
  });
});

describe('Topology lifecycle', () => {
  it('connect() resolves once a readable server is known; concurrent calls share one promise', async () => {
    const t = scripted();
    const first = t.topology.connect();
    const second = t.topology.connect();
    expect(second).toBe(first);
    t.reply(B, secondaryHello());
    await expect(first).resolves.toBe(t.topology);
    expect(t.topology.connect()).toBe(first);
  });

  it('connect() rejects with ServerSelectionError after serverSelectionTimeoutMS, and may be retried', async () => {
    const t = scripted({ serverSelectionTimeoutMS: 1000 });
    const first = t.topology.connect().catch((e: unknown) => e);
    t.advance(1000);
    expect(await first).toBeInstanceOf(ServerSelectionError);
    const second = t.topology.connect();
    t.reply(A, primaryHello());
    await expect(second).resolves.toBe(t.topology);
  });

  it('close() during connect() rejects it with TopologyClosedError; close is idempotent; no reopening', async () => {
    const t = scripted();
    const events = recordEvents(t);
    const connecting = t.topology.connect().catch((e: unknown) => e);
    const closing = t.close();
    expect(t.close()).toBe(closing);
    await closing;
    const error = await connecting;
    expect(error).toBeInstanceOf(TopologyClosedError);
    expect((error as Error).message).toMatch(/closed/);
    await expect(t.topology.connect()).rejects.toBeInstanceOf(TopologyClosedError);
    expect(() => t.topology.selectServerNow()).toThrow(TopologyClosedError);
    await expect(t.topology.selectServer()).rejects.toBeInstanceOf(TopologyClosedError);
    await expect(t.topology.waitForRefresh()).rejects.toBeInstanceOf(TopologyClosedError);
    t.topology.scheduleRefresh(); // harmless
    expect(t.topology.state).toBe('closed');
    const names = events.map(([name]) => name);
    expect(names.filter((n) => n === 'serverClosed')).toHaveLength(3);
    expect(names.at(-1)).toBe('topologyClosed');
  });

  it('close() rejects every waiter and leaves no timer on the clock', async () => {
    const t = scripted().start();
    t.reply(A, primaryHello());
    const waiting = Array.from({ length: 10 }, () =>
      t.topology.selectServer('secondary').catch((e: unknown) => e),
    );
    const refresh = t.topology.waitForRefresh().catch((e: unknown) => e);
    expect(t.clock.pendingTimers).toBeGreaterThan(0);
    await t.close();
    for (const error of await Promise.all(waiting)) expect(error).toBeInstanceOf(TopologyClosedError);
    expect(await refresh).toBeInstanceOf(TopologyClosedError);
    expect(t.clock.pendingTimers).toBe(0);
    for (const address of members) expect(t.stats(address).closed).toBe(true);
    // The last snapshot stays readable.
    expect(t.topology.snapshot.servers.get(A)?.type).toBe('RSPrimary');
  });

  it('a caller waiting keeps the process alive (one handle for all); nothing else does', async () => {
    // Only the timers made during this test count, not whatever else the process runs.
    const timers = refTimersMadeFromNowOn();
    try {
      const t = scripted().start();
      expect(timers.alive()).toBe(0);
      const waiting = Array.from({ length: 100 }, () => t.topology.selectServer('primary'));
      const refresh = t.topology.waitForRefresh();
      expect(timers.alive()).toBe(1);
      t.reply(A, primaryHello());
      await Promise.all(waiting);
      expect(timers.alive()).toBe(1); // the refresh caller still waits
      t.reply(B, secondaryHello());
      t.reply(C, secondaryHello());
      await refresh;
      expect(timers.alive()).toBe(0);
    } finally {
      timers.stop();
    }
  });

  it('close() before any use emits nothing and leaves nothing', async () => {
    const t = scripted();
    const events = recordEvents(t);
    await t.close();
    expect(events).toEqual([]);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('lazy: connect() resolves without monitoring; the first use starts it', async () => {
    const t = scripted({ lazy: true });
    await expect(t.topology.connect()).resolves.toBe(t.topology);
    expect(t.monitored).toEqual([]);
    expect(t.topology.state).toBe('idle');
    expect(t.topology.selectServerNow()).toBeUndefined();
    expect(t.topology.state).toBe('open');
    expect(t.monitored.sort()).toEqual(members);
  });

  it('a monitor that reports after close() changes nothing', async () => {
    const t = scripted().start();
    const snapshot = t.topology.snapshot;
    await t.close();
    expect(() => t.reply(A, primaryHello())).toThrow(/closed/);
    expect(t.topology.snapshot).toBe(snapshot);
  });
});

describe('Topology modes', () => {
  it('load balanced: no monitoring, the load balancer is always selectable', async () => {
    const t = scripted({}, 'mongodb://lb.example.com/?loadBalanced=true').start();
    expect(t.topology.snapshot.type).toBe('LoadBalanced');
    expect(t.monitored).toEqual([]);
    await expect(t.topology.selectServer()).resolves.toMatchObject({
      address: 'lb.example.com:27017',
      type: 'LoadBalancer',
    });
    expect(t.topology.isWritable()).toBe(true);
    await expect(t.topology.waitForRefresh()).resolves.toBe(t.topology.snapshot);
  });

  it('directConnection: a single server whatever it says about others', async () => {
    const t = scripted({}, 'mongodb://b/?directConnection=true').start();
    t.reply(B, secondaryHello());
    expect(t.topology.snapshot.type).toBe('Single');
    expect(t.monitored).toEqual([B]);
    await expect(t.topology.selectServer()).resolves.toMatchObject({ address: B });
  });
});

describe('Topology and process pauses', () => {
  it('a selection deadline that passed during a pause gets one more chance after a fresh check', async () => {
    const t = scripted().start();
    t.reply(A, primaryHello());
    t.fail(A); // no primary now
    const pending = t.topology.selectServer('primary', { timeoutMS: 1000 }).catch((e: unknown) => e);
    t.clock.pause(5 * 60_000); // the process was frozen for five minutes
    t.advance(0); // the overdue deadline timer fires, late
    await flush();
    expect(t.topology.waiting.selections).toBe(1); // not failed on knowledge from before the pause
    // A's failure asked for one immediate re-check (as SDAM says), still under way: its answer decides.
    expect(t.checkRequests(A)).toBe(1);
    expect(t.stats(A).checking).toBe(true);
    t.reply(A, primaryHello());
    expect(await pending).toMatchObject({ address: A });
  });

  it('without a fresh answer the waiter fails after the grace period', async () => {
    const t = scripted({ connectTimeoutMS: 2000 }).start();
    const pending = t.topology.selectServer('primary', { timeoutMS: 1000 }).catch((e: unknown) => e);
    t.clock.pause(60_000);
    t.advance(0);
    t.advance(2000);
    expect(await pending).toBeInstanceOf(ServerSelectionError);
  });
});

/**
 * Counts the Node timers (setTimeout, setInterval) made from now on that keep the process alive:
 * neither cleared, nor fired (a one-shot), nor unref'd.
 */
function refTimersMadeFromNowOn(): { alive(): number; stop(): void } {
  const made = [vi.spyOn(globalThis, 'setTimeout'), vi.spyOn(globalThis, 'setInterval')];
  const cleared = [vi.spyOn(globalThis, 'clearTimeout'), vi.spyOn(globalThis, 'clearInterval')];
  return {
    alive() {
      const gone = new Set<unknown>(cleared.flatMap((spy) => spy.mock.calls.map(([timer]) => timer)));
      return made
        .flatMap((spy) => spy.mock.results.map((result) => result.value as NodeJS.Timeout))
        .filter(
          (timer) => !gone.has(timer) && timer.hasRef() && !(timer as { _destroyed?: boolean })._destroyed,
        ).length;
    },
    stop() {
      for (const spy of [...made, ...cleared]) spy.mockRestore();
    },
  };
}
