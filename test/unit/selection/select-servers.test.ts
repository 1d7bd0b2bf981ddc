import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ServerType, TopologyType } from '../../../src/description/server-type.js';
import type { ServerDescription } from '../../../src/description/types.js';
import { failsFast, selectServers } from '../../../src/selection/select-servers.js';
import { toReadPreference, READ_PREFERENCE_MODES } from '../../../src/selection/read-preference.js';
import { addressesOf, server, snapshot } from './fixtures.js';

const {
  RSPrimary,
  RSSecondary,
  RSArbiter,
  RSGhost,
  Mongos,
  Standalone,
  LoadBalancer,
  Unknown,
  PossiblePrimary,
} = ServerType;
const netError = (message: string) => ({ name: 'NetworkError', message });

const rsWithPrimary = snapshot(TopologyType.ReplicaSetWithPrimary, [
  server('a:27017', RSPrimary, { roundTripTime: 20, tags: { dc: 'east' } }),
  server('b:27017', RSSecondary, { roundTripTime: 5, tags: { dc: 'east', rack: '1' } }),
  server('c:27017', RSSecondary, { roundTripTime: 30, tags: { dc: 'west' } }),
  server('d:27017', RSArbiter),
]);

describe('selectServers: replica set reads by mode', () => {
  const select = (rp: Parameters<typeof toReadPreference>[0]) =>
    selectServers(rsWithPrimary, toReadPreference(rp));

  it('primary: only the primary', () => {
    const result = select('primary');
    expect(addressesOf(result.suitable)).toEqual(['a:27017']);
    expect(result.inLatencyWindow).toBe(result.suitable);
    expect(result.reason).toBeNull();
    expect(result.explanation).toBeNull();
  });

  it('secondary: the secondaries, then the latency window from the fastest (5 ms + 15)', () => {
    const result = select('secondary');
    expect(addressesOf(result.suitable)).toEqual(['b:27017', 'c:27017']);
    expect(addressesOf(result.inLatencyWindow)).toEqual(['b:27017']);
  });

  it('nearest: primary and secondaries; localThresholdMS widens the window', () => {
    expect(addressesOf(select('nearest').inLatencyWindow)).toEqual(['a:27017', 'b:27017']);
    const wide = selectServers(rsWithPrimary, toReadPreference('nearest'), { localThresholdMS: 25 });
    expect(addressesOf(wide.inLatencyWindow)).toEqual(['a:27017', 'b:27017', 'c:27017']);
    const zero = selectServers(rsWithPrimary, toReadPreference('nearest'), { localThresholdMS: 0 });
    expect(addressesOf(zero.inLatencyWindow)).toEqual(['b:27017']);
  });

  it('ordered tag sets: the first set that matches any candidate wins', () => {
    expect(
      addressesOf(
        select({ mode: 'secondary', tags: [{ dc: 'north' }, { dc: 'west' }, { dc: 'east' }] }).suitable,
      ),
    ).toEqual(['c:27017']);
    expect(addressesOf(select({ mode: 'nearest', tags: [{ dc: 'east' }] }).suitable)).toEqual([
      'a:27017',
      'b:27017',
    ]);
    expect(addressesOf(select({ mode: 'secondary', tags: [{ dc: 'east', rack: '1' }] }).suitable)).toEqual([
      'b:27017',
    ]);
    expect(addressesOf(select({ mode: 'secondary', tags: [{ dc: 'north' }, {}] }).suitable)).toEqual([
      'b:27017',
      'c:27017',
    ]);
  });

  it('secondaryPreferred falls back to the primary; primaryPreferred prefers it', () => {
    expect(addressesOf(select({ mode: 'secondaryPreferred', tags: [{ dc: 'north' }] }).suitable)).toEqual([
      'a:27017',
    ]);
    expect(addressesOf(select({ mode: 'primaryPreferred', tags: [{ dc: 'west' }] }).suitable)).toEqual([
      'a:27017',
    ]);
  });

  it('writes need the primary whatever the read preference', () => {
    const result = selectServers(rsWithPrimary, toReadPreference('secondary'), { operation: 'write' });
    expect(addressesOf(result.suitable)).toEqual(['a:27017']);
  });
});

