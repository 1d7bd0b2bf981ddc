import { describe, expect, it } from 'vitest';
import { parseJsonLine, parseJsonLines, runCli } from './run-cli.js';

describe('waspnest demo --duration (unattended)', () => {
  it('in a pipe: plain lines, at least two failovers detected with detection times and check counts, exit 0', async () => {
    const { code, stdout, stderr } = await runCli(['demo', '--duration', '6']).exited;
    expect(stderr).not.toMatch(/Warning|Error/);
    expect(code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(stdout).not.toMatch(/\x1b\[/);
    // The schedule's faults, printed as they happen.
    expect(stdout).toMatch(/stepDown: \S+ steps down/);
    expect(stdout).toMatch(/kill: \S+ crashes/);
    expect(stdout).toMatch(/partition: \S+ is cut off/);
    const summary = stdout.slice(stdout.indexOf('waspnest demo: summary after'));
    // The schedule makes three failovers within 6 s; the demo runs at least that long and waits
    // until it has seen each, however slow the machine.
    const header = /^waspnest demo: summary after (\d+\.\d) s — 3 failover\(s\) detected\n/.exec(summary);
    expect(header, 'the summary header').not.toBeNull();
    expect(Number(header?.[1])).toBeGreaterThanOrEqual(6);
    expect(summary).not.toContain('missed');
    expect(summary).toMatch(
      /failover #1 \(stepDown\): \S+ → \S+; new primary known [\d.]+ m?s after the election/,
    );
    expect(summary).toMatch(
      /failover #2 \(kill\): \S+ → \S+; new primary known [\d.]+ m?s after the election/,
    );
    expect(summary).toMatch(
      /failover #3 \(partition\): \S+ → \S+; new primary known [\d.]+ m?s after the election/,
    );
    expect(summary).toMatch(/detection time: best [\d.]+ m?s, worst [\d.]+ m?s/);
    expect(summary).toMatch(/hello checks received: (\S+ \d+, ){2}\S+ \d+ \(total \d+\)/);
    expect(summary).toMatch(/application calls: \d+ served at once · \d+ waited for a refresh/);
  });

  it('--json: every line is an event object; elections and failovers are reported', async () => {
    const { code, stdout } = await runCli(['demo', '--duration', '2', '--json']).exited;
    expect(code).toBe(0);
    const events = parseJsonLines(stdout);
    expect(events.every((e) => e !== null && typeof e.event === 'string')).toBe(true);
    const names = new Set(events.map((e) => e?.event));
    for (const name of [
      'topologyOpening',
      'serverHeartbeatSucceeded',
      'primaryChanged',
      'demoFault',
      'demoElection',
    ]) {
      expect(names).toContain(name);
    }
    const summary = events.at(-1) as {
      event: string;
      failovers: { cause: string; detectionMS: number }[];
      missed: [];
    };
    expect(summary.event).toBe('demoSummary');
    expect(summary.missed).toEqual([]);
    expect(summary.failovers).toHaveLength(1);
    expect(summary.failovers[0]?.cause).toBe('stepDown');
    expect(summary.failovers[0]?.detectionMS).toBeTypeOf('number');
  });

  it('Ctrl-C (SIGINT) ends an open-ended demo cleanly: everything closed, summary printed, exit 0', async () => {
    const run = runCli(['demo', '--json']);
    await run.waitForLine((line) => parseJsonLine(line)?.event === 'primaryChanged');
    run.child.kill('SIGINT');
    const { code, stdout } = await run.exited;
    expect(code).toBe(0);
    const names = parseJsonLines(stdout).map((e) => e?.event);
    expect(names.at(-1)).toBe('demoSummary');
    expect(names).toContain('topologyClosed');
  });
});
