import { describe, expect, it } from 'vitest';
import { ObjectId } from 'bson';
import {
  applyServerDescription,
  replaceSeedList,
} from '../../../src/description/apply-server-description.js';
import { initialTopologyDescription, primaryOf } from '../../../src/description/topology-description.js';
import {
  serverDescriptionFromError,
  serverDescriptionFromHello,
} from '../../../src/description/server-description.js';
import { addRttSample, emptyRttStats, type RttStats } from '../../../src/description/round-trip-time.js';
import { NetworkError } from '../../../src/errors.js';
import { sdamEventsBetween } from '../../../src/description/sdam-events.js';
import type { Address, TopologyDescription } from '../../../src/description/types.js';

const rtt10 = addRttSample(emptyRttStats, 10);
const members = (n: number): Address[] => Array.from({ length: n }, (_, i) => `m${i}:27017`);

function hello(address: Address, fields: Record<string, unknown>, now = 1, rtt: RttStats | null = null) {
  return serverDescriptionFromHello(
    address,
    { ok: 1, maxWireVersion: 21, ...fields },
    { now, roundTripTime: rtt },
  );
}

/** A replica set snapshot with a primary and every other member a secondary. */
function replicaSet(n: number): TopologyDescription {
  const hosts = members(n);
  let snapshot = initialTopologyDescription(hosts, { replicaSet: 'rs', now: 0 });
  snapshot = applyServerDescription(
    snapshot,
    hello(hosts[0]!, { isWritablePrimary: true, setName: 'rs', hosts }, 1, rtt10),
  );
  for (const host of hosts.slice(1)) {
    snapshot = applyServerDescription(
      snapshot,
      hello(host, { secondary: true, setName: 'rs', hosts, tags: { dc: 'east' } }, 1, rtt10),
    );
  }
  return snapshot;
}

function expectDeeplyFrozen(snapshot: TopologyDescription): void {
  expect(Object.isFrozen(snapshot)).toBe(true);
  expect(Object.isFrozen(snapshot.servers)).toBe(true);
  expect(() => (snapshot.servers as Map<Address, unknown>).set('x:1', null)).toThrow();
  for (const server of snapshot.servers.values()) {
    expect(Object.isFrozen(server)).toBe(true);
    expect(Object.isFrozen(server.hosts)).toBe(true);
    expect(Object.isFrozen(server.tags)).toBe(true);
  }
}

describe('initialTopologyDescription', () => {
  it.each([
    [{}, ['a', 'b'], 'Unknown', null],
    [{ replicaSet: 'rs' }, ['a'], 'ReplicaSetNoPrimary', 'rs'],
    [{ directConnection: true }, ['a'], 'Single', null],
    [{ directConnection: true, replicaSet: 'rs' }, ['a'], 'Single', 'rs'],
    [{ directConnection: false, replicaSet: 'rs' }, ['a'], 'ReplicaSetNoPrimary', 'rs'],
    [{ loadBalanced: true }, ['lb'], 'LoadBalanced', null],
  ] as const)('%o with %o seeds is %s', (options, seeds, type, setName) => {
    const snapshot = initialTopologyDescription(seeds, { ...options, now: 5 });
    expect(snapshot).toMatchObject({
      type,
      setName,
      version: 0,
      compatible: true,
      maxSetVersion: null,
      maxElectionId: null,
    });
    expect([...snapshot.servers.values()].every((s) => s.type === 'Unknown' && s.lastUpdateTime === 5)).toBe(
      true,
    );
    expectDeeplyFrozen(snapshot);
  });

  it('normalises seeds and drops duplicates', () => {
    const snapshot = initialTopologyDescription(['A', 'a:27017', 'B:27018', '[::1]'], { now: 0 });
    expect([...snapshot.servers.keys()]).toEqual(['a:27017', 'b:27018', '[::1]:27017']);
  });
});