describe('selectServers: other topology types', () => {
  it('Sharded: every mongos for reads and writes, read preference ignored, window applied', () => {
    const sharded = snapshot(TopologyType.Sharded, [
      server('m1:27017', Mongos, { roundTripTime: 2 }),
      server('m2:27017', Mongos, { roundTripTime: 10 }),
      server('m3:27017', Mongos, { roundTripTime: 40 }),
      server('m4:27017', Unknown),
    ]);
    for (const operation of ['read', 'write'] as const) {
      const result = selectServers(sharded, toReadPreference({ mode: 'secondary', tags: [{ dc: 'x' }] }), {
        operation,
      });
      expect(addressesOf(result.suitable)).toEqual(['m1:27017', 'm2:27017', 'm3:27017']);
      expect(addressesOf(result.inLatencyWindow)).toEqual(['m1:27017', 'm2:27017']);
    }
  });

  it('Single: the one server whatever its type or the read preference, if it is available', () => {
    for (const type of [Standalone, RSSecondary, RSGhost, Mongos]) {
      const single = snapshot(TopologyType.Single, [server('a:27017', type)]);
      expect(
        addressesOf(selectServers(single, toReadPreference('primary'), { operation: 'write' }).suitable),
      ).toEqual(['a:27017']);
    }
    const down = snapshot(TopologyType.Single, [server('a:27017', Unknown)]);
    expect(selectServers(down, toReadPreference('nearest')).reason).toBe('allUnknown');
  });

  it('LoadBalanced: the load balancer, even without an RTT', () => {
    const lb = snapshot(TopologyType.LoadBalanced, [
      server('lb:27017', LoadBalancer, { roundTripTime: null }),
    ]);
    const result = selectServers(lb, toReadPreference('secondary'), { operation: 'write' });
    expect(addressesOf(result.inLatencyWindow)).toEqual(['lb:27017']);
  });

  it('Unknown topology: nothing, even with an answering ghost', () => {
    const unknown = snapshot(TopologyType.Unknown, [server('g:27017', RSGhost)]);
    const result = selectServers(unknown, toReadPreference('nearest'));
    expect(result.suitable).toEqual([]);
    expect(result.reason).toBe('topologyUnknown');
  });
});

describe('selectServers: deprioritized servers', () => {
  const sharded = snapshot(TopologyType.Sharded, [
    server('m1:27017', Mongos, { roundTripTime: 5 }),
    server('m2:27017', Mongos, { roundTripTime: 6 }),
  ]);

  it('avoids the mongos a retry just failed on', () => {
    const result = selectServers(sharded, toReadPreference('primary'), { deprioritized: ['m1:27017'] });
    expect(addressesOf(result.suitable)).toEqual(['m2:27017']);
  });

  it('uses deprioritized servers when nothing else is suitable', () => {
    const result = selectServers(sharded, toReadPreference('primary'), {
      deprioritized: ['m1:27017', 'm2:27017'],
    });
    expect(addressesOf(result.suitable)).toEqual(['m1:27017', 'm2:27017']);
  });

  it('replica set: a deprioritized primary gives primaryPreferred a secondary; deprioritized secondaries give secondaryPreferred the primary', () => {
    expect(
      addressesOf(
        selectServers(rsWithPrimary, toReadPreference('primaryPreferred'), { deprioritized: ['a:27017'] })
          .suitable,
      ),
    ).toEqual(['b:27017', 'c:27017']);
    expect(
      addressesOf(
        selectServers(rsWithPrimary, toReadPreference('secondaryPreferred'), {
          deprioritized: ['b:27017', 'c:27017'],
        }).suitable,
      ),
    ).toEqual(['a:27017']);
  });

  it('a write to a deprioritized primary still goes to the primary', () => {
    const result = selectServers(rsWithPrimary, toReadPreference('primary'), {
      operation: 'write',
      deprioritized: ['a:27017'],
    });
    expect(addressesOf(result.suitable)).toEqual(['a:27017']);
  });
});

