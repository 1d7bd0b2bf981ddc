/**
 * Every example runs, finishes on its own and prints what its header promises, so none can rot.
 * Each one runs as a user would run it (a child process through tsx, or vitest for the test example).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

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
    expect(first?.[1]).toBe(first?.[2]);
    const read = new RegExp(
      `^read from (${address}) \\(a secondary tagged dc=west\\): \\{"_id":1,"item":"tea"\\}$`,
      'm',
    ).exec(out);
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
    expect(out).toMatch(new RegExp(`^primary ${address} lost: no primary known$`, 'm'));
    expect(out).toMatch(new RegExp(`^primary ${address} known after \\d+ ms without one$`, 'm'));
    expect(out).toMatch(/^writable: false$/m);
    expect(out).toMatch(/^final: ReplicaSetWithPrimary, snapshot v\d+, 3 servers$/m);
  });

  it('fail-fast-vs-wait.ts fails fast, then 1000 waiters share one wait for the new primary', async () => {
    const out = await runExample('fail-fast-vs-wait.ts');
    expect(out).toContain("selectServerNow('primary') during the failover: undefined (failed fast)");
    expect(out).toContain('isWritable(): false');
    expect(out).toContain('waiting: 1000 callers in 1 shared wait(s)');
    expect(out).toMatch(new RegExp(`^all 1000 waiting callers got ${address} after \\d+ ms$`, 'm'));
    expect(out).toContain("the new primary is the simulator's: true");
    const checks = /^hello checks per live server during the failover: (\d+), (\d+)$/m.exec(out);
    // A handful per server (the monitors pace themselves), not one per waiting caller.
    expect(Number(checks?.[1])).toBeLessThan(10);
    expect(Number(checks?.[2])).toBeLessThan(10);
  });

  it('the vitest examples (examples/*.test.ts) pass, run as their headers say', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url)),
        'run',
        '--root',
        'examples',
        '--reporter=json',
      ],
      { cwd: root, timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } },
    );
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      success: boolean;
      testResults: { name: string; assertionResults: { status: string }[] }[];
    };
    expect(report.success).toBe(true);
    // Every example file ran, and every test it declares ran and passed (none skipped or lost).
    const perFile = new Map(
      report.testResults.map((file) => [
        file.name.slice(file.name.lastIndexOf('/') + 1),
        file.assertionResults.map((a) => a.status),
      ]),
    );
    const examples = new URL('../../examples/', import.meta.url);
    const files = readdirSync(examples).filter((name) => name.endsWith('.test.ts'));
    expect([...perFile.keys()].sort()).toEqual([...files].sort());
    for (const file of files) {
      const declared = readFileSync(new URL(file, examples), 'utf8').match(/^\s*it\(/gm)?.length ?? 0;
      expect(perFile.get(file), file).toEqual(Array.from({ length: declared }, () => 'passed'));
    }
  });
});
