import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedReplicaSet } from '../../src/testing/simulated-replica-set.js';
import { parseJsonLine, parseJsonLines, runCli, type CliRun } from './run-cli.js';

let rs: SimulatedReplicaSet | undefined;
let run: CliRun | undefined;

afterEach(async () => {
  if (run !== undefined && run.child.exitCode === null) run.child.kill('SIGKILL');
  await run?.exited;
  run = undefined;
  await rs?.close();
  rs = undefined;
});

function isEvent(name: string, fields: Record<string, unknown> = {}) {
  return (line: string): boolean => {
    const event = parseJsonLine(line);
    return event !== null && event.event === name && Object.entries(fields).every(([k, v]) => event[k] === v);
  };
}

describe('waspnest watch against a simulated replica set', () => {
  it('--json: prints events live, follows a step-down, and exits 0 on Ctrl-C', async () => {
    rs = await SimulatedReplicaSet.start({ members: 3 });
    const first = await rs.waitForPrimary();
    run = runCli(['watch', rs.uri, '--json']);

    await run.waitForLine(isEvent('primaryChanged', { previous: null, current: first }));
    await run.waitForLine(isEvent('watchReached'));
    const elected = await rs.stepDown();
    expect(elected).not.toBe(first);
    const changed = parseJsonLine(await run.waitForLine(isEvent('primaryChanged', { current: elected })));
    // The payload carries the snapshot that made the change, with servers keyed by address.
    const snapshot = changed?.snapshot as { type: string; servers: Record<string, { type: string }> };
    expect(snapshot.type).toBe('ReplicaSetWithPrimary');
    expect(snapshot.servers[elected]?.type).toBe('RSPrimary');

    run.child.kill('SIGINT');
    const { code, stdout } = await run.exited;
    expect(code).toBe(0);
    const events = parseJsonLines(stdout);
    expect(events.every((e) => e !== null && typeof e.event === 'string' && typeof e.time === 'string')).toBe(
      true,
    );
    // Closing is orderly: the topology's close events, then the summary as the last line.
    const names = events.map((e) => e?.event);
    expect(names.at(-1)).toBe('watchSummary');
    expect(names.at(-2)).toBe('topologyClosed');
    expect(events.at(-1)).toMatchObject({ failovers: [{ number: 1, previous: first, current: elected }] });
  });

  it('plain output in a pipe: no ANSI, one line per change, credentials redacted', async () => {
    rs = await SimulatedReplicaSet.start({ members: 3 });
    const first = await rs.waitForPrimary();
    const uri = rs.uri.replace('mongodb://', 'mongodb://alice:s3cret@');
    run = runCli(['watch', uri]);

    await run.waitForLine((l) => l.includes(`primary ${first} found`));
    const elected = await rs.stepDown();
    await run.waitForLine((l) => l.includes(`new primary ${elected} (failover #1)`));
    run.child.kill('SIGINT');
    const { code, stdout, stderr } = await run.exited;
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(`waspnest watch: ${uri.replace('s3cret', '****')}`);
    expect(stdout).toContain(`failover #1 (observed): ${first} → ${elected}`);
    // eslint-disable-next-line no-control-regex
    expect(stdout).not.toMatch(/\x1b\[/);
    expect(stdout + stderr).not.toContain('s3cret');
  });
});
