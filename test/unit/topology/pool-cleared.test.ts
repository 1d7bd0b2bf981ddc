/**
 * `poolCleared` follows CMAP: a failed check clears a server's pool only when that pool is ready
 * (the server's own last check succeeded). A pool is paused before the first successful check and
 * after a clear; clearing a paused pool emits nothing.
 */
import { describe, expect, it } from 'vitest';
import { NetworkError, NetworkTimeoutError } from '../../../src/errors.js';
import type { PoolClearedEvent } from '../../../src/events/events.js';
import { A, B, C, primaryHello, scripted, secondaryHello } from './scripted.js';

function recordClears(t: ReturnType<typeof scripted>): [string, number, boolean][] {
  const cleared: [string, number, boolean][] = [];
  t.topology.on('poolCleared', (e: PoolClearedEvent) =>
    cleared.push([e.address, e.generation, e.interruptInUseConnections]),
  );
  return cleared;
}

describe('Topology poolCleared', () => {
  it('is not emitted for a server whose first check fails (its pool was never ready)', () => {
    const t = scripted().start();
    const cleared = recordClears(t);
    t.reply(A, primaryHello());
    t.fail(B, new NetworkError('connection refused'));
    t.fail(C, new NetworkTimeoutError('hello timed out'));
    expect(t.topology.snapshot.servers.get(B)?.error?.message).toBe('connection refused');
    expect(t.topology.snapshot.servers.get(C)?.type).toBe('Unknown');
    expect(cleared).toEqual([]);
    expect(t.topology.poolGeneration(B)).toBe(0);
    expect(t.topology.poolGeneration(C)).toBe(0);
  });

  it('is emitted once the server has been known, and again after each recovery', () => {
    const t = scripted().start();
    const cleared = recordClears(t);
    t.fail(B, new NetworkError('connection refused')); // never known: nothing to clear
    t.reply(B, secondaryHello());
    t.fail(B, new NetworkError('connection reset'));
    t.fail(B, new NetworkError('connection refused')); // already paused
    t.reply(B, secondaryHello());
    t.fail(B, new NetworkTimeoutError('hello timed out'));
    expect(cleared).toEqual([
      [B, 1, false],
      [B, 2, true],
    ]);
  });

  it('is not emitted for a PossiblePrimary that was never checked itself', () => {
    const t = scripted().start();
    const cleared = recordClears(t);
    // B names A as its primary before A's own check: A becomes a PossiblePrimary.
    t.reply(B, secondaryHello({ primary: A }));
    expect(t.topology.snapshot.servers.get(A)?.type).toBe('PossiblePrimary');
    t.fail(A, new NetworkError('connection refused'));
    expect(t.topology.snapshot.servers.get(A)?.type).toBe('Unknown');
    expect(cleared).toEqual([]);
  });
});
