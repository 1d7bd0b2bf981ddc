/**
 * The specification tests as part of `npm test`: one vitest test per case, grouped by area.
 */
import { describe, expect, it } from 'vitest';
import { discoverSpecFiles, specDataRequired, specDirExists, specTestsDir } from './spec-files.js';
import { casesOf } from './run-spec.js';

const dir = specTestsDir();

if (!specDirExists(dir) && specDataRequired()) {
  it('finds the specification tests (CI needs them)', () => {
    expect.fail(`specification tests directory not found: ${dir} (set SPEC_TESTS_DIR)`);
  });
} else if (!specDirExists(dir)) {
  describe.skip(`specification tests (directory not found: ${dir}; set SPEC_TESTS_DIR)`, () => {
    it('is skipped', () => {});
  });
} else {
  const byArea = new Map<string, { file: string; cases: ReturnType<typeof casesOf> }[]>();
  for (const file of discoverSpecFiles(dir)) {
    byArea.set(file.area, [...(byArea.get(file.area) ?? []), { file: file.path, cases: casesOf(file) }]);
  }
  if (specDataRequired()) {
    const runnable = [...byArea.values()].flat().flatMap(({ cases }) => cases.filter((c) => !c.skip));
    it('finds runnable specification cases (CI needs them)', () => {
      expect(runnable.length, `runnable specification cases in ${dir}`).toBeGreaterThan(0);
    });
  }
  for (const [area, files] of byArea) {
    describe(area, () => {
      for (const { cases } of files) {
        for (const c of cases) {
          if (c.skip) it.skip(`${c.name} (${c.skip})`, () => {});
          else it(c.name, () => c.run());
        }
      }
    });
  }
}
