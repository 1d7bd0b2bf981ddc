// The totals line of .ci/run, from vitest's JSON report, its console output and its exit status.
// A failure counts wherever vitest reports it: a failed test, a test file that failed on its own
// (it threw on import, or a hook threw), an unhandled error, or a non-zero exit nothing else
// explains. A run that executed no test fails too. Prints `N passed, M failed, K skipped`.
// Usage: node .ci/test-totals.mjs <report.json> <console log> <vitest exit status>
import { existsSync, readFileSync } from 'node:fs';

const [reportPath, logPath, statusText] = process.argv.slice(2);
const status = Number(statusText);
const problems = [];
let passed = 0;
let failed = 0;
let skipped = 0;

const report = existsSync(reportPath) ? safeParse(readFileSync(reportPath, 'utf8')) : null;
if (report === null) {
  failed += 1;
  problems.push(`no readable vitest JSON report at ${reportPath}`);
} else {
  passed = report.numPassedTests;
  skipped = report.numPendingTests + report.numTodoTests;
  failed += report.numFailedTests;
  for (const file of report.testResults) {
    const failedTests = file.assertionResults.filter((t) => t.status === 'failed').length;
    // A file that failed without a failed test, or that carries an error of its own beside them.
    const ownError = file.status === 'failed' && (failedTests === 0 || file.message !== '');
    if (ownError) {
      failed += 1;
      problems.push(`${file.name}: ${file.message || 'a suite or hook failed'}`);
    }
  }
  if (report.numFailedTestSuites > 0 && failed === 0) {
    failed += report.numFailedTestSuites;
    problems.push(`${report.numFailedTestSuites} suite(s) failed`);
  }
}

const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
const unhandled = /Vitest caught (\d+) unhandled errors?/.exec(log);
if (unhandled) {
  failed += Number(unhandled[1]);
  problems.push(`${unhandled[1]} unhandled error(s)`);
}
if (status !== 0 && failed === 0) {
  failed += 1;
  problems.push(`vitest exited with status ${statusText} without a failure in its report`);
}
if (passed + failed === 0) {
  failed += 1;
  problems.push('no test was executed');
}

for (const problem of problems) console.log(`FAILED ${problem}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);

function safeParse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
