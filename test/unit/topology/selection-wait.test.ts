/**
 * SelectionWait, the slow path of selection, without sockets: the selection is a table from
 * snapshot to result, time is a VirtualClock, and the refreshes it asks for are counted.
 */
import { describe, expect, it } from 'vitest';
import { serverDescriptionFromHello } from '../../../src/description/server-description.js';
import { initialTopologyDescription } from '../../../src/description/topology-description.js';
import type { ServerDescription, TopologyDescription } from '../../../src/description/types.js';
import { connectCriteria, selectionCriteria } from '../../../src/selection/criteria.js';
import type { SelectionFailureReason, SelectionResult } from '../../../src/selection/select-servers.js';
import type { SelectionFailure } from '../../../src/selection/selection-error.js';
import { VirtualClock } from '../../../src/testing/virtual-clock.js';
import { SelectionWait } from '../../../src/topology/selection-wait.js';

const server: ServerDescription = serverDescriptionFromHello(
  'a:1',
  { ok: 1, isWritablePrimary: true, minWireVersion: 0, maxWireVersion: 21 },
  { now: 0 },
);

function miss(reason: SelectionFailureReason = 'noPrimary'): SelectionResult {
  return { suitable: [], inLatencyWindow: [], reason, explanation: `no server (${reason})` };
}

const hit: SelectionResult = {
  suitable: [server],
  inLatencyWindow: [server],
  reason: null,
  explanation: null,
};

class FailedSelection extends Error {
  constructor(readonly failure: SelectionFailure) {
    super(failure.kind);
  }
}

function setup(first: SelectionResult = miss()) {
  const clock = new VirtualClock(1_000);
  const results = new Map<TopologyDescription, SelectionResult>();
  let snapshot = initialTopologyDescription(['a:1'], { now: 0 });
  results.set(snapshot, first);
  const counts = { selections: 0, errors: 0, refreshes: 0 };
  const busy: boolean[] = [];
  let startupError: Error | undefined;
  const waits = new SelectionWait({
    clock,
    snapshot: () => snapshot,
    select: (of) => {
      counts.selections += 1;
      return results.get(of) ?? miss();
    },
    pick: (candidates) => candidates[0],
    selectionError: (_criteria, _snapshot, _result, failure) => {
      counts.errors += 1;
      return new FailedSelection(failure);
    },
    startupError: () => startupError,
    refresh: () => (counts.refreshes += 1),
    graceMS: 500,
    busyChanged: (value) => busy.push(value),
  });
  /** A new snapshot whose selection gives `result`, told to the wait as the Topology's swap does. */
  const change = (result: SelectionResult): void => {
    snapshot = initialTopologyDescription(['a:1'], { now: clock.now() });
    results.set(snapshot, result);
    waits.snapshotChanged(snapshot);
  };
  return { clock, waits, counts, busy, change, failStartup: (error: Error) => (startupError = error) };
}

function outcome(promise: Promise<ServerDescription>): { settled: unknown } {
  const state: { settled: unknown } = { settled: undefined };
  promise.then(
    (value) => (state.settled = value),
    (error: unknown) => (state.settled = error),
  );
  return state;
}

describe('SelectionWait', () => {
  it('answers from the current snapshot without a refresh or a wait', async () => {
    const { waits, counts } = setup(hit);
    await expect(waits.select(connectCriteria, 1_000)).resolves.toBe(server);
    expect(counts).toEqual({ selections: 1, errors: 0, refreshes: 0 });
    expect(waits.size).toBe(0);
  });

  it('fails at once, without a refresh, when waiting cannot help', async () => {
    const { waits, counts } = setup(miss('incompatible'));
    await expect(waits.select(connectCriteria, 1_000)).rejects.toEqual(
      new FailedSelection({ kind: 'immediate' }),
    );
    expect(counts.refreshes).toBe(0);
    expect(waits.size).toBe(0);
  });

  it('rejects every selection with the startup error once opening failed', async () => {
    const { waits, counts, failStartup } = setup(miss('incompatible'));
    const error = new Error('SRV lookup failed');
    failStartup(error);
    await expect(waits.select(connectCriteria, 1_000)).rejects.toBe(error);
    expect(counts).toEqual({ selections: 1, errors: 0, refreshes: 0 });
  });

  it('with no time to wait, asks for a refresh and fails with a time-out at once', async () => {
    const { waits, counts } = setup();
    const failed = waits.afterMiss(connectCriteria, miss(), 0);
    await expect(failed).rejects.toEqual(new FailedSelection({ kind: 'timeout', timeoutMS: 0 }));
    expect(counts.refreshes).toBe(1);
    expect(waits.size).toBe(0);
  });

  it('answers every waiter of a group from one selection of the snapshot that has a server', async () => {
    const { waits, counts, busy, change } = setup();
    const primary = selectionCriteria('primary', undefined);
    const first = waits.select(primary, 5_000);
    const second = waits.select(selectionCriteria('primary', undefined), 5_000);
    expect(counts.refreshes).toBe(2);
    expect({ size: waits.size, groups: waits.groups }).toEqual({ size: 2, groups: 1 });
    expect(busy).toEqual([true]);
    counts.selections = 0;
    change(miss());
    expect(counts.selections).toBe(1);
    change(hit);
    expect(counts.selections).toBe(2);
    await expect(Promise.all([first, second])).resolves.toEqual([server, server]);
    expect(busy).toEqual([true, false]);
    expect(waits.size).toBe(0);
  });

  it('times out on the clock, with one error per group and timeout', async () => {
    const { clock, waits, counts } = setup();
    const first = outcome(waits.select(connectCriteria, 1_000));
    const second = outcome(waits.select(connectCriteria, 1_000));
    clock.advance(999);
    await Promise.resolve();
    expect(first.settled).toBeUndefined();
    clock.advance(1);
    await Promise.resolve();
    expect(first.settled).toEqual(new FailedSelection({ kind: 'timeout', timeoutMS: 1_000 }));
    expect(second.settled).toBe(first.settled);
    expect(counts.errors).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ends a wait when its signal aborts, with the signal reason', async () => {
    const { waits } = setup();
    const controller = new AbortController();
    const waiting = waits.select(connectCriteria, Infinity, controller.signal);
    expect(waits.size).toBe(1);
    controller.abort(new Error('caller gave up'));
    await expect(waiting).rejects.toThrow('caller gave up');
    expect(waits.size).toBe(0);
  });
});
