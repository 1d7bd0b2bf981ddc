import { describe, it, expect } from 'vitest';
import { ServerType } from '../../../src/description/server-type.js';
import { pickServer } from '../../../src/selection/pick-server.js';
import { server } from './fixtures.js';

const [a, b, c] = ['a:27017', 'b:27017', 'c:27017'].map((address) => server(address, ServerType.Mongos));
if (!a || !b || !c) throw new Error('fixtures');

/** Returns the given values in turn: a scripted Math.random. */
function scripted(...values: number[]): () => number {
  let i = 0;
  return () => {
    const value = values[i % values.length];
    i += 1;
    return value ?? 0;
  };
}

const counts = (map: Record<string, number>) => (address: string) => map[address] ?? 0;

describe('pickServer (power of two choices)', () => {
  it('returns undefined with no candidate and the only one without drawing', () => {
    const never = () => {
      throw new Error('random must not be called');
    };
    expect(pickServer([], counts({}), never)).toBeUndefined();
    expect(pickServer([a], counts({}), never)).toBe(a);
  });

  it('of the two drawn, takes the one with fewer operations in flight', () => {
    const load = counts({ 'a:27017': 3, 'b:27017': 6, 'c:27017': 20 });
    // Draws: index 0.0*3 = 0 (a), then 0.99*2 = 1 → skips a → c. a has fewer.
    expect(pickServer([a, b, c], load, scripted(0, 0.99))).toBe(a);
    // 0.5*3 = 1 (b), then 0.99*2 = 1 → 2 (c): b has fewer.
    expect(pickServer([a, b, c], load, scripted(0.5, 0.99))).toBe(b);
    // 0.99*3 = 2 (c), then 0 → a: a has fewer even though c was drawn first.
    expect(pickServer([a, b, c], load, scripted(0.99, 0))).toBe(a);
  });

  it('never draws the same server twice, so the busiest of two is never chosen', () => {
    const load = counts({ 'a:27017': 0, 'b:27017': 5 });
    for (const first of [0, 0.25, 0.5, 0.75, 0.999999]) {
      for (const second of [0, 0.5, 0.999999]) {
        expect(pickServer([a, b], load, scripted(first, second))).toBe(a);
      }
    }
  });

  it('breaks ties in favour of the first draw, which is uniform', () => {
    const even = counts({});
    expect(pickServer([a, b, c], even, scripted(0, 0))).toBe(a);
    expect(pickServer([a, b, c], even, scripted(0.5, 0))).toBe(b);
    expect(pickServer([a, b, c], even, scripted(0.9, 0))).toBe(c);
  });

  it('stays in range when random misbehaves (returns 1 or a negative number)', () => {
    expect([a, b, c]).toContain(pickServer([a, b, c], counts({}), scripted(1, 1)));
    expect([a, b, c]).toContain(pickServer([a, b, c], counts({}), scripted(-0.5, -0.5)));
  });

  it('spreads load as the specification expects (seeded, deterministic)', () => {
    let state = 42;
    const random = () => {
      // A linear congruential generator: deterministic and good enough for a frequency check.
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 4294967296;
    };
    const load = counts({ 'a:27017': 3, 'b:27017': 6, 'c:27017': 20 });
    const picked = new Map<string, number>();
    const n = 30_000;
    for (let i = 0; i < n; i++) {
      const chosen = pickServer([a, b, c], load, random);
      picked.set(chosen!.address, (picked.get(chosen!.address) ?? 0) + 1);
    }
    expect(picked.get('c:27017')).toBeUndefined();
    expect(Math.abs((picked.get('a:27017') ?? 0) / n - 2 / 3)).toBeLessThan(0.02);
    expect(Math.abs((picked.get('b:27017') ?? 0) / n - 1 / 3)).toBeLessThan(0.02);
  });
});
