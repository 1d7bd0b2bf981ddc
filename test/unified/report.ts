/**
 * The summary of a run: one line per area with passed/failed/skipped pairs and the pass share,
 * the runner self-test (valid-pass must pass, valid-fail must fail), the most common failure
 * reasons, the floors check, and the closing `N passed, M failed, K skipped` line.
 *
 * A valid-fail pair counts as passed when the runner failed it (that is what the file asks for)
 * and as failed when it passed; its raw outcome is kept in the JSON output.
 */
import type { PairResult, PairStatus } from './matrix.js';

export const VALID_FAIL_AREA = 'unified-test-format/valid-fail';
export const VALID_PASS_AREA = 'unified-test-format/valid-pass';

/** The order areas are printed in; others follow alphabetically. */
const AREA_ORDER = [
  'crud',
  'retryable-writes',
  'retryable-reads',
  'transactions',
  'transactions-convenient-api',
  'change-streams',
  'server-discovery-and-monitoring',
  VALID_PASS_AREA,
  VALID_FAIL_AREA,
];

export interface AreaTally {
  readonly area: string;
  passed: number;
  failed: number;
  skipped: number;
}

/** The pair's status as the totals count it (valid-fail inverted). */
export function countedStatus(result: PairResult): PairStatus {
  if (result.area !== VALID_FAIL_AREA || result.status === 'skipped') return result.status;
  return result.status === 'failed' ? 'passed' : 'failed';
}

/** passed / (passed + failed); 1 when nothing ran. */
export function passShare(t: Pick<AreaTally, 'passed' | 'failed'>): number {
  const ran = t.passed + t.failed;
  return ran === 0 ? 1 : t.passed / ran;
}

export function tallyAreas(results: readonly PairResult[]): AreaTally[] {
  const tallies = new Map<string, AreaTally>();
  for (const r of results) {
    const t = tallies.get(r.area) ?? { area: r.area, passed: 0, failed: 0, skipped: 0 };
    t[countedStatus(r)] += 1;
    tallies.set(r.area, t);
  }
  const rank = (area: string) => {
    const i = AREA_ORDER.indexOf(area);
    return i === -1 ? AREA_ORDER.length : i;
  };
  return [...tallies.values()].sort((a, b) => rank(a.area) - rank(b.area) || a.area.localeCompare(b.area));
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

export function areaLines(tallies: readonly AreaTally[]): string[] {
  const width = Math.max(...tallies.map((t) => t.area.length), 4);
  return tallies.map(
    (t) =>
      `${t.area.padEnd(width)}  ${String(t.passed).padStart(4)} passed ${String(t.failed).padStart(4)} failed ${String(t.skipped).padStart(4)} skipped  pass share ${percent(passShare(t))}`,
  );
}

/** A reason with the test-specific parts (operation index, numbers, ids, entity names) generalised. */
export function reasonKey(reason: string): string {
  return reason
    .replace(/^operation \d+ /, '')
    .replace(/\b[0-9a-f]{24}\b/g, 'ID')
    .replace(/\b([a-zA-Z_]+?)\d+\b/g, '$1N')
    .replace(/\b\d+(\.\d+)?\b/g, 'N')
    .slice(0, 160);
}

export function topReasons(results: readonly PairResult[], limit: number): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const r of results) {
    if (countedStatus(r) !== 'failed' || r.area === VALID_FAIL_AREA) continue;
    const key = reasonKey(r.reason ?? 'no reason');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, limit);
}

export interface SelfTest {
  readonly validPassFailed: readonly PairResult[];
  /** valid-fail pairs that passed: runner bugs. */
  readonly validFailPassed: readonly PairResult[];
  readonly lines: readonly string[];
}

export function selfTest(results: readonly PairResult[]): SelfTest {
  const pass = results.filter((r) => r.area === VALID_PASS_AREA);
  const fail = results.filter((r) => r.area === VALID_FAIL_AREA);
  const validPassFailed = pass.filter((r) => r.status === 'failed');
  const validFailPassed = fail.filter((r) => r.status === 'passed');
  const count = (list: readonly PairResult[], s: PairStatus) => list.filter((r) => r.status === s).length;
  const lines = [
    `self-test valid-pass: ${count(pass, 'passed')} passed, ${validPassFailed.length} failed, ${count(pass, 'skipped')} skipped`,
    `self-test valid-fail: ${count(fail, 'failed')} failed as required, ${validFailPassed.length} passed (runner bugs), ${count(fail, 'skipped')} skipped`,
  ];
  return { validPassFailed, validFailPassed, lines };
}

/** Areas whose pass share is under their floor, as printable lines. */
export function floorViolations(
  tallies: readonly AreaTally[],
  floors: Readonly<Record<string, number>>,
): string[] {
  const out: string[] = [];
  for (const [area, floor] of Object.entries(floors)) {
    const t = tallies.find((x) => x.area === area);
    if (!t) continue;
    const share = passShare(t);
    if (share < floor) out.push(`${area}: pass share ${percent(share)} is below its floor ${percent(floor)}`);
  }
  return out;
}

export function totalsLine(results: readonly PairResult[]): string {
  const n = (s: PairStatus) => results.filter((r) => countedStatus(r) === s).length;
  return `${n('passed')} passed, ${n('failed')} failed, ${n('skipped')} skipped`;
}
