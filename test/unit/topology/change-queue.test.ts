import { describe, expect, it } from 'vitest';
import { ChangeQueue } from '../../../src/topology/change-queue.js';
import { OperationCounts } from '../../../src/topology/operation-counts.js';

describe('ChangeQueue', () => {
  it("runs a change caused by a listener after the current change's effects, events in order", () => {
    const log: string[] = [];
    const queue: ChangeQueue<number, string> = new ChangeQueue<number, string>({
      applyChange: (change) => {
        log.push(`start ${change}`);
        queue.queue([`event of ${change}`]);
        queue.flush();
        log.push(`end ${change}`);
      },
      emit: (event) => {
        log.push(event);
        // A listener that causes another change and emits its own event meanwhile.
        if (event === 'event of 1') {
          queue.change(2);
          queue.emit('listener event');
        }
      },
    });
    queue.change(1);
    expect(log).toEqual([
      'start 1',
      'event of 1',
      'listener event',
      'end 1',
      'start 2',
      'event of 2',
      'end 2',
    ]);
  });

  it('a change left queued by a throwing one runs before the next change', () => {
    const applied: number[] = [];
    const queue: ChangeQueue<number, string> = new ChangeQueue<number, string>({
      applyChange: (change) => {
        applied.push(change);
        if (change === 1) {
          queue.change(2);
          throw new Error('boom');
        }
      },
      emit: () => undefined,
    });
    expect(() => queue.change(1)).toThrow('boom');
    expect(applied).toEqual([1]);
    queue.change(3);
    expect(applied).toEqual([1, 2, 3]);
  });

  it('emits at once outside a change', () => {
    const emitted: string[] = [];
    const queue = new ChangeQueue<number, string>({
      applyChange: () => undefined,
      emit: (e) => emitted.push(e),
    });
    queue.emit('a');
    queue.queue(['b']);
    expect(emitted).toEqual(['a']);
    queue.emit('c');
    expect(emitted).toEqual(['a', 'b', 'c']);
  });
});

describe('OperationCounts', () => {
  it('counts per server and forgets a server with none in flight', () => {
    const counts = new OperationCounts();
    const { count } = counts;
    counts.started('a:1');
    counts.started('a:1');
    counts.started('b:1');
    expect([count('a:1'), count('b:1'), count('c:1')]).toEqual([2, 1, 0]);
    counts.finished('a:1');
    counts.finished('b:1');
    expect([count('a:1'), count('b:1')]).toEqual([1, 0]);
  });
});
