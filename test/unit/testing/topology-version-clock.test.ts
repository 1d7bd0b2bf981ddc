import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { TimerRegistry, WaitAbortedError } from '../../../src/testing/timer-registry.js';
import { TopologyVersionClock } from '../../../src/testing/topology-version-clock.js';

// A 50-member set with two streaming clients has 100 awaitable hellos pending on one
// deployment's TimerRegistry: the waits must not each add an abort listener to its signal.
describe('waits on a shared TimerRegistry', () => {
  it('many awaitable-hello waits add no listener to the registry signal, and a bump wakes them all', async () => {
    const timers = new TimerRegistry();
    const clocks = Array.from({ length: 50 }, () => new TopologyVersionClock());
    const requests = Array.from({ length: 100 }, () => new AbortController());
    const waits = requests.map((request, i) =>
      (clocks[i % 50] as TopologyVersionClock).waitForChange(60_000, request.signal, timers),
    );
    expect(getEventListeners(timers.signal, 'abort')).toHaveLength(0);
    for (const clock of clocks) clock.bump();
    await expect(Promise.all(waits)).resolves.toHaveLength(100);
    for (const request of requests) expect(getEventListeners(request.signal, 'abort')).toHaveLength(0);
    timers.close();
  });

  it('closing the registry rejects every pending wait and delay with WaitAbortedError', async () => {
    const timers = new TimerRegistry();
    const clock = new TopologyVersionClock();
    const waits = Array.from({ length: 20 }, () =>
      clock.waitForChange(60_000, new AbortController().signal, timers),
    );
    const delays = Array.from({ length: 20 }, () => timers.delay(60_000));
    expect(getEventListeners(timers.signal, 'abort')).toHaveLength(0);
    timers.close();
    const outcomes = await Promise.allSettled([...waits, ...delays]);
    expect(outcomes.map((o) => o.status === 'rejected' && o.reason instanceof WaitAbortedError)).toEqual(
      Array.from({ length: 40 }, () => true),
    );
  });

  it('an aborted request ends only its own wait, and is forgotten by the registry', async () => {
    const timers = new TimerRegistry();
    const clock = new TopologyVersionClock();
    const request = new AbortController();
    const aborted = clock.waitForChange(60_000, request.signal, timers);
    const other = clock.waitForChange(60_000, new AbortController().signal, timers);
    request.abort();
    await expect(aborted).rejects.toBeInstanceOf(WaitAbortedError);
    clock.bump();
    await expect(other).resolves.toBeUndefined();
    let called = 0;
    timers.onClose(() => called++);
    timers.close();
    timers.close();
    expect(called).toBe(1);
  });
});
