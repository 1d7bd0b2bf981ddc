/**
 * `srvRescanFailed`: a rescan of the SRV records that changes nothing (a DNS error, no records,
 * no valid host) is reported as an event, the seed list stays, and the next rescan comes after
 * heartbeatFrequencyMS until one succeeds. Rescans are driven by the virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { DnsError } from '../../../src/errors.js';
import type { SrvRecordsRejectedEvent, SrvRescanFailedEvent } from '../../../src/events/events.js';
import type { SrvAnswer, SrvResolver, SrvRescanFailureReason } from '../../../src/monitor/srv-poller.js';
import { ScriptedHello, ScriptedTopology } from '../../../src/testing/scripted-topology.js';
import { systemError } from '../net/system-error.js';
import { flush } from './scripted.js';

const srvHost = 'cluster0.example.com';
const query = `_mongodb._tcp.${srvHost}`;
const heartbeatFrequencyMS = 10_000;
const rescanSRVIntervalMS = 60_000;

/** Answers SRV queries with whatever the test set last; a pending promise when `hold` is set. */
class TableResolver implements SrvResolver {
  srv: readonly SrvAnswer[] | Error = [];
  queries = 0;
  hold: { promise: Promise<readonly SrvAnswer[]> } | null = null;
  async resolveSrv(name: string): Promise<readonly SrvAnswer[]> {
    expect(name).toBe(query);
    this.queries += 1;
    if (this.hold !== null) return this.hold.promise;
    if (this.srv instanceof Error) throw this.srv;
    return this.srv;
  }
  async resolveTxt(): Promise<readonly (readonly string[])[]> {
    return [];
  }
}

const records = (...names: string[]): SrvAnswer[] =>
  names.map((name) => ({ name: `${name}.example.com`, port: 27017 }));
const address = (name: string) => `${name}.example.com:27017`;

/** A Sharded topology of mongos m1 and m2 from SRV records, recording its SRV failures and seed-list changes. */
async function shardedFromSrv() {
  const resolver = new TableResolver();
  resolver.srv = records('m1', 'm2');
  const t = new ScriptedTopology(`mongodb+srv://${srvHost}/`, {
    srvResolver: resolver,
    random: () => 0,
    tls: false,
    heartbeatFrequencyMS,
  });
  t.respond(address('m1'), ScriptedHello.mongos());
  t.respond(address('m2'), ScriptedHello.mongos());
  const failures: SrvRescanFailedEvent[] = [];
  t.topology.on('srvRescanFailed', (e) => failures.push(e));
  const seedChanges: string[] = [];
  t.topology.on('serverOpening', (e) => seedChanges.push(`+${e.address}`));
  t.topology.on('serverClosed', (e) => seedChanges.push(`-${e.address}`));
  const connecting = t.topology.connect();
  await flush();
  t.advance(1); // the standing hello answers
  await connecting;
  expect(t.topology.snapshot.type).toBe('Sharded');
  seedChanges.length = 0;
  return { t, resolver, failures, seedChanges };
}

/** Moves the clock and lets the resolver's answer be handled. */
async function advance(t: ScriptedTopology, ms: number): Promise<void> {
  t.advance(ms);
  await flush();
}

const serversOf = (t: ScriptedTopology) => [...t.topology.snapshot.servers.keys()].sort();

const failingAnswers: {
  reason: SrvRescanFailureReason;
  answer: () => readonly SrvAnswer[] | Error;
  message: RegExp;
}[] = [
  {
    reason: 'dnsError',
    answer: () => systemError('querySrv', 'ETIMEOUT', query),
    message:
      /^The SRV rescan of _mongodb\._tcp\.cluster0\.example\.com failed \(ETIMEOUT\); keeping the last hosts$/,
  },
  {
    reason: 'noRecords',
    answer: () => [],
    message:
      /^The SRV rescan of _mongodb\._tcp\.cluster0\.example\.com returned no records; keeping the last hosts$/,
  },
  {
    reason: 'noValidHosts',
    answer: () => [{ name: 'evil.attacker.net', port: 27017 }],
    message:
      /^The SRV rescan of _mongodb\._tcp\.cluster0\.example\.com found no valid host \(evil\.attacker\.net:27017: 'evil\.attacker\.net' is not a host in the domain 'example\.com'\); keeping the last hosts$/,
  },
];

