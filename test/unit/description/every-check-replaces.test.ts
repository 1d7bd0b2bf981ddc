/**
 * Every successful check replaces the server's description (SDAM specification: "This replacement
 * MUST happen even if the new server description compares equal to the previous one, in order to
 * keep client-tracked attributes like last update time and round trip time up to date").
 *
 * The three cases below are selections that went wrong while the core kept a description whose
 * round-trip time moved by at most 1 ms, or whose replication lag moved by less than 10 s: the
 * answers asserted here are the specification's, worked out in the comments.
 */
import { describe, expect, it } from 'vitest';
import { applyServerDescription } from '../../../src/description/apply-server-description.js';
import { serverDescriptionFromHello } from '../../../src/description/server-description.js';
import { initialTopologyDescription } from '../../../src/description/topology-description.js';
import type { RttStats } from '../../../src/description/round-trip-time.js';
import type { Address, TopologyDescription } from '../../../src/description/types.js';
import { toReadPreference } from '../../../src/selection/read-preference.js';
import { selectServers } from '../../../src/selection/select-servers.js';

const SECOND = 1000;
const members: Address[] = ['a:27017', 'b:27017', 'd:27017', 'f:27017'];

function rtt(average: number): RttStats {
  return { average, min: average, samples: [average] };
}

/** A check of `address` at `now` (ms) reporting a replication lag of `lagMS` and the given RTT. */
function check(
  snapshot: TopologyDescription,
  address: Address,
  role: 'primary' | 'secondary',
  now: number,
  lagMS: number,
  averageRtt = 5,
): TopologyDescription {
  const reply = {
    ok: 1,
    maxWireVersion: 21,
    setName: 'rs0',
    hosts: members,
    isWritablePrimary: role === 'primary',
    secondary: role === 'secondary',
    lastWrite: { lastWriteDate: new Date(now - lagMS) },
  };
  return applyServerDescription(
    snapshot,
    serverDescriptionFromHello(address, reply, { now, roundTripTime: rtt(averageRtt) }),
  );
}

function addresses(servers: readonly { address: Address }[]): Address[] {
  return servers.map((s) => s.address).sort();
}

describe('every successful check replaces the description', () => {
  it('max staleness without a primary: the freshest secondary is not judged by a 200 s old description', () => {
    let snapshot = initialTopologyDescription(['a', 'b'], { replicaSet: 'rs0', now: 0 });
    snapshot = check(snapshot, 'a:27017', 'secondary', 1_000 * SECOND, 5 * SECOND);
    snapshot = check(snapshot, 'b:27017', 'secondary', 1_000 * SECOND, 5 * SECOND);
    snapshot = check(snapshot, 'a:27017', 'secondary', 1_200 * SECOND, 5 * SECOND);
    snapshot = check(snapshot, 'b:27017', 'secondary', 1_200 * SECOND, 20 * SECOND);
    expect(snapshot.type).toBe('ReplicaSetNoPrimary');
    expect(snapshot.servers.get('a:27017')?.lastUpdateTime).toBe(1_200 * SECOND);
    expect(snapshot.servers.get('a:27017')?.lastWriteDate).toBe(1_195 * SECOND);

    // SMax is a (last write 1,195 s). Staleness = SMax.lastWriteDate - S.lastWriteDate + 10 s:
    // a: 0 + 10 = 10 s; b: 1,195 - 1,180 + 10 = 25 s. Both are within 90 s.
    const result = selectServers(snapshot, toReadPreference({ mode: 'secondary', maxStalenessSeconds: 90 }));
    expect(addresses(result.suitable)).toEqual(['a:27017', 'b:27017']);
  });

  it('max staleness with a primary: a lag that moved by 6 s is the current one', () => {
    let snapshot = initialTopologyDescription(['f', 'b'], { replicaSet: 'rs0', now: 0 });
    snapshot = check(snapshot, 'f:27017', 'primary', 1_000 * SECOND, 2 * SECOND);
    snapshot = check(snapshot, 'b:27017', 'secondary', 1_000 * SECOND, 89 * SECOND);
    snapshot = check(snapshot, 'b:27017', 'secondary', 1_010 * SECOND, 95 * SECOND);
    expect(snapshot.servers.get('b:27017')?.lastUpdateTime).toBe(1_010 * SECOND);

    // Staleness of b = (its lag) - (the primary's lag) + heartbeatFrequencyMS = 95 - 2 + 10 = 103 s,
    // over 100 s: secondaryPreferred falls back to the primary.
    const result = selectServers(
      snapshot,
      toReadPreference({ mode: 'secondaryPreferred', maxStalenessSeconds: 100 }),
    );
    expect(addresses(result.suitable)).toEqual(['f:27017']);
  });

  it('the latency window is computed from the current round-trip times', () => {
    let snapshot = initialTopologyDescription(['a', 'd'], { replicaSet: 'rs0', now: 0 });
    snapshot = check(snapshot, 'a:27017', 'secondary', 1_000 * SECOND, 0, 15.5);
    snapshot = check(snapshot, 'd:27017', 'secondary', 1_000 * SECOND, 0, 1);
    snapshot = check(snapshot, 'a:27017', 'secondary', 1_010 * SECOND, 0, 16.5);
    expect(snapshot.servers.get('a:27017')?.roundTripTime).toBe(16.5);

    // The window is [fastest, fastest + 15 ms] = [1, 16] ms: a (16.5 ms) is outside it.
    const result = selectServers(snapshot, toReadPreference('nearest'));
    expect(addresses(result.suitable)).toEqual(['a:27017', 'd:27017']);
    expect(addresses(result.inLatencyWindow)).toEqual(['d:27017']);
  });
});