describe('applyServerDescription: every description replaces the old one', () => {
  it('replaces a description whose (=) fields are unchanged, sharing everything else and emitting nothing', () => {
    const snapshot = replicaSet(3);
    const again = hello(
      'm1:27017',
      { secondary: true, setName: 'rs', hosts: members(3), tags: { dc: 'east' } },
      99_999,
      addRttSample(emptyRttStats, 10.5),
    );
    const next = applyServerDescription(snapshot, again);
    expect(next).not.toBe(snapshot);
    expect(next.version).toBe(snapshot.version + 1);
    // The new description, with its check time and round-trip time, is in the snapshot.
    expect(next.servers.get('m1:27017')).toBe(again);
    expect(next.servers.get('m1:27017')?.lastUpdateTime).toBe(99_999);
    expect(next.servers.get('m1:27017')?.roundTripTime).toBe(10.5);
    // What is shared: every other server's description, and the topology's fields as they were.
    expect(next.servers.get('m0:27017')).toBe(snapshot.servers.get('m0:27017'));
    expect(next.servers.get('m2:27017')).toBe(snapshot.servers.get('m2:27017'));
    const { servers: _servers, version: _version, ...fields } = snapshot;
    expect(next).toMatchObject(fields);
    // No server or topology event: the specification's equality says nothing changed.
    expect(sdamEventsBetween(snapshot, next)).toEqual([]);
    expectDeeplyFrozen(next);
  });

  it('returns the same snapshot only for the very description it holds', () => {
    const snapshot = replicaSet(3);
    expect(applyServerDescription(snapshot, snapshot.servers.get('m1:27017')!)).toBe(snapshot);
  });

  it('replaces a repeated failure; ignores a reply from a removed server', () => {
    let snapshot = initialTopologyDescription(['a', 'b'], { replicaSet: 'rs', now: 0 });
    const failure = (now: number) =>
      serverDescriptionFromError('a:27017', new NetworkError('refused'), { now });
    snapshot = applyServerDescription(snapshot, failure(1));
    const again = applyServerDescription(snapshot, failure(2));
    expect(again).not.toBe(snapshot);
    expect(again.servers.get('a:27017')?.lastUpdateTime).toBe(2);
    expect(again.servers.get('b:27017')).toBe(snapshot.servers.get('b:27017'));
    expect(sdamEventsBetween(snapshot, again)).toEqual([]);
    snapshot = applyServerDescription(
      again,
      hello('a:27017', { isWritablePrimary: true, setName: 'rs', hosts: ['a:27017'] }),
    );
    expect(snapshot.servers.has('b:27017')).toBe(false);
    expect(
      applyServerDescription(
        snapshot,
        hello('b:27017', { secondary: true, setName: 'rs', hosts: ['a:27017', 'b:27017'] }),
      ),
    ).toBe(snapshot);
  });

  it('ignores a reply with an older topologyVersion from the same process', () => {
    const processId = new ObjectId('000000000000000000000001');
    let snapshot = initialTopologyDescription(['a'], { replicaSet: 'rs', now: 0 });
    snapshot = applyServerDescription(
      snapshot,
      hello('a:27017', {
        isWritablePrimary: true,
        setName: 'rs',
        hosts: ['a:27017'],
        topologyVersion: { processId, counter: 2 },
      }),
    );
    const older = hello('a:27017', {
      secondary: true,
      setName: 'rs',
      hosts: ['a:27017'],
      topologyVersion: { processId, counter: 1 },
    });
    expect(applyServerDescription(snapshot, older)).toBe(snapshot);
    const restarted = hello('a:27017', {
      secondary: true,
      setName: 'rs',
      hosts: ['a:27017'],
      topologyVersion: { processId: new ObjectId('000000000000000000000002'), counter: 0 },
    });
    expect(applyServerDescription(snapshot, restarted).servers.get('a:27017')?.type).toBe('RSSecondary');
  });

  it('still processes a repeated reply when the topology around it changed (the spec\'s "repeated" case)', () => {
    let snapshot = initialTopologyDescription(['a', 'b'], { replicaSet: 'rs', now: 0 });
    const fromA = hello('a:27017', {
      secondary: true,
      hidden: true,
      setName: 'rs',
      hosts: ['a:27017', 'c:27017'],
    });
    snapshot = applyServerDescription(snapshot, fromA);
    snapshot = applyServerDescription(snapshot, hello('c:27017', { isWritablePrimary: true }));
    expect(snapshot.servers.has('c:27017')).toBe(false);
    const next = applyServerDescription(snapshot, fromA);
    expect(next).not.toBe(snapshot);
    expect(next.servers.has('c:27017')).toBe(true);
  });
});

describe('applyServerDescription: versions, freezing and structural sharing', () => {
  it('grows version by exactly one per new snapshot and freezes every snapshot deeply', () => {
    let snapshot = initialTopologyDescription(members(3), { replicaSet: 'rs', now: 0 });
    const secondary = hello('m1:27017', { secondary: true, setName: 'rs', hosts: members(3) });
    const steps = [
      hello('m0:27017', { isWritablePrimary: true, setName: 'rs', hosts: members(3) }),
      secondary,
      secondary, // the very description held: nothing to replace
      hello('m1:27017', { secondary: true, setName: 'rs', hosts: members(3) }, 2), // a later check
      serverDescriptionFromError('m0:27017', new NetworkError('reset'), { now: 3 }),
    ];
    const versions = [snapshot.version];
    for (const step of steps) {
      const next = applyServerDescription(snapshot, step);
      expectDeeplyFrozen(next);
      expect(next.version).toBe(next === snapshot ? snapshot.version : snapshot.version + 1);
      snapshot = next;
      versions.push(snapshot.version);
    }
    expect(versions).toEqual([0, 1, 2, 2, 3, 4]);
    expect(snapshot.type).toBe('ReplicaSetNoPrimary');
  });

  it.each([3, 50])('shares every unchanged description in a %i-member snapshot', (n) => {
    const snapshot = replicaSet(n);
    const changed = hello(`m${n - 1}:27017`, {
      secondary: true,
      setName: 'rs',
      hosts: members(n),
      tags: { dc: 'west' },
    });
    const next = applyServerDescription(snapshot, changed);
    expect(next).not.toBe(snapshot);
    for (const [address, server] of snapshot.servers) {
      if (address === changed.address) expect(next.servers.get(address)).toBe(changed);
      else expect(next.servers.get(address)).toBe(server);
    }
    expect([...next.servers.keys()]).toEqual([...snapshot.servers.keys()]);
    expectDeeplyFrozen(next);
  });
});

