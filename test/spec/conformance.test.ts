/**
 * The specification tests as part of `npm test`: one vitest test per case, grouped by area.
 */
import { describe, it } from 'vitest';
import { discoverSpecFiles, specDirExists, specTestsDir } from './spec-files.js';
import { casesOf } from './run-spec.js';

const dir = specTestsDir();

if (!specDirExists(dir)) {
  describe.skip(`specification tests (directory not found: ${dir}; set SPEC_TESTS_DIR)`, () => {
    it('is skipped', () => {});
  });
} else {
  const byArea = new Map<string, ReturnType<typeof discoverSpecFiles>>();
  for (const file of discoverSpecFiles(dir)) {
    byArea.set(file.area, [...(byArea.get(file.area) ?? []), file]);
  }
  for (const [area, files] of byArea) {
    describe(area, () => {
      for (const file of files) {
        for (const c of casesOf(file)) {
          if (c.skip) it.skip(`${c.name} (${c.skip})`, () => {});
          else it(c.name, () => c.run());
        }
      }
    });
  }
}
