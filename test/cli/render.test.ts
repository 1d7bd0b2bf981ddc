import { describe, expect, it } from 'vitest';
import type { LiveView, MemberRow } from '../../src/cli/live-view.js';
import {
  formatDuration,
  formatFailover,
  renderLiveView,
  renderSummary,
  truncateLine,
} from '../../src/cli/render.js';

const view: LiveView = {
  title: 'waspnest demo',
  target: 'simulated replica set rs0',
  elapsedMS: 3200,
  topologyType: 'ReplicaSetWithPrimary',
  setName: 'rs0',
  primary: '127.0.0.1:40002',
  snapshotVersion: 17,
  members: [
    {
      address: '127.0.0.1:40001',
      type: 'Unknown',
      isPrimary: false,
      roundTripTimeMS: null,
      lastHeartbeatAgeMS: 1200,
      streaming: false,
      tags: { dc: 'east' },
      checks: 9,
      fault: 'killed',
      error: 'NetworkError: connect ECONNREFUSED',
    },
    {
      address: '127.0.0.1:40002',
      type: 'RSPrimary',
      isPrimary: true,
      roundTripTimeMS: 0.42,
      lastHeartbeatAgeMS: 100,
      streaming: false,
      tags: { dc: 'west' },
      checks: 12,
      fault: null,
      error: null,
    },
  ],
  failovers: [
    {
      number: 1,
      atMS: 1012,
      cause: 'stepDown',
      previous: '127.0.0.1:40001',
      current: '127.0.0.1:40002',
      detectionMS: 3.4,
      withoutPrimaryMS: 25,
    },
  ],
  calls: {
    callers: 50,
    immediate: 1234,
    waited: 56,
    maxWaitMS: 120,
    failedFast: 12,
    timedOut: 0,
    topologyClosed: 0,
    otherErrors: 0,
    byKind: [
      {
        label: 'write',
        immediate: 1000,
        waited: 50,
        maxWaitMS: 120,
        failedFast: 0,
        timedOut: 0,
        topologyClosed: 0,
        otherErrors: 0,
      },
      {
        label: 'read secondary dc=west',
        immediate: 234,
        waited: 6,
        maxWaitMS: 80,
        failedFast: 12,
        timedOut: 0,
        topologyClosed: 0,
        otherErrors: 0,
      },
    ],
  },
  log: [{ atMS: 1000, text: 'stepDown 127.0.0.1:40001' }],
  footer: 'Ctrl-C to quit',
};

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[/;

describe('renderLiveView', () => {
  it('shows the primary, every member row, the failovers, the calls and the log, without ANSI when plain', () => {
    const lines = renderLiveView(view, { color: false, width: null });
    const text = lines.join('\n');
    expect(text).not.toMatch(ansi);
    expect(lines[0]).toBe('waspnest demo · simulated replica set rs0 · 3.2 s · snapshot v17');
    expect(lines[1]).toBe('topology ReplicaSetWithPrimary (rs0) · primary 127.0.0.1:40002');
    const primaryRow = lines.find((l) => l.includes('127.0.0.1:40002') && l.includes('RSPrimary'));
    expect(primaryRow).toMatch(
      /^\s+\*\s+127\.0\.0\.1:40002\s+RSPrimary\s+0\.4 ms\s+100 ms ago\s+12\s+dc=west$/,
    );
    const deadRow = lines.find((l) => l.includes('127.0.0.1:40001'));
    expect(deadRow).toMatch(
      /Unknown\s+-\s+1\.2 s ago\s+9\s+dc=east\s+\[killed\] NetworkError: connect ECONNREFUSED/,
    );
    expect(text).toContain(
      'failover #1 (stepDown): 127.0.0.1:40001 → 127.0.0.1:40002; new primary known 3 ms after the election, no primary for 25 ms',
    );
    expect(text).toContain(
      '1234 served at once · 56 waited for a refresh (longest 120 ms) · 12 failed fast · 0 timed out',
    );
    expect(text).toContain('    1.0 s  stepDown 127.0.0.1:40001');
    expect(lines.at(-1)).toBe('Ctrl-C to quit');
  });

  it("says 'streaming' for a server that holds an awaitable hello, however long since its last reply", () => {
    const [dead, primary] = view.members;
    const streamingView = {
      ...view,
      members: [dead, { ...primary, lastHeartbeatAgeMS: 5700, streaming: true }] as MemberRow[],
    };
    const row = renderLiveView(streamingView, { color: false, width: null }).find((l) =>
      l.includes('RSPrimary'),
    );
    expect(row).toMatch(/RSPrimary\s+0\.4 ms\s+streaming\s+12/);
    expect(row).not.toContain('ago');
  });

  it('aligns the member columns', () => {
    const lines = renderLiveView(view, { color: false, width: null });
    const header = lines.find((l) => l.includes('MEMBER')) ?? '';
    const row = lines.find((l) => l.includes('RSPrimary')) ?? '';
    expect(row.indexOf('RSPrimary')).toBe(header.indexOf('TYPE'));
    expect(row.indexOf('dc=west')).toBe(header.indexOf('TAGS'));
  });

  it('colours only when asked and keeps the text the same', () => {
    const plain = renderLiveView(view, { color: false, width: null });
    const coloured = renderLiveView(view, { color: true, width: null });
    expect(coloured.join('\n')).toMatch(ansi);
    // eslint-disable-next-line no-control-regex
    expect(coloured.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''))).toEqual(plain);
  });

  it('cuts lines to the terminal width', () => {
    const lines = renderLiveView(view, { color: true, width: 40 });
    // eslint-disable-next-line no-control-regex
    for (const line of lines) expect(line.replace(/\x1b\[[0-9;]*m/g, '').length).toBeLessThanOrEqual(40);
  });

  it('says so when no server or failover is known yet and leaves out what does not apply', () => {
    const lines = renderLiveView(
      { ...view, members: [], failovers: [], calls: null, log: [], primary: null },
      { color: false, width: null },
    );
    expect(lines).toContain('  (no servers known yet)');
    expect(lines).toContain('  none yet');
    expect(lines[1]).toContain('primary none');
    expect(lines.join('\n')).not.toContain('APPLICATION CALLS');
    expect(lines.join('\n')).not.toContain('CHECKS');
  });
});

