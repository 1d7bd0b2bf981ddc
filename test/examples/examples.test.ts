/**
 * Every example runs, finishes on its own and prints what its header promises, so none can rot.
 * Each one runs as a user would run it (a child process through tsx, or vitest for the test example).
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SimulatedReplicaSet } from '../../src/testing/index.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

async function runExample(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', `examples/${name}`], {
    cwd: root,
    timeout: 60_000,
  });
  return stdout;
}

const address = String.raw`127\.0\.0\.1:\d+`;

describe('examples', () => {
  it('minimal-client.ts routes writes to the primary and reads by read preference, across a step-down', async () => {
    const out = await runExample('minimal-client.ts');
    const first = new RegExp(`^write #1 went to (${address}) \\(the primary: (${address})\\)$`, 'm').exec(
      out,
    );
    expect(first, 'the "write #1 went to" line').not.toBeNull();
    expect(first?.[1]).toBe(first?.[2]);
    const read = new RegExp(
      `^read from (${address}) \\(a secondary tagged dc=west\\): \\{"_id":1,"item":"tea"\\}$`,
      'm',
    ).exec(out);
    expect(read, 'the "read from" line').not.toBeNull();
    expect(read?.[1]).not.toBe(first?.[1]);
    const elected = new RegExp(`^stepDown: (${address}) is the new primary$`, 'm').exec(out)?.[1];
    expect(out).toMatch(new RegExp(`^write #2 went to ${elected}$`, 'm'));
    expect(out).toMatch(new RegExp(`^2 orders on ${elected}$`, 'm'));
  });

  it('observe-failover.ts logs each failover from the events', async () => {
    const out = await runExample('observe-failover.ts');
    expect(out).toMatch(new RegExp(`^connected: ReplicaSetWithPrimary, primary ${address}$`, 'm'));
    for (const fault of ['stepDown', 'kill', 'partition']) {
      const old = new RegExp(`^--- ${fault} (${address})$`, 'm').exec(out)?.[1];
      expect(old).toBeDefined();
      expect(out).toMatch(new RegExp(`^failover seen: ${old} -> ${address}$`, 'm'));
    }
    // Each failover shows as a loss and then a new primary, or as a direct switch when the old
    // primary's step-down and the new one's election land in one turn of a busy event loop.
    const lost = out.match(new RegExp(`^primary ${address} lost: no primary known$`, 'gm')) ?? [];
    const regained =
      out.match(new RegExp(`^primary ${address} known after \\d+ ms without one$`, 'gm')) ?? [];
    const direct =
      out.match(new RegExp(`^primary ${address} -> ${address} \\(direct switch\\)$`, 'gm')) ?? [];
    expect(lost.length + direct.length).toBeGreaterThanOrEqual(3);
    // The first discovery at connect, then one for each loss.
    expect(regained.length).toBe(lost.length + 1);
    if (lost.length > 0) expect(out).toMatch(/^writable: false$/m);
    expect(out).toMatch(/^final: ReplicaSetWithPrimary, snapshot v\d+, 3 servers$/m);
  });

  it('fail-fast-vs-wait.ts fails fast, then 1000 waiters share one wait for the new primary', async () => {
    const out = await runExample('fail-fast-vs-wait.ts');
    expect(out).toContain("selectServerNow('primary') during the failover: undefined (failed fast)");
    expect(out).toContain('isWritable(): false');
    expect(out).toContain('waiting: 1000 callers in 1 shared wait(s)');
    const waited = new RegExp(`^all 1000 waiting callers got ${address} after (\\d+) ms$`, 'm').exec(out);
    expect(waited, 'the "all 1000 waiting callers" line').not.toBeNull();
    expect(out).toContain("the new primary is the simulator's: true");
    const checks = /^hello checks per live server during the failover: (\d+), (\d+)$/m.exec(out);
    expect(checks, 'the "hello checks per live server" line').not.toBeNull();
    // Not one per waiting caller: while callers wait, a monitor checks at most once per
    // minHeartbeatFrequencyMS (500 ms by default); add the check at the loss of the primary, the
    // one in flight and the next, each at most a handshake and a hello, and the RTT pinger's hello.
    // The bound follows from how long the wait took, not from a guess at how fast the machine is.
    const bound = 2 * (Math.floor(Number(waited?.[1]) / 500) + 3) + 1;
    expect(Number(checks?.[1])).toBeLessThanOrEqual(bound);
    expect(Number(checks?.[2])).toBeLessThanOrEqual(bound);
  });

  it("every examples/*.test.ts (failover, fail points, transactions, the README's) passes under vitest, run as its header says", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url)),
        'run',
        '--root',
        'examples',
        '--reporter=json',
      ],
      { cwd: root, timeout: 240_000, env: { ...process.env, NO_COLOR: '1' } },
    );
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      success: boolean;
      testResults: { name: string; assertionResults: { status: string }[] }[];
    };
    expect(report.success).toBe(true);
    const results = new Map(report.testResults.map((file) => [basename(file.name), file.assertionResults]));
    const files = readdirSync(join(root, 'examples')).filter((name) => name.endsWith('.test.ts'));
    expect(files).toEqual(expect.arrayContaining(['failover.test.ts', 'readme-failover.test.ts']));
    for (const file of files) {
      const tests = results.get(file) ?? [];
      expect(tests.length, file).toBeGreaterThan(0);
      expect(
        tests.every((test) => test.status === 'passed'),
        file,
      ).toBe(true);
    }
    expect(results.get('failover.test.ts')).toHaveLength(3);
    expect(results.get('fail-points.test.ts')).toHaveLength(3);
    // A whole vitest run of every example in a child process: a budget for a suite, not a wait.
  }, 240_000);

  it('readme-topology.ts (the README "Use it") connects, waits for the primary and prints what it waited for', async () => {
    const rs = await SimulatedReplicaSet.start({
      members: 3,
      tags: [{ dc: 'west' }, { dc: 'east' }, { dc: 'east' }],
    });
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/readme-topology.ts'], {
        cwd: root,
        timeout: 60_000,
        env: { ...process.env, MONGODB_URI: rs.uri },
      });
      const primary = rs.primary;
      expect(stdout).toContain(`primary: null -> ${primary}`);
      expect(stdout).toContain(`ReplicaSetWithPrimary, primary ${primary}`);
      expect(stdout).toContain(`'${primary} RSPrimary'`);
      // secondaryPreferred with dc=east: an east secondary once one is known, else the primary.
      const read = new RegExp(`^read from (${address}) \\((RSSecondary|RSPrimary)\\)$`, 'm').exec(stdout);
      expect(read).not.toBeNull();
      if (read?.[2] === 'RSPrimary') expect(read[1]).toBe(primary);
      else expect(rs.secondaries).toContain(read?.[1]);
      expect(stdout).not.toContain('no primary right now');
    } finally {
      await rs.close();
    }
  });
});
