import { describe, expect, it } from 'vitest';
import { ObjectId } from 'bson';
import { applyServerDescription } from '../../src/description/apply-server-description.js';
import {
  serverDescriptionFromError,
  serverDescriptionFromHello,
} from '../../src/description/server-description.js';
import { initialTopologyDescription } from '../../src/description/topology-description.js';
import type { TopologyDescription } from '../../src/description/types.js';
import { derivedStateOf, HighLevelEventDeriver } from '../../src/events/high-level-events.js';

const hosts = ['a:27017', 'b:27017'];

function hello(address: string, role: 'primary' | 'secondary', election = 1) {
  return serverDescriptionFromHello(
    address,
    {
      ok: 1,
      isWritablePrimary: role === 'primary',
      secondary: role === 'secondary',
      setName: 'rs0',
      hosts,
      me: address,
      minWireVersion: 0,
      maxWireVersion: 21,
      setVersion: 1,
      ...(role === 'primary' ? { electionId: new ObjectId(`7fffffff000000000000000${election}`) } : {}),
    },
    { now: 0, roundTripTime: null },
  );
}

function start(): TopologyDescription {
  return initialTopologyDescription(hosts, { now: 0, replicaSet: 'rs0' });
}

describe('HighLevelEventDeriver', () => {
  it('announces the first primary with the time since the start, and writable/readable', () => {
    const deriver = new HighLevelEventDeriver({ startedAt: 100 });
    const s0 = start();
    const s1 = applyServerDescription(s0, hello('a:27017', 'primary'));
    const events = deriver.eventsBetween(s0, s1, 130);
    expect(events.map((e) => e.name)).toEqual(['primaryChanged', 'writableChanged', 'readableChanged']);
    expect(events[0]?.payload).toMatchObject({
      previous: null,
      current: 'a:27017',
      durationMS: 30,
      snapshot: s1,
    });
    expect(events[1]?.payload).toMatchObject({ writable: true });
    expect(events[2]?.payload).toMatchObject({ readable: true });
  });

  it('measures how long there was no primary when one is lost and another elected', () => {
    const deriver = new HighLevelEventDeriver({ startedAt: 0 });
    const s0 = start();
    const s1 = applyServerDescription(s0, hello('a:27017', 'primary'));
    const s2 = applyServerDescription(s1, hello('b:27017', 'secondary'));
    deriver.eventsBetween(s0, s1, 10);
    expect(deriver.eventsBetween(s1, s2, 20)).toEqual([]);
    const s3 = applyServerDescription(
      s2,
      serverDescriptionFromError('a:27017', new Error('reset'), { now: 30 }),
    );
    const lost = deriver.eventsBetween(s2, s3, 30);
    expect(lost.map((e) => e.name)).toEqual(['primaryChanged', 'writableChanged']);
    expect(lost[0]?.payload).toMatchObject({ previous: 'a:27017', current: null, durationMS: null });
    const s4 = applyServerDescription(s3, hello('b:27017', 'primary', 2));
    const found = deriver.eventsBetween(s3, s4, 75);
    expect(found[0]?.payload).toMatchObject({ previous: null, current: 'b:27017', durationMS: 45 });
  });

  it('reports a direct switch with no gap', () => {
    const deriver = new HighLevelEventDeriver({ startedAt: 0 });
    const s0 = start();
    const s1 = applyServerDescription(s0, hello('a:27017', 'primary'));
    const s2 = applyServerDescription(s1, hello('b:27017', 'primary', 2));
    deriver.eventsBetween(s0, s1, 1);
    const events = deriver.eventsBetween(s1, s2, 2);
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ previous: 'a:27017', current: 'b:27017', durationMS: 0 });
  });

  it('derives nothing from the same snapshot', () => {
    const s0 = start();
    expect(new HighLevelEventDeriver({ startedAt: 0 }).eventsBetween(s0, s0, 5)).toEqual([]);
  });

  it('caches the derived state per snapshot and agrees with derivedStateOf', () => {
    const deriver = new HighLevelEventDeriver({ startedAt: 0 });
    const s1 = applyServerDescription(start(), hello('b:27017', 'secondary'));
    expect(deriver.stateOf(s1)).toBe(deriver.stateOf(s1));
    expect(deriver.stateOf(s1)).toEqual(derivedStateOf(s1));
    expect(derivedStateOf(s1)).toEqual({ writable: false, readable: true });
  });
});