describe('formatting helpers', () => {
  it('formats durations for people', () => {
    expect(formatDuration(0.25)).toBe('0.25 ms');
    expect(formatDuration(3.4)).toBe('3 ms');
    expect(formatDuration(999)).toBe('999 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
  });

  it('writes a failover without a known election moment', () => {
    expect(
      formatFailover({
        number: 2,
        atMS: 0,
        cause: 'observed',
        previous: null,
        current: 'a:1',
        detectionMS: null,
        withoutPrimaryMS: null,
      }),
    ).toBe('failover #2 (observed): (none) → a:1; new primary known');
  });

  it('truncates keeping colour codes balanced', () => {
    expect(truncateLine('abcdef', 4)).toBe('abc…');
    expect(truncateLine('\x1b[1mabcdef\x1b[0m', 4)).toBe('\x1b[1mabc\x1b[0m…\x1b[0m');
    expect(truncateLine('abc', 4)).toBe('abc');
  });
});

describe('renderSummary', () => {
  it('lists failovers with detection times, check counts and calls', () => {
    const lines = renderSummary(
      {
        title: 'waspnest demo',
        elapsedMS: 6000,
        failovers: view.failovers,
        missed: [],
        checks: [
          { address: '127.0.0.1:40001', count: 9 },
          { address: '127.0.0.1:40002', count: 12 },
        ],
        calls: view.calls,
        members: view.members,
      },
      { color: false, width: null },
    );
    expect(lines[0]).toBe('waspnest demo: summary after 6.0 s — 1 failover(s) detected');
    expect(lines).toContain('  detection time: best 3 ms, worst 3 ms');
    expect(lines).toContain('  hello checks received: 127.0.0.1:40001 9, 127.0.0.1:40002 12 (total 21)');
    expect(lines.join('\n')).toContain('failover #1 (stepDown)');
    expect(lines).toContain(
      '  application calls: 1234 served at once · 56 waited for a refresh (longest 120 ms) · 12 failed fast · 0 timed out',
    );
    // One line per kind of call, labels aligned.
    expect(lines).toContain(
      '    write                   1050 calls: 1000 served at once · 50 waited for a refresh (longest 120 ms) · 0 failed fast · 0 timed out',
    );
    expect(lines).toContain(
      '    read secondary dc=west  252 calls: 234 served at once · 6 waited for a refresh (longest 80 ms) · 12 failed fast · 0 timed out',
    );
  });

  it('shows calls ended by close and other errors only when there are some', () => {
    const calls = { ...view.calls!, topologyClosed: 3, otherErrors: 1, byKind: [] };
    const lines = renderSummary(
      { title: 't', elapsedMS: 1, failovers: [], missed: [], checks: null, calls, members: [] },
      { color: false, width: null },
    );
    expect(lines.join('\n')).toContain('0 timed out · 3 ended by close · 1 other errors');
  });

  it('never cuts its lines to the terminal width (nothing redraws them)', () => {
    const lines = renderSummary(
      {
        title: 'waspnest demo',
        elapsedMS: 6000,
        failovers: view.failovers,
        missed: [],
        checks: null,
        calls: null,
        members: [],
      },
      { color: false, width: 20 },
    );
    expect(lines[0]).toBe('waspnest demo: summary after 6.0 s — 1 failover(s) detected');
  });

  it('names missed elections', () => {
    const lines = renderSummary(
      { title: 't', elapsedMS: 1, failovers: [], missed: ['a:1'], checks: null, calls: null, members: [] },
      { color: false, width: null },
    );
    expect(lines[0]).toContain('1 missed');
    expect(lines).toContain('  missed: election of a:1 never seen');
  });
});