describe('selectServers: maxStalenessSeconds', () => {
  // Primary checked at t=1000 s with its last write at t=1000 s; secondaries lag 50 s and 150 s.
  const stale = snapshot(TopologyType.ReplicaSetWithPrimary, [
    server('a:27017', RSPrimary, { lastUpdateTime: 1_000_000, lastWriteDate: 1_000_000 }),
    server('b:27017', RSSecondary, { lastUpdateTime: 1_000_000, lastWriteDate: 950_000 }),
    server('c:27017', RSSecondary, { lastUpdateTime: 1_000_000, lastWriteDate: 850_000 }),
  ]);

  it('keeps secondaries whose estimate (lag + heartbeatFrequencyMS) is within the limit', () => {
    const result = selectServers(stale, toReadPreference({ mode: 'secondary', maxStalenessSeconds: 90 }));
    expect(addressesOf(result.suitable)).toEqual(['b:27017']); // 50 s + 10 s <= 90 s; 160 s > 90 s
  });

  it('uses the newest secondary as the reference when there is no primary', () => {
    const noPrimary = snapshot(TopologyType.ReplicaSetNoPrimary, [...stale.servers.values()].slice(1));
    const result = selectServers(
      noPrimary,
      toReadPreference({ mode: 'secondary', maxStalenessSeconds: 100 }),
    );
    expect(addressesOf(result.suitable)).toEqual(['b:27017']); // c: 100 s + 10 s > 100 s
  });

  it('explains when every secondary is too stale, with each estimate', () => {
    const result = selectServers(stale, toReadPreference({ mode: 'secondary', maxStalenessSeconds: 90 }), {
      heartbeatFrequencyMS: 45_000,
    });
    expect(result.reason).toBe('tooStale');
    expect(result.explanation).toBe(
      'every secondary is too stale for read preference secondary with maxStalenessSeconds=90: ' +
        'estimated staleness b:27017 95s, c:27017 195s',
    );
  });

  it('rejects a limit below 90 s or below heartbeatFrequencyMS + 10 s for replica sets, at once', () => {
    const small = selectServers(stale, toReadPreference({ mode: 'nearest', maxStalenessSeconds: 89 }));
    expect(small.reason).toBe('invalidReadPreference');
    expect(failsFast(small.reason)).toBe(true);
    expect(small.explanation).toMatch(
      /maxStalenessSeconds=89 is less than the smallest allowed value, 90 seconds/,
    );
    const slowHeartbeat = selectServers(
      stale,
      toReadPreference({ mode: 'nearest', maxStalenessSeconds: 129 }),
      {
        heartbeatFrequencyMS: 120_000,
      },
    );
    expect(slowHeartbeat.explanation).toMatch(/it must be at least 130 seconds/);
  });

  it('does not validate for sharded clusters (mongos applies it) nor for writes', () => {
    const sharded = snapshot(TopologyType.Sharded, [server('m:27017', Mongos)]);
    expect(
      selectServers(sharded, toReadPreference({ mode: 'nearest', maxStalenessSeconds: 1 })).reason,
    ).toBeNull();
    expect(
      selectServers(stale, toReadPreference({ mode: 'nearest', maxStalenessSeconds: 1 }), {
        operation: 'write',
      }).reason,
    ).toBeNull();
  });
});

