/**
 * `npm run test:spec`: runs the MongoDB specification tests against the pure core.
 * Reads `SPEC_TESTS_DIR` or `../shared/spec-tests`; exits 1 when any case failed, and in CI
 * (see specDataRequired) also when the directory is missing or no case ran.
 */
import { runSpecDirectory, summarise } from './run-spec.js';
import { specDataRequired, specDirExists, specTestsDir } from './spec-files.js';

const dir = specTestsDir();
const required = specDataRequired();
if (!specDirExists(dir)) {
  if (required) {
    console.error(`Specification tests directory not found: ${dir} (set SPEC_TESTS_DIR); CI needs it.`);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
  } else {
    console.log(`Specification tests directory not found: ${dir} (set SPEC_TESTS_DIR); skipping.`);
    console.log('0 passed, 0 failed, 1 skipped');
  }
} else {
  console.log(`Specification tests from ${dir}`);
  const outcomes = await runSpecDirectory(dir);
  for (const line of summarise(outcomes)) console.log(line);
  if (outcomes.some((o) => o.status === 'failed')) process.exitCode = 1;
  if (required && !outcomes.some((o) => o.status === 'passed')) {
    console.error(`No specification case passed in ${dir}: CI needs the specification data.`);
    process.exitCode = 1;
  }
}
