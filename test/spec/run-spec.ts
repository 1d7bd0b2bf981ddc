/**
 * Runs every specification file under a directory and tallies the results per area.
 * Used by `npm run test:spec` (cli.ts) and by the vitest suite (conformance.test.ts).
 */
import { discoverSpecFiles, type SpecFile } from './spec-files.js';
import { handlers } from './handlers.js';
import type { SpecCase } from './spec-case.js';

export interface CaseOutcome {
  readonly area: string;
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly reason?: string;
}

/** The cases of one file; an unrecognised file becomes one skipped case naming the reason. */
export function casesOf(file: SpecFile): SpecCase[] {
  if (!file.format) return [{ name: file.path, skip: file.problem ?? 'unknown', run: () => {} }];
  try {
    return handlers[file.format](file);
  } catch (err) {
    // A handler that cannot even read the file reports it as a failed case rather than crashing.
    return [
      {
        name: file.path,
        run: () => {
          throw err;
        },
      },
    ];
  }
}

export async function runSpecDirectory(dir: string): Promise<CaseOutcome[]> {
  const outcomes: CaseOutcome[] = [];
  for (const file of discoverSpecFiles(dir)) {
    for (const c of casesOf(file)) {
      if (c.skip) {
        outcomes.push({ area: file.area, name: c.name, status: 'skipped', reason: c.skip });
        continue;
      }
      try {
        await c.run();
        outcomes.push({ area: file.area, name: c.name, status: 'passed' });
      } catch (err) {
        outcomes.push({ area: file.area, name: c.name, status: 'failed', reason: (err as Error).message });
      }
    }
  }
  return outcomes;
}

/** One line per area, the skipped cases with their reasons, and `N passed, M failed[, K skipped]`. */
export function summarise(outcomes: readonly CaseOutcome[]): string[] {
  const areas = new Map<string, { passed: number; failed: number; skipped: number }>();
  for (const o of outcomes) {
    const t = areas.get(o.area) ?? { passed: 0, failed: 0, skipped: 0 };
    t[o.status] += 1;
    areas.set(o.area, t);
  }
  const lines = [...areas].map(
    ([area, t]) =>
      `${area}: ${t.passed} passed, ${t.failed} failed${t.skipped ? `, ${t.skipped} skipped` : ''}`,
  );
  for (const o of outcomes) {
    if (o.status === 'failed') lines.push(`FAILED ${o.name}: ${o.reason ?? ''}`);
    if (o.status === 'skipped') lines.push(`SKIPPED ${o.name}: ${o.reason ?? ''}`);
  }
  const count = (s: CaseOutcome['status']) => outcomes.filter((o) => o.status === s).length;
  const skipped = count('skipped');
  lines.push(`${count('passed')} passed, ${count('failed')} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return lines;
}
