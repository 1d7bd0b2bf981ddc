/**
 * Waiting without a herd: however many callers wait, the topology runs one selection per
 * distinct read preference per snapshot, arms one deadline timer, and asks each monitor for one
 * check per round. selectServers is wrapped to count its calls.
 */
import { describe, expect, it, vi } from 'vitest';
import { NetworkError } from '../../../src/errors.js';
import * as selection from '../../../src/selection/select-servers.js';
import type { ReadPreference } from '../../../src/selection/read-preference.js';
import { A, B, C, members, primaryHello, scripted, secondaryHello } from './scripted.js';

vi.mock('../../../src/selection/select-servers.js', async (importOriginal) => {
  const actual = await importOriginal<typeof selection>();
  return { ...actual, selectServers: vi.fn(actual.selectServers) };
});

const selectServers = vi.mocked(selection.selectServers);
/** selectServers calls for one mode (the topology's own writable/readable checks use other modes). */
const callsFor = (mode: ReadPreference['mode']) =>
  selectServers.mock.calls.filter(([, readPreference]) => readPreference.mode === mode).length;

describe('10,000 waiters', () => {
  it('cost one selection per snapshot, one timer, and one check request per monitor per round', async () => {
    const t = scripted().start();
    const timersBefore = t.clock.pendingTimers;
    selectServers.mockClear();
    const waiters = Array.from({ length: 10_000 }, () =>
      t.topology.selectServer('secondary', { timeoutMS: 30_000 }),
    );
    // The first caller selected from the snapshot; the others found that result cached.
    expect(callsFor('secondary')).toBe(1);
    expect(t.topology.waiting).toEqual({ selections: 10_000, groups: 1, refreshes: 0 });
    expect(t.clock.pendingTimers).toBe(timersBefore + 1);
    // They all joined the round of checks under way: not one request.
    for (const address of members) expect(t.checkRequests(address)).toBe(0);

    // Three new snapshots: the group is evaluated once for each.
    t.reply(A, primaryHello());
    t.fail(C);
    expect(callsFor('secondary')).toBe(3);
    expect(t.topology.waiting.selections).toBe(10_000);
    t.reply(B, secondaryHello());
    expect(callsFor('secondary')).toBe(4);
    const servers = await Promise.all(waiters);
    expect(servers.every((server) => server.address === B)).toBe(true);
    expect(t.topology.waiting).toEqual({ selections: 0, groups: 0, refreshes: 0 });
    for (const address of members) expect(t.checkRequests(address)).toBe(0);
  });

  it('with two distinct read preferences cost two selections per snapshot', async () => {
    const t = scripted().start();
    selectServers.mockClear();
    const east = { mode: 'nearest', tags: [{ dc: 'east' }] } as const;
    const waiters = [
      ...Array.from({ length: 5000 }, () => t.topology.selectServer('secondary')),
      ...Array.from({ length: 5000 }, () => t.topology.selectServer(east)),
    ];
    expect(t.topology.waiting.groups).toBe(2);
    const nearestBefore = callsFor('nearest');
    const secondaryBefore = callsFor('secondary');
    t.reply(A, primaryHello(1, { tags: { dc: 'west' } }));
    expect(callsFor('secondary') - secondaryBefore).toBe(1);
    // 'nearest' is also the topology's readable check (cached per snapshot): at most one more.
    expect(callsFor('nearest') - nearestBefore).toBeLessThanOrEqual(2);
    t.reply(B, secondaryHello({ tags: { dc: 'east' } }));
    const servers = await Promise.all(waiters);
    expect(new Set(servers.map((s) => s.address))).toEqual(new Set([B]));
  });

  it('across a failover all resolve to the new primary, and each member is checked a bounded number of times', async () => {
    const t = scripted({ heartbeatFrequencyMS: 10_000 });
    t.respond(A, primaryHello(1));
    t.respond(B, secondaryHello());
    t.respond(C, secondaryHello());
    t.start();
    t.advance(1);
    expect(t.topology.selectServerNow()?.address).toBe(A);
    // The primary dies: checks of A fail from now on.
    t.respond(A, new NetworkError('connection refused'));
    t.topology.reportError(A, new NetworkError('reset'), { generation: 0 });
    const checksBefore = members.map((address) => t.checks(address));
    const waiters = Array.from({ length: 10_000 }, () =>
      t.topology.selectServer('primary', { timeoutMS: 30_000 }),
    );
    // B is elected after 3 s of virtual time.
    let elapsed = 0;
    const step = 100;
    while (elapsed < 3000) {
      t.advance(step);
      elapsed += step;
    }
    t.respond(B, primaryHello(2));
    t.advance(1000);
    const servers = await Promise.all(waiters);
    expect(servers.every((server) => server.address === B)).toBe(true);
    // The callers' refresh requests are paced by the monitors: at most one check per
    // minHeartbeatFrequencyMS (500) per member over the 4 s, plus the check in flight.
    const bound = Math.ceil(4000 / 500) + 1;
    members.forEach((address, i) => {
      expect(t.checks(address) - (checksBefore[i] ?? 0)).toBeLessThanOrEqual(bound);
    });
  });
});
