/**
 * `waspnest demo` in a real pseudo-terminal: tmux runs it in a detached session, the test waits
 * for the command to end (tmux wait-for, a channel the pane signals; no sleeping) and reads what
 * the screen shows with capture-pane. Skipped, saying why, where tmux is not installed.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { mainScript, projectRoot } from './run-cli.js';

const run = promisify(execFile);
const tmuxInstalled = spawnSync('tmux', ['-V']).status === 0;
const socket = `waspnest-test-${process.pid}`;

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

afterEach(() => {
  if (tmuxInstalled) spawnSync('tmux', ['-L', socket, 'kill-server']);
});

const title = tmuxInstalled
  ? 'draws the live view in a terminal: member rows, the primary, failover lines, then the summary'
  : 'draws the live view in a terminal (SKIPPED: tmux is not installed; apt-get install -y tmux)';

describe('waspnest demo in a terminal (tmux)', () => {
  it.skipIf(!tmuxInstalled)(title, async () => {
    const command = [
      `${quote(process.execPath)} --import tsx ${quote(mainScript)} demo --duration 6`,
      'echo "waspnest exited with $?"',
      // Tell the test the command ended, then keep the pane (and its screen) until the test kills the server.
      'tmux wait-for -S demo-done',
      'tmux wait-for demo-never',
    ].join('; ');
    tmux(
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      'demo',
      '-x',
      '140',
      '-y',
      '50',
      '-c',
      projectRoot,
      '-e',
      'TERM=xterm-256color',
      '-e',
      'NO_COLOR=',
      command,
    );
    // Resolves when the pane signals the channel (tmux remembers a signal sent before the wait).
    await run('tmux', ['-L', socket, 'wait-for', 'demo-done'], { timeout: 60_000 });

    const screen = tmux('capture-pane', '-p', '-t', 'demo', '-S', '-', '-E', '-');
    const withEscapes = tmux('capture-pane', '-p', '-e', '-t', 'demo');

    expect(screen).toContain('waspnest exited with 0');
    // The last live frame stays on screen above the summary.
    expect(screen).toMatch(/waspnest demo · simulated replica set rs0 \(3 members\)/);
    expect(screen).toMatch(/topology ReplicaSetWithPrimary \(rs0\) · primary 127\.0\.0\.1:\d+/);
    expect(screen).toMatch(/MEMBER\s+TYPE\s+RTT\s+LAST HEARTBEAT\s+CHECKS\s+TAGS/);
    expect(screen).toMatch(
      /\*\s+127\.0\.0\.1:\d+\s+RSPrimary\s+[\d.]+ ms\s+([\d.]+ m?s ago|streaming)\s+\d+\s+dc=(east|west)/,
    );
    expect(screen.match(/^\s+127\.0\.0\.1:\d+\s+\S+/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(screen).toMatch(/FAILOVERS \(3\)/);
    expect(screen).toMatch(
      /failover #1 \(stepDown\): 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+; new primary known/,
    );
    expect(screen).toMatch(/APPLICATION CALLS \(50 concurrent callers\)/);
    // At least the 6 s asked for, and the schedule's three failovers, each one waited for.
    const header = /waspnest demo: summary after (\d+\.\d) s — 3 failover\(s\) detected/.exec(screen);
    expect(header, 'the summary header').not.toBeNull();
    expect(Number(header?.[1])).toBeGreaterThanOrEqual(6);
    // Redrawn in place: one frame header on screen, not one per redraw.
    expect(screen.match(/^waspnest demo · /gm)).toHaveLength(1);
    // On a TTY the view is coloured.
    expect(withEscapes).toContain('\x1b[');
  });
});
