/**
 * The Topology with its real socket monitors against the simulated replica set (the wire
 * protocol on loopback): discovery, failover, herd-free waiting, and a clean close.
 * Synchronised on events; no sleeps, no timing thresholds.
 */
import { describe, expect, it } from 'vitest';
import { ServerReplyError } from '../../../src/errors.js';
import { Topology } from '../../../src/topology/topology.js';
import {
  connectionTracker,
  countingClock,
  fullyDiscovered,
  helloCount,
  nextEvent,
  until,
} from './helpers.js';
import { replicaSet, topology } from './close-after-test.js';

describe('Topology against a simulated replica set', () => {
  it('discovers every member from one seed', async () => {
    const rs = await replicaSet();
    const [first] = rs.members;
    const t = topology(`mongodb://${first}/?replicaSet=rs0`);
    const opened: string[] = [];
    t.on('serverOpening', (e) => opened.push(e.address));
    await t.connect();
    const snapshot = await until(t, fullyDiscovered(rs.members));
    expect([...snapshot.servers.keys()].sort()).toEqual([...rs.members].sort());
    expect(opened.sort()).toEqual([...rs.members].sort());
    expect(t.selectServerNow('primary')?.address).toBe(rs.primary);
    expect(snapshot.setName).toBe('rs0');
  });

  it('resolves host names with the lookup option instead of DNS', async () => {
    const rs = await replicaSet();
    const [first] = rs.members;
    const port = (first as string).split(':')[1];
    const looked: string[] = [];
    const t = topology(`mongodb://seed.waspnest.test:${port}/?replicaSet=rs0`, {
      lookup: async (hostname) => {
        looked.push(hostname);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    await t.connect();
    // The seed answered under the name it knows (its `me`), so the members replace it.
    const snapshot = await until(t, fullyDiscovered(rs.members));
    expect(looked).toContain('seed.waspnest.test');
    expect(snapshot.servers.has(`seed.waspnest.test:${port}`)).toBe(false);
  });

  it('streaming sees a step-down at once, without waiting for the heartbeat interval', async () => {
    const rs = await replicaSet();
    // With a 60 s heartbeat, only the streaming protocol can report the change within the test.
    const t = topology(rs.uri, { heartbeatFrequencyMS: 60_000, serverMonitoringMode: 'stream' });
    await t.connect();
    const before = await until(t, fullyDiscovered(rs.members));
    const oldPrimary = rs.primary;
    expect(before.servers.get(oldPrimary ?? '')?.type).toBe('RSPrimary');
    const changed = nextEvent(t, 'primaryChanged', (e) => e.current !== null && e.current !== oldPrimary);
    const awaitedReply = nextEvent(t, 'serverHeartbeatSucceeded', (e) => e.awaited);
    const newPrimary = await rs.stepDown();
    const event = await changed;
    expect(event.current).toBe(newPrimary);
    expect(event.snapshot.servers.get(newPrimary)?.type).toBe('RSPrimary');
    expect(t.selectServerNow('primary')?.address).toBe(newPrimary);
    // The change came in an awaitable hello's reply.
    expect((await awaitedReply).awaited).toBe(true);
  });

  it('polling with a 60 s heartbeat: a step-down the application reports finds the new primary at once', async () => {
    const rs = await replicaSet();
    const t = topology(rs.uri, { serverMonitoringMode: 'poll', heartbeatFrequencyMS: 60_000 });
    await t.connect();
    await until(t, fullyDiscovered(rs.members));
    const oldPrimary = rs.primary as string;
    const newPrimary = await rs.stepDown();
    // Nothing is checked until the application's write fails on the old primary.
    const elected = nextEvent(t, 'primaryChanged', (e) => e.current === newPrimary);
    t.reportError(
      oldPrimary,
      new ServerReplyError('not primary', 10107, 'NotWritablePrimary', { ok: 0, code: 10107 }),
      { generation: t.poolGeneration(oldPrimary) },
    );
    // Losing the primary asked every member for a check, and the old primary's reply names the
    // new one, which is checked at once too: not at the next heartbeat, 60 s away.
    expect((await elected).current).toBe(newPrimary);
    expect(t.selectServerNow('primary')?.address).toBe(newPrimary);
  });

  it('a killed primary becomes Unknown and the elected one is reported', async () => {
    const rs = await replicaSet({ electionDelayMS: 50 });
    const t = topology(rs.uri, { heartbeatFrequencyMS: 60_000 });
    await t.connect();
    await until(t, fullyDiscovered(rs.members));
    const oldPrimary = rs.primary as string;
    const lost = nextEvent(t, 'primaryChanged', (e) => e.previous === oldPrimary);
    const elected = nextEvent(t, 'primaryChanged', (e) => e.current !== null && e.current !== oldPrimary);
    await rs.kill(oldPrimary);
    expect((await lost).previous).toBe(oldPrimary);
    const event = await elected;
    expect(event.current).toBe(await rs.waitForPrimary());
    const snapshot = await until(t, (s) => s.servers.get(oldPrimary)?.type === 'Unknown');
    expect(snapshot.servers.get(oldPrimary)?.error?.message).toEqual(expect.any(String));
    // The killed member comes back as a secondary: its monitor checks again when asked (its next
    // scheduled check is a heartbeat, 60 s, away). A check already under way when it restarted
    // may still be refused, and it answers the request: ask again after each failed one, once the
    // topology has taken its result (that ends the round the request joined).
    await rs.restart(oldPrimary);
    const askAgain = (e: { address: string }): void => {
      if (e.address === oldPrimary) queueMicrotask(() => t.scheduleRefresh());
    };
    t.on('serverHeartbeatFailed', askAgain);
    t.scheduleRefresh();
    await until(t, (s) => s.servers.get(oldPrimary)?.type === 'RSSecondary');
    t.off('serverHeartbeatFailed', askAgain);
  });

  it('a partitioned primary (connected, never answering) becomes Unknown after its timeout', async () => {
    const rs = await replicaSet({ electionDelayMS: 50 });
    const t = topology(rs.uri, { heartbeatFrequencyMS: 500, connectTimeoutMS: 500 });
    await t.connect();
    await until(t, fullyDiscovered(rs.members));
    const oldPrimary = rs.primary as string;
    const elected = nextEvent(t, 'primaryChanged', (e) => e.current !== null && e.current !== oldPrimary);
    rs.partition(oldPrimary);
    const snapshot = await until(t, (s) => s.servers.get(oldPrimary)?.type === 'Unknown');
    expect(snapshot.servers.get(oldPrimary)?.error).not.toBeNull();
    expect((await elected).current).toBe(rs.primary);
    rs.heal(oldPrimary);
    await until(t, (s) => s.servers.get(oldPrimary)?.type === 'RSSecondary');
  });

  it.each(['stream', 'poll'] as const)(
    '10,000 callers waiting across a failover all get the new primary, with a bounded number of checks (%s)',
    async (serverMonitoringMode) => {
      const MIN_HEARTBEAT_MS = 500;
      // Elections only when the test asks: otherwise a polling monitor could see the new primary
      // before the old one's failure, and no caller would ever wait.
      const rs = await replicaSet({ autoElect: false });
      const t = topology(rs.uri, {
        heartbeatFrequencyMS: 60_000,
        minHeartbeatFrequencyMS: MIN_HEARTBEAT_MS,
        serverMonitoringMode,
      });
      await t.connect();
      await until(t, fullyDiscovered(rs.members));
      const oldPrimary = rs.primary as string;
      const noPrimary = nextEvent(
        t,
        'primaryChanged',
        (e) => e.previous === oldPrimary && e.current === null,
      );
      rs.resetCommandCounts();
      const killedAt = performance.now();
      await rs.kill(oldPrimary);
      // A streaming monitor sees its connection close; a polling one learns at the next check.
      if (serverMonitoringMode === 'poll') t.scheduleRefresh();
      await noPrimary;
      // The topology knows there is no primary: every caller waits in the one shared wait.
      const callers = Array.from({ length: 10_000 }, () => t.selectServer('primary'));
      expect(t.waiting.selections).toBe(10_000);
      expect(t.waiting.groups).toBe(1);
      await rs.elect();
      const servers = await Promise.all(callers);
      const elapsed = performance.now() - killedAt;
      const newPrimary = rs.primary as string;
      expect(newPrimary).not.toBe(oldPrimary);
      expect(servers.every((server) => server.address === newPrimary)).toBe(true);
      // The bound comes from the specification, not from anything the topology counts: with no
      // heartbeat due, a monitor checks at most once per minHeartbeatFrequencyMS when asked, plus the
      // check in flight; each check costs at most a handshake and a hello, plus the RTT pinger's
      // connection. However many callers wait, it depends only on how long the failover took.
      const bound = 2 * (Math.floor(elapsed / MIN_HEARTBEAT_MS) + 1 + 1) + 2;
      for (const member of rs.members) {
        if (member === oldPrimary) continue;
        expect(helloCount(rs, member)).toBeLessThanOrEqual(bound);
      }
    },
  );

  it('close() leaves no socket or timer behind', async () => {
    const rs = await replicaSet();
    const connections = connectionTracker(rs);
    // Handles (sockets, servers), not requests in flight (a CloseReq of someone else's socket) nor
    // timers (ours are unref'd and invisible here; the counting clock accounts for them).
    const handles = () =>
      process
        .getActiveResourcesInfo()
        .filter((r) => r !== 'Timeout' && !r.endsWith('Req'))
        .sort();
    const before = handles();
    const clock = countingClock();
    const t = new Topology(rs.uri, { clock, serverMonitoringMode: 'stream', heartbeatFrequencyMS: 500 });
    await t.connect();
    await until(t, fullyDiscovered(rs.members));
    // Streaming: a monitoring and an RTT connection per member, and timers pending.
    await nextEvent(t, 'serverHeartbeatSucceeded', (e) => e.awaited);
    expect(connections.open).toBeGreaterThanOrEqual(rs.members.length);
    expect(clock.pending).toBeGreaterThan(0);
    const closed = nextEvent(t, 'topologyClosed');
    await t.close();
    await closed;
    expect(clock.pending).toBe(0);
    await connections.allClosed();
    expect(handles()).toEqual(before);
  });
});
