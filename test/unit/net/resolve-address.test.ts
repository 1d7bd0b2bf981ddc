import { describe, expect, it } from 'vitest';
import { DnsCache } from '../../../src/net/dns-cache.js';
import {
  isLocalhostName,
  parseEndpoint,
  resolveAddress,
  systemLookup,
} from '../../../src/net/resolve-address.js';
import { DnsError, NetworkTimeoutError, ProcessStallError } from '../../../src/errors.js';
import type { LookupFunction } from '../../../src/net/connection-settings.js';
import { FakeClock } from './fake-clock.js';
import { systemError } from './system-error.js';

/** A lookup that records its calls and answers from a table (or hangs / fails as told). */
function scriptedLookup(
  answers: Record<string, string[] | Error | 'hang'>,
): LookupFunction & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (hostname: string) => {
    calls.push(hostname);
    const answer = answers[hostname];
    if (answer === 'hang') return new Promise<never>(() => undefined);
    if (answer instanceof Error) throw answer;
    if (!answer) throw systemError('getaddrinfo', 'ENOTFOUND', hostname);
    return answer.map((address) => ({
      address,
      family: address.includes(':') ? (6 as const) : (4 as const),
    }));
  };
  return Object.assign(lookup, { calls });
}

/** Resolving a name whose lookup never answers, with a 2000 ms timeout on a fake clock. */
function hangingLookup() {
  const clock = new FakeClock();
  const lookup = scriptedLookup({ 'slow.example.test': 'hang' });
  const pending = resolveAddress('slow.example.test', { lookup, clock, timeoutMS: 2000 }).catch(
    (e: unknown) => e,
  );
  return { clock, pending };
}

describe('resolveAddress', () => {
  it('never looks up IPv4 and IPv6 literals', async () => {
    const lookup = scriptedLookup({});
    const v4 = await resolveAddress('10.1.2.3', { lookup });
    const v6 = await resolveAddress('[fe80::1]', { lookup });
    const bareV6 = await resolveAddress('::1', { lookup });
    expect(v4).toMatchObject({
      addresses: [{ address: '10.1.2.3', family: 4 }],
      source: 'literal',
      durationMS: 0,
    });
    expect(v6).toMatchObject({ addresses: [{ address: 'fe80::1', family: 6 }], source: 'literal' });
    expect(bareV6.addresses).toEqual([{ address: '::1', family: 6 }]);
    expect(lookup.calls).toEqual([]);
  });

  it('maps localhost names to 127.0.0.1 then ::1 without a lookup (RFC 6761)', async () => {
    const lookup = scriptedLookup({});
    for (const name of ['localhost', 'LOCALHOST', 'localhost.', 'db.localhost']) {
      const resolution = await resolveAddress(name, { lookup });
      expect(resolution.source).toBe('localhost');
      expect(resolution.addresses.map((a) => a.address)).toEqual(['127.0.0.1', '::1']);
    }
    expect(lookup.calls).toEqual([]);
    expect(isLocalhostName('localhost.example.com')).toBe(false);
  });

  it('caches a looked-up name for the TTL, then asks again', async () => {
    const clock = new FakeClock();
    const cache = new DnsCache({ ttlMS: 60_000 });
    const lookup = scriptedLookup({ 'db.example.test': ['192.0.2.7'] });
    const first = await resolveAddress('db.example.test', { lookup, cache, clock });
    const second = await resolveAddress('DB.example.test', { lookup, cache, clock });
    expect(first.source).toBe('lookup');
    expect(second).toMatchObject({ source: 'cache', durationMS: 0, addresses: [{ address: '192.0.2.7' }] });
    expect(lookup.calls).toEqual(['db.example.test']);
    clock.tick(60_000);
    const third = await resolveAddress('db.example.test', { lookup, cache, clock });
    expect(third.source).toBe('lookup');
    expect(lookup.calls).toHaveLength(2);
  });

  it('measures lookup time with the clock it is given', async () => {
    const clock = new FakeClock();
    let release: (() => void) | undefined;
    const lookup: LookupFunction = () =>
      new Promise((resolve) => (release = () => resolve([{ address: '192.0.2.1', family: 4 }])));
    const pending = resolveAddress('slow.example.test', { lookup, clock });
    clock.tick(37);
    release?.();
    expect((await pending).durationMS).toBe(37);
  });

  it('reuses the last good answer when a refresh fails', async () => {
    const clock = new FakeClock();
    const cache = new DnsCache({ ttlMS: 1000 });
    const answers: Record<string, string[] | Error | 'hang'> = { 'db.example.test': ['192.0.2.8'] };
    const lookup = scriptedLookup(answers);
    await resolveAddress('db.example.test', { lookup, cache, clock });
    clock.tick(5000);
    answers['db.example.test'] = new Error('SERVFAIL');
    const stale = await resolveAddress('db.example.test', { lookup, cache, clock });
    expect(stale).toMatchObject({ source: 'stale-cache', addresses: [{ address: '192.0.2.8' }] });
    expect(lookup.calls).toHaveLength(2);
  });

  it('reports a failed lookup as a DnsError naming the host', async () => {
    const lookup = scriptedLookup({});
    const error = await resolveAddress('nowhere.example.test', { lookup }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DnsError);
    expect((error as DnsError).hostname).toBe('nowhere.example.test');
    expect((error as DnsError).message).toMatch(/cannot resolve host "nowhere\.example\.test": ENOTFOUND/);
  });

  it('reports an empty answer as a DnsError', async () => {
    const lookup: LookupFunction = async () => [];
    await expect(resolveAddress('empty.example.test', { lookup })).rejects.toThrow(/returned no addresses/);
  });

  it('gives up on a slow lookup after its own timeout, as a DNS problem and not a connect timeout', async () => {
    const { clock, pending } = hangingLookup();
    clock.tick(2000);
    const error = await pending;
    expect(error).toBeInstanceOf(DnsError);
    expect(error).not.toBeInstanceOf(NetworkTimeoutError);
    expect((error as Error).message).toMatch(/took longer than 2000 ms .*server itself was not contacted/);
  });

  it('says the process was paused when the lookup deadline fired far too late', async () => {
    const { clock, pending } = hangingLookup();
    clock.jump(60_000);
    const error = await pending;
    expect(error).toBeInstanceOf(ProcessStallError);
    expect((error as ProcessStallError).elapsedMS).toBe(60_000);
  });

  it('shares one lookup among concurrent callers of the same name', async () => {
    const cache = new DnsCache();
    let release: (() => void) | undefined;
    let calls = 0;
    const lookup: LookupFunction = () => {
      calls += 1;
      return new Promise((resolve) => (release = () => resolve([{ address: '192.0.2.9', family: 4 }])));
    };
    const a = resolveAddress('shared.example.test', { lookup, cache });
    const b = resolveAddress('shared.example.test', { lookup, cache });
    release?.();
    const [ra, rb] = await Promise.all([a, b]);
    expect(calls).toBe(1);
    expect(ra.addresses).toEqual(rb.addresses);
  });

  it('stops waiting when aborted', async () => {
    const lookup = scriptedLookup({ 'slow.example.test': 'hang' });
    const controller = new AbortController();
    const pending = resolveAddress('slow.example.test', { lookup, signal: controller.signal });
    controller.abort(new Error('cancelled by test'));
    await expect(pending).rejects.toThrow('cancelled by test');
  });

  it('uses the system resolver by default', async () => {
    const answers = await systemLookup('localhost');
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.family === 4 || a.family === 6)).toBe(true);
  });
});