describe('applyServerDescription: transitions', () => {
  it('discovers a replica set from one seed, marks the hinted primary, then finds it', () => {
    let snapshot = initialTopologyDescription(['a'], { now: 0 });
    snapshot = applyServerDescription(
      snapshot,
      hello('a:27017', { secondary: true, setName: 'rs', hosts: ['A:27017', 'B:27017'], primary: 'B:27017' }),
    );
    expect(snapshot.type).toBe('ReplicaSetNoPrimary');
    expect(snapshot.setName).toBe('rs');
    expect(snapshot.servers.get('b:27017')?.type).toBe('PossiblePrimary');
    snapshot = applyServerDescription(
      snapshot,
      hello('b:27017', { isWritablePrimary: true, setName: 'rs', hosts: ['a:27017', 'b:27017'] }),
    );
    expect(snapshot.type).toBe('ReplicaSetWithPrimary');
    expect(primaryOf(snapshot)?.address).toBe('b:27017');
  });

  it('demotes the old primary when a newer one appears, with an error saying why', () => {
    let snapshot = replicaSet(3);
    snapshot = applyServerDescription(
      snapshot,
      hello('m1:27017', {
        isWritablePrimary: true,
        setName: 'rs',
        hosts: members(3),
        electionId: new ObjectId('000000000000000000000009'),
        setVersion: 1,
      }),
    );
    expect(primaryOf(snapshot)?.address).toBe('m1:27017');
    expect(snapshot.servers.get('m0:27017')).toMatchObject({
      type: 'Unknown',
      error: { message: expect.stringContaining('primary marked stale due to discovery of newer primary') },
    });
  });

  it('marks a primary with an older electionId stale (6.0+) and keeps the newer one', () => {
    let snapshot = initialTopologyDescription(['a', 'b'], { replicaSet: 'rs', now: 0 });
    const primary = (address: string, id: string) =>
      hello(address, {
        isWritablePrimary: true,
        setName: 'rs',
        hosts: ['a:27017', 'b:27017'],
        setVersion: 1,
        electionId: new ObjectId(id),
      });
    snapshot = applyServerDescription(snapshot, primary('b:27017', '000000000000000000000002'));
    const before = snapshot;
    snapshot = applyServerDescription(snapshot, primary('a:27017', '000000000000000000000001'));
    expect(snapshot.servers.get('a:27017')?.error?.message).toMatch(
      /primary marked stale due to electionId\/setVersion mismatch/,
    );
    expect(primaryOf(snapshot)?.address).toBe('b:27017');
    expect(snapshot.maxElectionId).toBe(before.maxElectionId);
  });

  it('removes a member whose "me" differs from its address, and members the primary does not list', () => {
    let snapshot = initialTopologyDescription(['a', 'b', 'c'], { replicaSet: 'rs', now: 0 });
    snapshot = applyServerDescription(
      snapshot,
      hello('a:27017', { secondary: true, setName: 'rs', hosts: ['a:27017', 'b:27017'], me: 'x:27017' }),
    );
    expect(snapshot.servers.has('a:27017')).toBe(false);
    snapshot = applyServerDescription(
      snapshot,
      hello('b:27017', {
        isWritablePrimary: true,
        setName: 'rs',
        hosts: ['b:27017'],
        passives: ['p:27017'],
        arbiters: ['ARB:27017'],
      }),
    );
    expect([...snapshot.servers.keys()].sort()).toEqual(['arb:27017', 'b:27017', 'p:27017']);
  });

  it('makes a lone seed that is a standalone Single, and removes a standalone among several seeds', () => {
    const single = applyServerDescription(
      initialTopologyDescription(['a'], { now: 0 }),
      hello('a:27017', {}),
    );
    expect(single.type).toBe('Single');
    const several = applyServerDescription(
      initialTopologyDescription(['a', 'b'], { now: 0 }),
      hello('a:27017', {}),
    );
    expect(several.type).toBe('Unknown');
    expect([...several.servers.keys()]).toEqual(['b:27017']);
    // The seed count is remembered: the other seed, also a standalone, is removed too.
    expect(applyServerDescription(several, hello('b:27017', {})).servers.size).toBe(0);
  });

  it('direct connection with a replica set name replaces a server of another set with Unknown', () => {
    const snapshot = initialTopologyDescription(['a'], { directConnection: true, replicaSet: 'rs', now: 0 });
    const next = applyServerDescription(
      snapshot,
      hello('a:27017', { isWritablePrimary: true, setName: 'other', hosts: ['a:27017'] }),
    );
    expect(next.type).toBe('Single');
    expect(next.servers.get('a:27017')).toMatchObject({
      type: 'Unknown',
      error: { name: 'ReplicaSetNameMismatchError' },
    });
  });

  it('computes compatibility with the specification wording and the session timeout', () => {
    let snapshot = initialTopologyDescription(['a', 'b'], { now: 0 });
    snapshot = applyServerDescription(
      snapshot,
      hello('a:27017', { msg: 'isdbgrid', maxWireVersion: 1, logicalSessionTimeoutMinutes: 30 }),
    );
    expect(snapshot.compatible).toBe(false);
    expect(snapshot.compatibilityError).toBe(
      'Server at a:27017 reports wire version 1, but this version of waspnest requires at least 6 (MongoDB 3.6).',
    );
    snapshot = applyServerDescription(
      snapshot,
      hello('a:27017', {
        msg: 'isdbgrid',
        minWireVersion: 99,
        maxWireVersion: 100,
        logicalSessionTimeoutMinutes: 30,
      }),
    );
    expect(snapshot.compatibilityError).toBe(
      'Server at a:27017 requires wire version 99, but this version of waspnest only supports up to 29.',
    );
    snapshot = applyServerDescription(
      snapshot,
      hello('a:27017', { msg: 'isdbgrid', logicalSessionTimeoutMinutes: 30 }),
    );
    snapshot = applyServerDescription(
      snapshot,
      hello('b:27017', { msg: 'isdbgrid', logicalSessionTimeoutMinutes: 20 }),
    );
    expect(snapshot).toMatchObject({
      type: 'Sharded',
      compatible: true,
      compatibilityError: null,
      logicalSessionTimeoutMinutes: 20,
    });
  });

  it('ignores everything but a LoadBalancer description in a load-balanced topology', () => {
    const snapshot = initialTopologyDescription(['lb'], { loadBalanced: true, now: 0 });
    expect(
      applyServerDescription(snapshot, hello('lb:27017', { isWritablePrimary: true, setName: 'rs' })),
    ).toBe(snapshot);
  });
});