describe('srvRescanFailed', () => {
  it.each(failingAnswers)(
    '$reason: is emitted, keeps the seed list, and retries at heartbeatFrequencyMS',
    async ({ reason, answer, message }) => {
      const { t, resolver, failures, seedChanges } = await shardedFromSrv();
      const answered = answer();
      resolver.srv = answered;
      await advance(t, rescanSRVIntervalMS);
      expect(resolver.queries).toBe(2);
      expect(failures).toHaveLength(1);
      const event = failures[0] as SrvRescanFailedEvent;
      expect(event).toMatchObject({
        topologyId: t.topology.topologyId,
        srvHost,
        reason,
        keptHosts: [address('m1'), address('m2')],
      });
      expect(event.error).toBeInstanceOf(DnsError);
      expect(event.error.hostname).toBe(query);
      expect(event.error.message).toMatch(message);
      expect(event.error.cause).toBe(answered instanceof Error ? answered : undefined);
      // Nothing changed: same servers, same monitors, no server opened or closed.
      expect(serversOf(t)).toEqual([address('m1'), address('m2')]);
      expect(t.monitored.sort()).toEqual([address('m1'), address('m2')]);
      expect(seedChanges).toEqual([]);
      expect(t.topology.snapshot.type).toBe('Sharded');

      // The next rescan comes after heartbeatFrequencyMS, and fails the same way.
      await advance(t, heartbeatFrequencyMS - 1);
      expect(resolver.queries).toBe(2);
      await advance(t, 1);
      expect(resolver.queries).toBe(3);
      expect(failures.map((e) => e.reason)).toEqual([reason, reason]);
      expect(serversOf(t)).toEqual([address('m1'), address('m2')]);
      await t.close();
      expect(t.clock.pendingTimers).toBe(0);
    },
  );

  it('stops once a rescan succeeds: the new hosts apply and the interval is back to normal', async () => {
    const { t, resolver, failures, seedChanges } = await shardedFromSrv();
    resolver.srv = systemError('querySrv', 'ESERVFAIL', query);
    await advance(t, rescanSRVIntervalMS);
    resolver.srv = [];
    await advance(t, heartbeatFrequencyMS);
    resolver.srv = [{ name: 'm9.elsewhere.org', port: 27017 }];
    await advance(t, heartbeatFrequencyMS);
    expect(failures.map((e) => e.reason)).toEqual(['dnsError', 'noRecords', 'noValidHosts']);
    expect(seedChanges).toEqual([]);

    // Recovery: m3 appears, m1 goes; m2 is left alone.
    t.respond(address('m3'), ScriptedHello.mongos());
    resolver.srv = records('m2', 'm3');
    await advance(t, heartbeatFrequencyMS);
    expect(resolver.queries).toBe(5);
    expect(serversOf(t)).toEqual([address('m2'), address('m3')]);
    expect(seedChanges.sort()).toEqual([`+${address('m3')}`, `-${address('m1')}`]);

    // Back to the rescan interval, and no more failures.
    await advance(t, heartbeatFrequencyMS);
    expect(resolver.queries).toBe(5);
    await advance(t, rescanSRVIntervalMS - heartbeatFrequencyMS);
    expect(resolver.queries).toBe(6);
    await advance(t, rescanSRVIntervalMS);
    expect(resolver.queries).toBe(7);
    expect(failures).toHaveLength(3);
    expect(serversOf(t)).toEqual([address('m2'), address('m3')]);
    await t.close();
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('is not emitted when some records are valid: those apply, the others are reported as srvRecordsRejected', async () => {
    const { t, resolver, failures } = await shardedFromSrv();
    const rejections: SrvRecordsRejectedEvent[] = [];
    t.topology.on('srvRecordsRejected', (e) => rejections.push(e));
    resolver.srv = [...records('m1'), { name: 'evil.attacker.net', port: 27017 }];
    await advance(t, rescanSRVIntervalMS);
    expect(failures).toEqual([]);
    expect(serversOf(t)).toEqual([address('m1')]);
    expect(t.monitored).toEqual([address('m1')]); // never connected to the rejected host
    expect(rejections).toEqual([
      {
        topologyId: t.topology.topologyId,
        srvHost,
        rejected: [
          {
            name: 'evil.attacker.net',
            port: 27017,
            reason: "'evil.attacker.net' is not a host in the domain 'example.com'",
          },
        ],
      },
    ]);
    // A clean answer reports nothing.
    resolver.srv = records('m1');
    await advance(t, rescanSRVIntervalMS);
    expect(rejections).toHaveLength(1);
    await t.close();
  });

  it('a lookup that never answers fails after connectTimeoutMS; its late answer is ignored', async () => {
    const { t, resolver, failures, seedChanges } = await shardedFromSrv();
    let answerLate: (answers: readonly SrvAnswer[]) => void = () => undefined;
    resolver.hold = { promise: new Promise((resolve) => (answerLate = resolve)) };
    // Polling started at time 0 and the clock stands at 1: the rescan is due at 60,000.
    await advance(t, rescanSRVIntervalMS - 1);
    expect(resolver.queries).toBe(2); // in flight
    await advance(t, 10_000 - 1);
    expect(failures).toEqual([]);
    await advance(t, 1);
    expect(failures.map((e) => e.reason)).toEqual(['dnsError']);
    expect(failures[0]?.error.message).toMatch(
      /failed \(timed out after 10000 ms\); keeping the last hosts$/,
    );

    // The hung lookup answers at last: too late to count.
    answerLate(records('m7'));
    await flush();
    expect(serversOf(t)).toEqual([address('m1'), address('m2')]);
    expect(seedChanges).toEqual([]);

    // The next rescan comes heartbeatFrequencyMS after the failure, and works.
    resolver.hold = null;
    t.respond(address('m3'), ScriptedHello.mongos());
    resolver.srv = records('m1', 'm2', 'm3');
    await advance(t, heartbeatFrequencyMS);
    expect(resolver.queries).toBe(3);
    expect(serversOf(t)).toEqual([address('m1'), address('m2'), address('m3')]);
    expect(failures).toHaveLength(1);
    await t.close();
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('is not emitted for a lookup that fails after close()', async () => {
    const { t, resolver, failures } = await shardedFromSrv();
    let fail: (error: Error) => void = () => undefined;
    resolver.hold = { promise: new Promise((_, reject) => (fail = reject)) };
    await advance(t, rescanSRVIntervalMS);
    expect(resolver.queries).toBe(2); // in flight
    await t.close();
    fail(systemError('querySrv', 'ETIMEOUT', query));
    await flush();
    expect(failures).toEqual([]);
    expect(t.clock.pendingTimers).toBe(0);
  });
});