describe('parseEndpoint', () => {
  it('splits host and port, IPv6 in brackets, defaults, and socket paths', () => {
    expect(parseEndpoint('db.example.test:27018')).toEqual({
      kind: 'tcp',
      host: 'db.example.test',
      port: 27018,
    });
    expect(parseEndpoint('db.example.test')).toEqual({ kind: 'tcp', host: 'db.example.test', port: 27017 });
    expect(parseEndpoint('[::1]:27019')).toEqual({ kind: 'tcp', host: '::1', port: 27019 });
    expect(parseEndpoint('[::1]')).toEqual({ kind: 'tcp', host: '::1', port: 27017 });
    expect(parseEndpoint('/tmp/mongodb-27017.sock')).toEqual({
      kind: 'unix',
      path: '/tmp/mongodb-27017.sock',
    });
    expect(() => parseEndpoint('db:99999')).toThrow(/invalid port in server address "db:99999"/);
  });
});

describe('DnsCache', () => {
  it('forgets the oldest names beyond maxEntries and never stores empty answers', () => {
    const cache = new DnsCache({ maxEntries: 2 });
    cache.store('a', [{ address: '192.0.2.1', family: 4 }], 0);
    cache.store('b', [{ address: '192.0.2.2', family: 4 }], 0);
    cache.store('c', [{ address: '192.0.2.3', family: 4 }], 0);
    cache.store('d', [], 0);
    expect(cache.size).toBe(2);
    expect(cache.lastGood('a')).toBeUndefined();
    expect(cache.fresh('c', 1)).toEqual([{ address: '192.0.2.3', family: 4 }]);
    expect(cache.lastGood('d')).toBeUndefined();
  });
});
