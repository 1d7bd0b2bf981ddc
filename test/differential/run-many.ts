/**
 * A differential run: many seeded scenarios through both sides, the divergences counted by known
 * class, the unknown ones kept with the seed that replays them.
 */
import { classify } from './known-divergences.js';
import { runScenario, type Divergence } from './run-scenario.js';
import { generateScenario } from './scenario.js';

export interface UnknownDivergence {
  /** The seed of the scenario (`--replay <seed>` shows it again, shrunk). */
  readonly seed: number;
  readonly divergence: Divergence;
}

export interface DifferentialReport {
  readonly sequences: number;
  readonly firstSeed: number;
  readonly steps: number;
  readonly selections: number;
  /** Known class id → divergences of that class. */
  readonly known: ReadonlyMap<string, number>;
  readonly unknown: readonly UnknownDivergence[];
}

export function runDifferential(sequences: number, firstSeed: number): DifferentialReport {
  let steps = 0;
  let selections = 0;
  const known = new Map<string, number>();
  const unknown: UnknownDivergence[] = [];
  for (let i = 0; i < sequences; i++) {
    const seed = firstSeed + i;
    const outcome = runScenario(generateScenario(seed));
    steps += outcome.steps;
    selections += outcome.selections;
    for (const divergence of outcome.divergences) {
      const found = classify(divergence);
      if (found === undefined) unknown.push({ seed, divergence });
      else known.set(found.id, (known.get(found.id) ?? 0) + 1);
    }
  }
  return { sequences, firstSeed, steps, selections, known, unknown };
}
