import { describe, expect, it } from 'vitest';
import { ConnectionStringError, DnsError } from '../../../src/errors.js';
import {
  resolveInitialSeedList,
  SrvPoller,
  type SrvAnswer,
  type SrvResolver,
} from '../../../src/monitor/srv-poller.js';
import { VirtualClock } from '../../../src/testing/virtual-clock.js';
import { systemError } from '../net/system-error.js';

/** A resolver answering from a table that tests change; errors are thrown as node:dns does. */
class FakeResolver implements SrvResolver {
  srv = new Map<string, readonly SrvAnswer[] | Error>();
  txt = new Map<string, readonly (readonly string[])[] | Error>();
  queries: string[] = [];
  async resolveSrv(name: string): Promise<readonly SrvAnswer[]> {
    this.queries.push(`SRV ${name}`);
    const answer = this.srv.get(name);
    if (answer === undefined) throw systemError('querySrv', 'ENOTFOUND', name);
    if (answer instanceof Error) throw answer;
    return answer;
  }
  async resolveTxt(name: string): Promise<readonly (readonly string[])[]> {
    this.queries.push(`TXT ${name}`);
    const answer = this.txt.get(name);
    if (answer === undefined) throw systemError('queryTxt', 'ENODATA', name);
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

const host = 'cluster0.example.com';
const query = `_mongodb._tcp.${host}`;
const record = (name: string, port = 27017, ttl?: number): SrvAnswer => ({
  name,
  port,
  ...(ttl === undefined ? {} : { ttl }),
});
const lookup = (resolver: SrvResolver, extra: { srvMaxHosts?: number; srvServiceName?: string } = {}) =>
  resolveInitialSeedList(host, {
    resolver,
    srvServiceName: extra.srvServiceName ?? 'mongodb',
    srvMaxHosts: extra.srvMaxHosts ?? 0,
    random: () => 0,
  });

describe('resolveInitialSeedList', () => {
  it('turns SRV records into seeds and reads the TXT options', async () => {
    const resolver = new FakeResolver();
    resolver.srv.set(query, [record('a.example.com', 27018), record('B.Example.com.', 27019)]);
    resolver.txt.set(host, [['replicaSet=rs0&auth', 'Source=admin']]);
    const resolved = await lookup(resolver);
    expect(resolved.hosts).toEqual(['a.example.com:27018', 'b.example.com:27019']);
    expect(resolved.txtOptions).toEqual({ replicaSet: 'rs0', authSource: 'admin' });
    expect(resolved.ttlMS).toBeNull();
  });

  it('uses srvServiceName and reports the smallest TTL', async () => {
    const resolver = new FakeResolver();
    resolver.srv.set(`_custom._tcp.${host}`, [
      record('a.example.com', 1, 300),
      record('b.example.com', 2, 120),
    ]);
    const resolved = await lookup(resolver, { srvServiceName: 'custom' });
    expect(resolved.ttlMS).toBe(120_000);
    expect(resolved.txtOptions).toEqual({});
  });

  it('applies srvMaxHosts', async () => {
    const resolver = new FakeResolver();
    resolver.srv.set(
      query,
      ['a', 'b', 'c', 'd'].map((h) => record(`${h}.example.com`)),
    );
    expect((await lookup(resolver, { srvMaxHosts: 2 })).hosts).toHaveLength(2);
  });

  it('fails with a DnsError naming the query when the SRV lookup fails', async () => {
    const error = await lookup(new FakeResolver()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DnsError);
    expect((error as Error).message).toContain(query);
    expect((error as Error).message).toContain('ENOTFOUND');
  });

  it('refuses hosts outside the parent domain, an empty answer, and several TXT records', async () => {
    const resolver = new FakeResolver();
    resolver.srv.set(query, [record('a.example.com'), record('evil.attacker.com')]);
    await expect(lookup(resolver)).rejects.toThrow(ConnectionStringError);
    await expect(lookup(resolver)).rejects.toThrow(/evil\.attacker\.com/);
    resolver.srv.set(query, []);
    await expect(lookup(resolver)).rejects.toThrow(/no records/);
    resolver.srv.set(query, [record('a.example.com')]);
    resolver.txt.set(host, [['replicaSet=a'], ['replicaSet=b']]);
    await expect(lookup(resolver)).rejects.toThrow(/TXT records/);
    resolver.txt.set(host, [['tls=false']]);
    await expect(lookup(resolver)).rejects.toThrow(/only authSource, replicaSet and loadBalanced/);
  });

  it('reports a failing TXT lookup (other than no data) as a DNS problem', async () => {
    const resolver = new FakeResolver();
    resolver.srv.set(query, [record('a.example.com')]);
    resolver.txt.set(host, systemError('queryTxt', 'ETIMEOUT'));
    await expect(lookup(resolver)).rejects.toThrow(DnsError);
  });
});

function poller(
  resolver: FakeResolver,
  clock: VirtualClock,
  state: { hosts: string[] | null },
  srvMaxHosts = 0,
) {
  const updates: string[][] = [];
  const problems: string[] = [];
  const p = new SrvPoller({
    srvHost: host,
    resolver,
    srvServiceName: 'mongodb',
    srvMaxHosts,
    random: () => 0,
    clock,
    rescanIntervalMS: 60_000,
    heartbeatFrequencyMS: 10_000,
    currentHosts: () => state.hosts,
    update: (hosts) => {
      updates.push([...hosts]);
      state.hosts = [...hosts];
    },
    failed: (failure) => problems.push(failure.error.message),
  });
  return { poller: p, updates, problems };
}

/** Lets the resolver's promise settle (the fake answers on a microtask). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SrvPoller', () => {
  it('rescans every interval and applies added and removed hosts, leaving kept ones alone', async () => {
    const resolver = new FakeResolver();
    const clock = new VirtualClock();
    const state = { hosts: ['a.example.com:27017', 'b.example.com:27017'] as string[] | null };
    const { poller: p, updates } = poller(resolver, clock, state);
    resolver.srv.set(query, [record('b.example.com'), record('c.example.com')]);
    p.start(null);
    clock.advance(59_999);
    expect(p.scans).toBe(0);
    clock.advance(1);
    await settle();
    expect(p.scans).toBe(1);
    expect(updates).toEqual([['b.example.com:27017', 'c.example.com:27017']]);
    // The same answer again: nothing to update.
    clock.advance(60_000);
    await settle();
    expect(p.scans).toBe(2);
    expect(updates).toHaveLength(1);
    p.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps the last good list when a rescan fails or finds no valid host, and retries at heartbeatFrequencyMS', async () => {
    const resolver = new FakeResolver();
    const clock = new VirtualClock();
    const state = { hosts: ['a.example.com:27017'] as string[] | null };
    const { poller: p, updates, problems } = poller(resolver, clock, state);
    p.start(null);
    clock.advance(60_000); // SRV lookup fails (ENOTFOUND)
    await settle();
    expect(updates).toEqual([]);
    expect(problems[0]).toMatch(/failed \(ENOTFOUND\); keeping the last hosts/);
    resolver.srv.set(query, [record('x.attacker.com')]);
    clock.advance(10_000); // only hosts outside the domain
    await settle();
    expect(p.scans).toBe(2);
    expect(updates).toEqual([]);
    expect(problems.some((m) => m.includes('found no valid host'))).toBe(true);
    resolver.srv.set(query, []);
    clock.advance(10_000); // empty answer
    await settle();
    expect(p.scans).toBe(3);
    expect(state.hosts).toEqual(['a.example.com:27017']);
    resolver.srv.set(query, [record('d.example.com')]);
    clock.advance(10_000);
    await settle();
    expect(updates).toEqual([['d.example.com:27017']]);
    // Back to the normal interval.
    clock.advance(59_999);
    await settle();
    expect(p.scans).toBe(4);
    p.stop();
  });

  it('does not rescan while the topology is not Sharded or Unknown', async () => {
    const resolver = new FakeResolver();
    const clock = new VirtualClock();
    const { poller: p } = poller(resolver, clock, { hosts: null });
    p.start(null);
    clock.advance(180_000);
    await settle();
    expect(p.scans).toBe(0);
    expect(resolver.queries).toEqual([]);
    p.stop();
  });

  it('rescans by the TTL, but not more often than every 60 s', async () => {
    const resolver = new FakeResolver();
    const clock = new VirtualClock();
    const state = { hosts: ['a.example.com:27017'] as string[] | null };
    resolver.srv.set(query, [record('a.example.com', 27017, 300)]);
    const { poller: p } = poller(resolver, clock, state);
    p.start(5); // a 5 ms TTL: the 60 s floor applies
    clock.advance(59_999);
    expect(p.scans).toBe(0);
    clock.advance(1);
    await settle();
    expect(p.scans).toBe(1);
    clock.advance(299_999); // the answer's TTL was 300 s
    await settle();
    expect(p.scans).toBe(1);
    clock.advance(1);
    await settle();
    expect(p.scans).toBe(2);
    p.stop();
  });

  it('adds new hosts only up to srvMaxHosts', async () => {
    const resolver = new FakeResolver();
    const clock = new VirtualClock();
    const state = { hosts: ['a.example.com:27017'] as string[] | null };
    resolver.srv.set(
      query,
      ['a', 'b', 'c', 'd'].map((h) => record(`${h}.example.com`)),
    );
    const { poller: p, updates } = poller(resolver, clock, state, 2);
    p.start(null);
    clock.advance(60_000);
    await settle();
    expect(updates).toHaveLength(1);
    expect(updates[0]).toHaveLength(2);
    expect(updates[0]?.[0]).toBe('a.example.com:27017');
    p.stop();
  });

  it('ignores a lookup that completes after stop()', async () => {
    const resolver = new FakeResolver();
    const clock = new VirtualClock();
    const state = { hosts: ['a.example.com:27017'] as string[] | null };
    resolver.srv.set(query, [record('z.example.com')]);
    const { poller: p, updates } = poller(resolver, clock, state);
    p.start(null);
    clock.advance(60_000); // the lookup is in flight
    p.stop();
    await settle();
    expect(updates).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
