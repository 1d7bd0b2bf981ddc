import { describe, expect, it } from 'vitest';
import { NO_ERROR_ACTIONS } from '../../../src/description/application-error.js';
import { ServerType, TopologyType } from '../../../src/description/server-type.js';
import {
  serverDescriptionFromError,
  serverDescriptionFromHello,
} from '../../../src/description/server-description.js';
import { initialTopologyDescription } from '../../../src/description/topology-description.js';
import { applyTopologyInput } from '../../../src/description/topology-input.js';
import { NetworkError } from '../../../src/errors.js';

const hosts = ['a:27017', 'b:27017'];
const start = () => initialTopologyDescription(hosts, { replicaSet: 'rs', now: 0 });
const primaryA = serverDescriptionFromHello(
  'a:27017',
  { ok: 1, isWritablePrimary: true, setName: 'rs', hosts, maxWireVersion: 21 },
  { now: 1 },
);
const withPrimary = () =>
  applyTopologyInput(start(), { kind: 'checked', address: 'a:27017', description: primaryA }).snapshot;

describe('applyTopologyInput', () => {
  it('applies a check, clearing the pool of a ready server whose check failed', () => {
    const ready = withPrimary();
    expect(ready.type).toBe(TopologyType.ReplicaSetWithPrimary);
    const failed = serverDescriptionFromError('a:27017', new NetworkError('reset'), { now: 2 });
    const outcome = applyTopologyInput(ready, { kind: 'checked', address: 'a:27017', description: failed });
    expect(outcome.snapshot.servers.get('a:27017')?.type).toBe(ServerType.Unknown);
    expect(outcome.actions).toMatchObject({ clearPool: true, cancelInFlightCheck: false });
  });

  it('applies an application error: the server is Unknown, its pool cleared, its check cancelled', () => {
    const outcome = applyTopologyInput(withPrimary(), {
      kind: 'applicationError',
      address: 'a:27017',
      error: new NetworkError('connection reset'),
      context: { now: 3, when: 'afterHandshakeCompletes', maxWireVersion: 21, poolGeneration: 0 },
    });
    expect(outcome.snapshot.servers.get('a:27017')?.type).toBe(ServerType.Unknown);
    expect(outcome.actions).toMatchObject({ clearPool: true, cancelInFlightCheck: true });
  });

  it('returns the same snapshot for a stale application error (an older pool generation)', () => {
    const ready = withPrimary();
    const outcome = applyTopologyInput(ready, {
      kind: 'applicationError',
      address: 'a:27017',
      error: new NetworkError('connection reset'),
      context: {
        now: 3,
        when: 'afterHandshakeCompletes',
        maxWireVersion: 21,
        poolGeneration: 2,
        errorGeneration: 1,
      },
    });
    expect(outcome.snapshot).toBe(ready);
    expect(outcome.actions).toBe(NO_ERROR_ACTIONS);
  });

  it('replaces the seed list from an SRV rescan', () => {
    const snapshot = initialTopologyDescription(hosts, { now: 0 });
    const outcome = applyTopologyInput(snapshot, { kind: 'seedList', hosts: ['b:27017', 'c:27017'], now: 5 });
    expect([...outcome.snapshot.servers.keys()].sort()).toEqual(['b:27017', 'c:27017']);
    expect(outcome.actions).toBe(NO_ERROR_ACTIONS);
  });

  it('makes the seed of a load-balanced topology a LoadBalancer when monitoring opens, and nothing else', () => {
    const balanced = initialTopologyDescription(['lb:27017'], { loadBalanced: true, now: 0 });
    const opened = applyTopologyInput(balanced, { kind: 'opened', now: 7 }).snapshot;
    expect(opened.servers.get('lb:27017')?.type).toBe(ServerType.LoadBalancer);
    const replicaSet = start();
    expect(applyTopologyInput(replicaSet, { kind: 'opened', now: 7 }).snapshot).toBe(replicaSet);
  });
});
