import { describe, expect, it } from 'vitest';
import { initialTopologyDescription } from '../../../src/description/topology-description.js';
import type { Address } from '../../../src/description/types.js';
import { VirtualClock } from '../../../src/testing/virtual-clock.js';
import { Refresher, type RefreshMonitors } from '../../../src/topology/refresher.js';

/** Monitors that record requests; `streaming` ones are current and not waited for. */
function setup(addresses: Address[], streaming: Address[] = []) {
  const requests: number[] = [];
  const rounds: number[] = [];
  let waiting = false;
  const monitors: RefreshMonitors = {
    size: addresses.length,
    addresses: () => addresses,
    notStreaming: () => addresses.filter((a) => !streaming.includes(a)),
    requestAll: () => requests.push(requests.length + 1),
  };
  const snapshot = initialTopologyDescription(addresses, { now: 0 });
  const refresher = new Refresher({
    monitors,
    snapshot: () => snapshot,
    selectionsWaiting: () => waiting,
    refreshed: (round) => rounds.push(round),
    clock: new VirtualClock(),
    graceMS: 1_000,
    timeoutError: (ms) => new Error(`no round within ${ms} ms`),
  });
  return { refresher, requests, rounds, setWaiting: (w: boolean) => (waiting = w) };
}

describe('Refresher', () => {
  it('makes any number of requests one round, which ends when every polling monitor reported', async () => {
    const { refresher, requests, rounds } = setup(['a:1', 'b:1']);
    refresher.request();
    refresher.request();
    refresher.request();
    expect(requests).toHaveLength(1);
    const waited = refresher.wait(5_000);
    refresher.reported('a:1');
    expect(rounds).toEqual([]);
    refresher.reported('b:1');
    expect(rounds).toEqual([1]);
    await expect(waited).resolves.toBeDefined();
    refresher.request();
    expect(requests).toHaveLength(2);
  });

  it('does not wait for streaming monitors, and starts no round when all of them stream', () => {
    const { refresher, requests, rounds } = setup(['a:1', 'b:1'], ['b:1']);
    refresher.request();
    refresher.reported('a:1');
    expect(rounds).toEqual([1]);
    const allStreaming = setup(['a:1'], ['a:1']);
    allStreaming.refresher.request();
    expect(allStreaming.requests).toHaveLength(0);
    expect(allStreaming.refresher.inProgress).toBe(false);
    expect(requests).toHaveLength(1);
  });

  it('counts the first checks of monitoring as a round, and a removed monitor as reported', () => {
    const { refresher, requests, rounds } = setup(['a:1', 'b:1']);
    refresher.opened();
    refresher.request(); // joins the first round: no extra checks
    expect(requests).toHaveLength(0);
    refresher.reported('a:1');
    refresher.removed('b:1');
    expect(rounds).toEqual([]);
    refresher.finishIfComplete();
    expect(rounds).toEqual([1]);
  });

  it('asks for the next round while callers still wait for a server', () => {
    const { refresher, requests, rounds, setWaiting } = setup(['a:1']);
    setWaiting(true);
    refresher.request();
    refresher.reported('a:1');
    expect(rounds).toEqual([1]);
    expect(requests).toHaveLength(2);
    setWaiting(false);
    refresher.reported('a:1');
    expect(rounds).toEqual([1, 2]);
    expect(requests).toHaveLength(2);
  });
});
