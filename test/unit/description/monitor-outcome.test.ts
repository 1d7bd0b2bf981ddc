import { describe, expect, it } from 'vitest';
import { NO_ERROR_ACTIONS } from '../../../src/description/application-error.js';
import { applyServerDescription } from '../../../src/description/apply-server-description.js';
import { applyMonitorOutcome, poolReady } from '../../../src/description/monitor-outcome.js';
import { ServerType } from '../../../src/description/server-type.js';
import {
  serverDescriptionFromError,
  serverDescriptionFromHello,
} from '../../../src/description/server-description.js';
import { initialTopologyDescription } from '../../../src/description/topology-description.js';
import { NetworkError, NetworkTimeoutError } from '../../../src/errors.js';

const start = () => initialTopologyDescription(['a:27017', 'b:27017'], { replicaSet: 'rs', now: 0 });
const primaryA = serverDescriptionFromHello(
  'a:27017',
  { ok: 1, isWritablePrimary: true, setName: 'rs', hosts: ['a:27017', 'b:27017'], maxWireVersion: 21 },
  { now: 1 },
);
const failed = (error: Error) => serverDescriptionFromError('a:27017', error, { now: 2 });

describe('applyMonitorOutcome', () => {
  it('applies a successful check without touching the pool', () => {
    const snapshot = start();
    const outcome = applyMonitorOutcome(snapshot, primaryA);
    expect(outcome.snapshot).toEqual(applyServerDescription(snapshot, primaryA));
    expect(outcome.snapshot.servers.get('a:27017')?.type).toBe(ServerType.RSPrimary);
    expect(outcome.actions).toBe(NO_ERROR_ACTIONS);
  });

  it('clears the pool of a ready server whose check failed, without interrupting', () => {
    const ready = applyMonitorOutcome(start(), primaryA).snapshot;
    const outcome = applyMonitorOutcome(ready, failed(new NetworkError('connection reset')));
    expect(outcome.snapshot.servers.get('a:27017')?.type).toBe(ServerType.Unknown);
    expect(outcome.actions).toMatchObject({ clearPool: true, interruptInUseConnections: false });
  });

  it('also interrupts in-use connections when the check timed out', () => {
    const ready = applyMonitorOutcome(start(), primaryA).snapshot;
    const outcome = applyMonitorOutcome(ready, failed(new NetworkTimeoutError('timed out')));
    expect(outcome.actions).toMatchObject({ clearPool: true, interruptInUseConnections: true });
  });

  it('clears once: a server already failing (paused pool) or never checked is not cleared again', () => {
    const ready = applyMonitorOutcome(start(), primaryA).snapshot;
    const failing = applyMonitorOutcome(ready, failed(new NetworkError('reset'))).snapshot;
    expect(poolReady(failing.servers.get('a:27017')!)).toBe(false);
    expect(applyMonitorOutcome(failing, failed(new NetworkError('reset again'))).actions).toBe(
      NO_ERROR_ACTIONS,
    );
    expect(applyMonitorOutcome(start(), failed(new NetworkError('never reached'))).actions).toBe(
      NO_ERROR_ACTIONS,
    );
  });

  it('ignores a description of a server outside the snapshot', () => {
    const snapshot = start();
    const stranger = serverDescriptionFromError('z:27017', new NetworkError('reset'), { now: 2 });
    const outcome = applyMonitorOutcome(snapshot, stranger);
    expect(outcome.actions).toBe(NO_ERROR_ACTIONS);
    expect(outcome.snapshot).toBe(applyServerDescription(snapshot, stranger));
  });
});
