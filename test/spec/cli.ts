/**
 * `npm run test:spec`: runs the MongoDB specification tests against the pure core.
 * Reads `SPEC_TESTS_DIR` or `../shared/spec-tests`; exits 1 when any case failed.
 */
import { runSpecDirectory, summarise } from './run-spec.js';
import { specDirExists, specTestsDir } from './spec-files.js';

const dir = specTestsDir();
if (!specDirExists(dir)) {
  console.log(`Specification tests directory not found: ${dir} (set SPEC_TESTS_DIR); skipping.`);
  console.log('0 passed, 0 failed, 1 skipped');
} else {
  console.log(`Specification tests from ${dir}`);
  const outcomes = await runSpecDirectory(dir);
  for (const line of summarise(outcomes)) console.log(line);
  if (outcomes.some((o) => o.status === 'failed')) process.exitCode = 1;
}
