import { describe, expect, it } from 'vitest';
import { applyServerDescription } from '../../../src/description/apply-server-description.js';
import { sdamEventsBetween, type SdamEvent } from '../../../src/description/sdam-events.js';
import { initialTopologyDescription } from '../../../src/description/topology-description.js';
import { serverDescriptionFromHello } from '../../../src/description/server-description.js';
import { addRttSample, emptyRttStats } from '../../../src/description/round-trip-time.js';

const hello = (address: string, fields: Record<string, unknown>, rtt = 10) =>
  serverDescriptionFromHello(
    address,
    { ok: 1, maxWireVersion: 21, ...fields },
    { now: 1, roundTripTime: addRttSample(emptyRttStats, rtt) },
  );
const summary = (events: SdamEvent[]) =>
  events.map((e) => ('address' in e ? `${e.type} ${e.address}` : e.type));

describe('sdamEventsBetween', () => {
  it('gives nothing for the same snapshot', () => {
    const snapshot = initialTopologyDescription(['a'], { now: 0 });
    expect(sdamEventsBetween(snapshot, snapshot)).toEqual([]);
  });

  it('opens a topology: the description first, then each server', () => {
    const empty = initialTopologyDescription([], { now: 0 });
    const snapshot = initialTopologyDescription(['a', 'b'], { now: 0 });
    expect(summary(sdamEventsBetween(empty, snapshot))).toEqual([
      'topologyDescriptionChanged',
      'serverOpening a:27017',
      'serverOpening b:27017',
    ]);
  });

  it('orders changed, closed, topology, opened — as the monitoring spec tests do', () => {
    const start = initialTopologyDescription(['a', 'b'], { now: 0 });
    const next = applyServerDescription(
      start,
      hello('a:27017', { isWritablePrimary: true, setName: 'rs', hosts: ['a:27017', 'c:27017'] }),
    );
    const events = sdamEventsBetween(start, next);
    expect(summary(events)).toEqual([
      'serverDescriptionChanged a:27017',
      'serverClosed b:27017',
      'topologyDescriptionChanged',
      'serverOpening c:27017',
    ]);
    expect(events[0]).toMatchObject({
      previousDescription: start.servers.get('a:27017'),
      newDescription: next.servers.get('a:27017'),
    });
    expect(events[2]).toMatchObject({ previousDescription: start, newDescription: next });
  });

  it('does not report the PossiblePrimary hint as a server change', () => {
    const start = initialTopologyDescription(['a', 'b'], { replicaSet: 'rs', now: 0 });
    const next = applyServerDescription(
      start,
      hello('a:27017', { secondary: true, setName: 'rs', hosts: ['a:27017', 'b:27017'], primary: 'b:27017' }),
    );
    expect(next.servers.get('b:27017')?.type).toBe('PossiblePrimary');
    expect(summary(sdamEventsBetween(start, next))).toEqual([
      'serverDescriptionChanged a:27017',
      'topologyDescriptionChanged',
    ]);
  });

  it('reports a demoted primary as changed', () => {
    let snapshot = initialTopologyDescription(['a', 'b'], { replicaSet: 'rs', now: 0 });
    snapshot = applyServerDescription(
      snapshot,
      hello('a:27017', { isWritablePrimary: true, setName: 'rs', hosts: ['a:27017', 'b:27017'] }),
    );
    const next = applyServerDescription(
      snapshot,
      hello('b:27017', { isWritablePrimary: true, setName: 'rs', hosts: ['a:27017', 'b:27017'] }),
    );
    expect(summary(sdamEventsBetween(snapshot, next))).toEqual([
      'serverDescriptionChanged a:27017',
      'serverDescriptionChanged b:27017',
      'topologyDescriptionChanged',
    ]);
  });

  it('publishes nothing when only a round-trip time moved', () => {
    const start = initialTopologyDescription(['a'], { directConnection: true, now: 0 });
    const first = applyServerDescription(start, hello('a:27017', {}, 10));
    const slower = applyServerDescription(first, hello('a:27017', {}, 300));
    expect(slower).not.toBe(first);
    expect(sdamEventsBetween(first, slower)).toEqual([]);
  });
});