describe('selectServers: explanations', () => {
  const rsNoPrimary = snapshot(TopologyType.ReplicaSetNoPrimary, [
    server('a:27017', Unknown, { error: netError('connect ECONNREFUSED 10.0.0.1:27017') }),
    server('b:27017', RSSecondary, { tags: { dc: 'west' } }),
    server('c:27017', RSSecondary),
  ]);

  it('no primary: names the read preference, the set and what it has', () => {
    const result = selectServers(rsNoPrimary, toReadPreference('primary'));
    expect(result.reason).toBe('noPrimary');
    expect(result.explanation).toBe(
      'no primary for read preference primary: the replica set rs0 has 2 secondaries (b:27017, c:27017), ' +
        '1 Unknown (a:27017: connect ECONNREFUSED 10.0.0.1:27017) and no primary',
    );
    expect(failsFast(result.reason)).toBe(false);
  });

  it('no primary for a write', () => {
    const result = selectServers(rsNoPrimary, toReadPreference('nearest'), { operation: 'write' });
    expect(result.reason).toBe('noPrimary');
    expect(result.explanation).toMatch(/^no primary for a write: the replica set rs0 has 2 secondaries/);
  });

  it('tags that match nothing: the tags each candidate has', () => {
    const result = selectServers(
      rsNoPrimary,
      toReadPreference({ mode: 'secondaryPreferred', tags: [{ dc: 'east' }] }),
    );
    expect(result.reason).toBe('tagsUnmatched');
    expect(result.explanation).toBe(
      "no server matches the tag sets of read preference secondaryPreferred with tags [{dc:'east'}]: " +
        "the candidates have tags b:27017 {dc:'west'}, c:27017 {}; there is no primary to fall back on",
    );
  });

  it('all servers Unknown: their last errors', () => {
    const down = snapshot(TopologyType.ReplicaSetNoPrimary, [
      server('a:27017', Unknown, { error: netError('connect ECONNREFUSED') }),
      server('b:27017', Unknown, { error: netError('getaddrinfo ENOTFOUND b') }),
      server('c:27017', Unknown),
    ]);
    const result = selectServers(down, toReadPreference('nearest'));
    expect(result.reason).toBe('allUnknown');
    expect(result.explanation).toBe(
      'no server is available for read preference nearest: all 3 servers are Unknown (last errors: ' +
        'a:27017: connect ECONNREFUSED; b:27017: getaddrinfo ENOTFOUND b; c:27017: no check has completed yet)',
    );
  });

  it('a possible primary is not available either', () => {
    const result = selectServers(
      snapshot(TopologyType.ReplicaSetNoPrimary, [
        server('a:27017', PossiblePrimary),
        server('b:27017', Unknown),
      ]),
      toReadPreference('nearest'),
    );
    expect(result.reason).toBe('allUnknown');
    expect(result.explanation).toMatch(
      /none of the 2 servers is available \(a:27017: PossiblePrimary; b:27017: /,
    );
  });

  it('no secondary, and neither primary nor secondary', () => {
    const onlyPrimary = snapshot(TopologyType.ReplicaSetWithPrimary, [
      server('a:27017', RSPrimary),
      server('d:27017', RSArbiter),
    ]);
    const secondary = selectServers(onlyPrimary, toReadPreference('secondary'));
    expect(secondary.reason).toBe('noSecondary');
    expect(secondary.explanation).toBe(
      'no secondary for read preference secondary: the replica set rs0 has 1 primary (a:27017), 1 arbiter (d:27017) and no secondaries',
    );
    const neither = selectServers(
      snapshot(TopologyType.ReplicaSetNoPrimary, [server('a:27017', RSArbiter), server('b:27017', RSGhost)]),
      toReadPreference('primaryPreferred'),
    );
    expect(neither.reason).toBe('noPrimaryOrSecondary');
  });

  it('incompatible: fails fast with the snapshot’s own message', () => {
    const old = snapshot(TopologyType.Single, [server('a:27017', Standalone, { maxWireVersion: 2 })], {
      compatible: false,
      compatibilityError:
        'Server at a:27017 reports wire version 2, but this client requires at least 6 (MongoDB 3.6)',
    });
    const result = selectServers(old, toReadPreference('primary'));
    expect(result.reason).toBe('incompatible');
    expect(failsFast(result.reason)).toBe(true);
    expect(result.explanation).toBe(
      'incompatible: Server at a:27017 reports wire version 2, but this client requires at least 6 (MongoDB 3.6)',
    );
  });

  it('a sharded cluster without a mongos, an empty seed list', () => {
    const sharded = snapshot(TopologyType.Sharded, [
      server('m:27017', Unknown, { error: netError('timed out') }),
    ]);
    expect(selectServers(sharded, toReadPreference('primary')).explanation).toBe(
      'no server is available for read preference primary: the only server, m:27017, is Unknown (last error: timed out)',
    );
    expect(selectServers(snapshot(TopologyType.Unknown, []), toReadPreference('primary')).reason).toBe(
      'noServers',
    );
  });

  it('lists at most a few servers by name', () => {
    const many = snapshot(
      TopologyType.ReplicaSetNoPrimary,
      Array.from({ length: 12 }, (_, i) => server(`s${i}:27017`, RSSecondary)),
    );
    expect(selectServers(many, toReadPreference('primary')).explanation).toMatch(
      /12 secondaries \(s0:27017, s1:27017, s2:27017, s3:27017, s4:27017, and 7 more\) and no primary/,
    );
  });
});

describe('selectServers: invariants over random snapshots', () => {
  const serverTypes = Object.values(ServerType);
  const arbServer = (i: number) =>
    fc
      .record({
        type: fc.constantFrom(...serverTypes),
        rtt: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
        dc: fc.constantFrom('east', 'west', undefined),
        lag: fc.integer({ min: 0, max: 300_000 }),
      })
      .map(({ type, rtt, dc, lag }) =>
        server(`h${i}:27017`, type, {
          roundTripTime: rtt,
          tags: dc ? { dc } : {},
          lastUpdateTime: 1_000_000,
          lastWriteDate: 1_000_000 - lag,
        }),
      );
  const arbSnapshot = fc
    .tuple(fc.constantFrom(...Object.values(TopologyType)), fc.integer({ min: 0, max: 7 }))
    .chain(([type, n]) =>
      fc
        .tuple(...Array.from({ length: n }, (_, i) => arbServer(i)))
        .map((servers) => snapshot(type, servers)),
    );
  const arbReadPreference = fc
    .record({
      mode: fc.constantFrom(...READ_PREFERENCE_MODES),
      tags: fc.constantFrom([], [{ dc: 'east' }], [{ dc: 'north' }, { dc: 'west' }]),
      maxStalenessSeconds: fc.constantFrom(null, 90, 200),
    })
    .map((rp) => (rp.mode === 'primary' ? toReadPreference('primary') : toReadPreference(rp)));

  it('never throws; the window is a non-empty subset of the suitable servers exactly when there is no reason', () => {
    fc.assert(
      fc.property(
        arbSnapshot,
        arbReadPreference,
        fc.constantFrom('read' as const, 'write' as const),
        fc.subarray(['h0:27017', 'h1:27017', 'h2:27017']),
        (snap, rp, operation, deprioritized) => {
          const result = selectServers(snap, rp, { operation, deprioritized });
          const inSnapshot = (s: ServerDescription) => snap.servers.get(s.address) === s;
          expect(result.suitable.every(inSnapshot)).toBe(true);
          expect(result.inLatencyWindow.every((s) => result.suitable.includes(s))).toBe(true);
          if (result.reason === null) {
            expect(result.inLatencyWindow.length).toBeGreaterThan(0);
            expect(result.explanation).toBeNull();
          } else {
            expect(result.suitable).toEqual([]);
            expect(result.explanation).toEqual(expect.any(String));
          }
          for (const s of result.suitable) {
            expect([ServerType.Unknown, ServerType.PossiblePrimary]).not.toContain(s.type);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