describe('replaceSeedList (SRV polling)', () => {
  it('keeps the servers still listed, adds new ones, removes the others', () => {
    let snapshot = initialTopologyDescription(['a', 'b'], { now: 0 });
    snapshot = applyServerDescription(snapshot, hello('a:27017', { msg: 'isdbgrid' }));
    const kept = snapshot.servers.get('a:27017');
    const next = replaceSeedList(snapshot, ['A:27017', 'c'], 7);
    expect([...next.servers.keys()]).toEqual(['a:27017', 'c:27017']);
    expect(next.servers.get('a:27017')).toBe(kept);
    expect(next.version).toBe(snapshot.version + 1);
    expect(replaceSeedList(next, ['c', 'a'], 8)).toBe(next);
    expect(replaceSeedList(next, [], 9)).toBe(next);
  });

  it('leaves replica sets alone', () => {
    const snapshot = replicaSet(3);
    expect(replaceSeedList(snapshot, ['z:27017'], 1)).toBe(snapshot);
  });
});

describe('the replication lag is always current', () => {
  const hosts = members(3);
  const secondary = (now: number, lastWriteDate: number) =>
    hello(
      hosts[1]!,
      { secondary: true, setName: 'rs', hosts, lastWrite: { lastWriteDate: new Date(lastWriteDate) } },
      now,
      rtt10,
    );
  const base = applyServerDescription(replicaSet(3), secondary(1_000, 1_000));

  it.each([
    ['keeps up', 6_000, 6_000],
    ['falls behind by 8 s', 9_000, 1_000],
    ['stopped replicating for 10 s', 11_000, 1_000],
  ])(
    'a secondary that %s: its check time and last write are replaced, with no event',
    (_, now, lastWrite) => {
      const next = applyServerDescription(base, secondary(now, lastWrite));
      expect(next).not.toBe(base);
      expect(next.version).toBe(base.version + 1);
      expect(next.servers.get(hosts[1]!)?.lastUpdateTime).toBe(now);
      expect(next.servers.get(hosts[1]!)?.lastWriteDate).toBe(lastWrite);
      expect(sdamEventsBetween(base, next)).toEqual([]);
    },
  );
});
