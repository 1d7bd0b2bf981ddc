import { describe, expect, it } from 'vitest';
import { DeadlineQueue, type Deadline } from '../../../src/time/deadline-queue.js';
import { VirtualClock } from '../../../src/testing/virtual-clock.js';

interface Entry extends Deadline {
  deadline: number;
  heapIndex: number;
  readonly name: string;
}

const entry = (name: string, deadline: number): Entry => ({ name, deadline, heapIndex: -1 });

function setup() {
  const clock = new VirtualClock();
  const batches: { names: string[]; stalled: boolean; at: number }[] = [];
  const queue = new DeadlineQueue<Entry>({
    clock,
    expire: (expired, stalled) =>
      batches.push({ names: expired.map((e) => e.name), stalled, at: clock.now() }),
  });
  return { clock, queue, batches };
}

describe('DeadlineQueue', () => {
  it('expires entries in deadline order with a single timer', () => {
    const { clock, queue, batches } = setup();
    queue.add(entry('c', 300));
    queue.add(entry('a', 100));
    queue.add(entry('b', 200));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(1000);
    expect(batches).toEqual([
      { names: ['a'], stalled: false, at: 100 },
      { names: ['b'], stalled: false, at: 200 },
      { names: ['c'], stalled: false, at: 300 },
    ]);
    expect(queue.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('expires every entry due at the same time in one batch', () => {
    const { clock, queue, batches } = setup();
    for (let i = 0; i < 1000; i++) queue.add(entry(`e${i}`, 50));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(50);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.names).toHaveLength(1000);
  });

  it('removes entries and disarms the timer when it empties', () => {
    const { clock, queue, batches } = setup();
    const a = entry('a', 100);
    const b = entry('b', 200);
    queue.add(a);
    queue.add(b);
    queue.remove(a);
    queue.remove(a); // harmless twice
    expect(queue.size).toBe(1);
    queue.remove(b);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1000);
    expect(batches).toEqual([]);
  });

  it('keeps heap order under random insertions and removals', () => {
    const { clock, queue, batches } = setup();
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const entries = Array.from({ length: 500 }, (_, i) => entry(`e${i}`, 1 + Math.floor(random() * 1000)));
    for (const e of entries) queue.add(e);
    const removed = new Set(entries.filter(() => random() < 0.3));
    for (const e of removed) queue.remove(e);
    clock.advance(2000);
    const fired = batches.flatMap((b) => b.names);
    const expected = entries
      .filter((e) => !removed.has(e))
      .sort((x, y) => x.deadline - y.deadline)
      .map((e) => e.deadline);
    const byName = new Map(entries.map((e) => [e.name, e.deadline]));
    expect(fired.map((name) => byName.get(name))).toEqual(expected);
  });

  it('never queues an infinite deadline', () => {
    const { clock, queue } = setup();
    queue.add(entry('forever', Infinity));
    expect(queue.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports a stall when the timer fires far later than it asked', () => {
    const clock = new VirtualClock();
    const batches: boolean[] = [];
    const queue = new DeadlineQueue<Entry>({ clock, expire: (_expired, stalled) => batches.push(stalled) });
    queue.add(entry('a', 100));
    // A clock that jumps past the deadline before the timer runs: the process was paused.
    const late = new VirtualClock();
    const lateQueue = new DeadlineQueue<Entry>({
      clock: {
        now: () => late.now(),
        setTimeout: (callback, ms) =>
          late.setTimeout(() => {
            late.advance(60_000); // the timer "fires" a minute late
            callback();
          }, ms),
      },
      expire: (_expired, stalled) => batches.push(stalled),
    });
    lateQueue.add(entry('b', 100));
    clock.advance(100);
    late.advance(100);
    expect(batches).toEqual([false, true]);
  });

  it('drain empties the queue without expiring anything', () => {
    const { clock, queue, batches } = setup();
    queue.add(entry('a', 10));
    queue.add(entry('b', 20));
    expect(
      queue
        .drain()
        .map((e) => e.name)
        .sort(),
    ).toEqual(['a', 'b']);
    clock.advance(100);
    expect(batches).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
