import { describe, expect, it } from 'vitest';
import type { PairResult } from './matrix.js';
import { floorViolations, reasonKey, selfTest, tallyAreas, totalsLine, VALID_FAIL_AREA } from './report.js';

const pair = (area: string, status: PairResult['status'], reason?: string): PairResult => ({
  file: `${area}/x.json`,
  area,
  test: 't',
  topology: 'single',
  status,
  ...(reason ? { reason } : {}),
});

describe('unified report', () => {
  it('tallies areas with pass shares over passed + failed, skipped apart', () => {
    const tallies = tallyAreas([pair('crud', 'passed'), pair('crud', 'failed'), pair('crud', 'skipped')]);
    expect(tallies).toEqual([{ area: 'crud', passed: 1, failed: 1, skipped: 1 }]);
    expect(totalsLine([pair('crud', 'passed'), pair('crud', 'skipped')])).toBe(
      '1 passed, 0 failed, 1 skipped',
    );
  });

  it('counts a valid-fail pair as passed when the runner failed it, and flags one that passed', () => {
    const results = [pair(VALID_FAIL_AREA, 'failed', 'runner: x'), pair(VALID_FAIL_AREA, 'passed')];
    expect(tallyAreas(results)).toEqual([{ area: VALID_FAIL_AREA, passed: 1, failed: 1, skipped: 0 }]);
    expect(selfTest(results).validFailPassed).toHaveLength(1);
  });

  it('reports areas under their floor only', () => {
    const tallies = tallyAreas([
      pair('crud', 'passed'),
      pair('crud', 'failed'),
      pair('transactions', 'passed'),
    ]);
    expect(floorViolations(tallies, { crud: 0.6, transactions: 0.9, absent: 1 })).toEqual([
      'crud: pass share 50.0% is below its floor 60.0%',
    ]);
  });

  it('groups reasons with their numbers and entity indexes generalised', () => {
    expect(reasonKey("operation 3 (failPoint): no such command: 'configureFailPoint' on client12")).toBe(
      "(failPoint): no such command: 'configureFailPoint' on clientN",
    );
  });
});
