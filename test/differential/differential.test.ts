/**
 * The differential test in `npm test`: a short seeded run of our core against the official
 * driver's SDAM code (`npm run test:differential` runs longer ones), and the known divergences'
 * reproductions, replayed and checked to be minimal.
 */
import { describe, expect, it } from 'vitest';
import { classify, KNOWN_DIVERGENCES } from './known-divergences.js';
import { runDifferential } from './run-many.js';
import { runScenario } from './run-scenario.js';
import { shrink } from './shrink.js';

describe('differential test against the official driver', () => {
  it('finds no divergence outside the known classes in 1,500 seeded scenarios', () => {
    const report = runDifferential(1_500, 20_261_202);
    const unknown = report.unknown.map(({ seed, divergence }) => ({
      seed,
      kind: divergence.kind,
      ours: divergence.ours,
      driver: divergence.driver,
    }));
    expect(unknown).toEqual([]);
    // The run compared something: states after every step, and selections on the states reached.
    expect(report.steps).toBeGreaterThan(10_000);
    expect(report.selections).toBeGreaterThan(5_000);
  });

  it.each(KNOWN_DIVERGENCES.map((known) => [known.id, known] as const))(
    '%s: the reproduction shows it, and nothing else',
    (id, known) => {
      const divergences = runScenario(known.reproduction).divergences;
      expect(divergences.map((d) => classify(d)?.id)).toContain(id);
      expect(divergences.every((d) => classify(d) !== undefined)).toBe(true);
    },
  );

  it.each(KNOWN_DIVERGENCES.map((known) => [known.id, known] as const))(
    '%s: the reproduction is minimal (shrinking changes nothing)',
    (id, known) => {
      expect(shrink(known.reproduction, id)).toEqual(known.reproduction);
    },
  );
});
