import { describe, expect, it } from 'vitest';
import type { PairResult } from './matrix.js';
import {
  areaLines,
  driverCitedLines,
  floorViolations,
  reasonKey,
  selfTest,
  tallyAreas,
  totalsLine,
  VALID_FAIL_AREA,
} from './report.js';

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
    expect(tallies).toEqual([{ area: 'crud', passed: 1, failed: 1, skipped: 1, driverCited: 0 }]);
    expect(totalsLine([pair('crud', 'passed'), pair('crud', 'skipped')])).toBe(
      '1 passed, 0 failed, 1 skipped',
    );
  });

  it('counts a valid-fail pair as passed when the runner failed it, and flags one that passed', () => {
    const results = [pair(VALID_FAIL_AREA, 'failed', 'runner: x'), pair(VALID_FAIL_AREA, 'passed')];
    expect(tallyAreas(results)).toEqual([
      { area: VALID_FAIL_AREA, passed: 1, failed: 1, skipped: 0, driverCited: 0 },
    ]);
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

  it('counts driver-cited skips apart, shows the share with them counted failed, and flags stale entries', () => {
    const results: PairResult[] = [
      pair('sdam', 'passed'),
      pair('sdam', 'passed'),
      pair('sdam', 'passed'),
      pair('sdam', 'skipped', 'driver-cited skip: NODE-5723 (the official driver...): x'),
      pair('sdam', 'skipped', 'server version 8.0.0 is above maxServerVersion 4.2'),
      { ...pair('sdam', 'passed'), listedButPassed: true },
    ];
    const tallies = tallyAreas(results);
    expect(tallies).toEqual([{ area: 'sdam', passed: 4, failed: 0, skipped: 2, driverCited: 1 }]);
    expect(areaLines(tallies)[0]).toContain(
      'pass share 100.0%  (1 skipped driver-cited; 80.0% counting them failed)',
    );
    const lines = driverCitedLines(results);
    expect(lines[0]).toBe('skipped driver-cited (test/unified/driver-skips.json): 1 (NODE-5723 1)');
    expect(lines[1]).toContain('lists a pair that passed');
    expect(totalsLine(results)).toBe('4 passed, 0 failed, 2 skipped');
  });
});
