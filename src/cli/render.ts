/**
 * Pure rendering: a LiveView (or a summary) becomes lines of text. Colours are ANSI SGR codes and
 * appear only when asked for (the caller asks only on a TTY); nothing here moves the cursor.
 */
import type { CallOutcomes, CallStats, FailoverRow, LiveView, LogLine, MemberRow } from './live-view.js';

export interface RenderOptions {
  /** Emit ANSI colours. */
  readonly color: boolean;
  /** Cut lines to this many columns (a TTY's width); null leaves them whole. */
  readonly width: number | null;
  /** Keep at most this many log lines. */
  readonly maxLogLines?: number;
}

type Style = 'bold' | 'dim' | 'green' | 'yellow' | 'red' | 'cyan';
const sgr: Record<Style, string> = {
  bold: '1',
  dim: '2',
  red: '31',
  green: '32',
  yellow: '33',
  cyan: '36',
};

function styler(color: boolean) {
  return (text: string, ...styles: Style[]): string =>
    color && styles.length > 0 && text !== ''
      ? `\x1b[${styles.map((s) => sgr[s]).join(';')}m${text}\x1b[0m`
      : text;
}

/** 3 ms, 250 ms, 1.2 s, 2 min 5 s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Seconds since the start with one decimal, right-aligned: "  3.2 s". */
function formatAt(ms: number): string {
  return `${(ms / 1000).toFixed(1).padStart(5)} s`;
}

function formatRtt(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function formatTags(tags: Readonly<Record<string, string>>): string {
  const entries = Object.entries(tags);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** The visible length of a string that may hold SGR codes. */
function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** Cuts a line to `width` visible columns, keeping SGR codes intact. */
export function truncateLine(line: string, width: number | null): string {
  if (width === null || visibleLength(line) <= width) return line;
  let out = '';
  let visible = 0;
  // eslint-disable-next-line no-control-regex
  const parts = line.split(/(\x1b\[[0-9;]*m)/);
  for (const part of parts) {
    if (part.startsWith('\x1b[')) {
      out += part;
      continue;
    }
    const room = width - 1 - visible;
    if (room <= 0) continue;
    out += part.slice(0, room);
    visible += Math.min(part.length, room);
  }
  return `${out}…${line.includes('\x1b[') ? '\x1b[0m' : ''}`;
}

/** Lays out rows in columns padded to the widest cell; cells may hold SGR codes. */
function table(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell));
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - visibleLength(cell));
        const last = i === row.length - 1;
        if (rightAligned.has(i)) return pad + cell;
        return last ? cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

function typeStyle(row: MemberRow): Style[] {
  if (row.isPrimary) return ['green', 'bold'];
  if (row.type === 'RSSecondary' || row.type === 'Mongos' || row.type === 'Standalone') return ['cyan'];
  if (row.type === 'Unknown') return ['red'];
  return ['yellow'];
}

function memberLines(members: readonly MemberRow[], paint: ReturnType<typeof styler>): string[] {
  if (members.length === 0) return ['(no servers known yet)'];
  const showChecks = members.some((m) => m.checks !== null);
  const header = [
    '',
    'MEMBER',
    'TYPE',
    'RTT',
    'LAST HEARTBEAT',
    ...(showChecks ? ['CHECKS'] : []),
    'TAGS',
    'NOTE',
  ];
  const rows = members.map((m) => {
    const note = [m.fault === null ? '' : `[${m.fault}]`, m.error ?? ''].filter((s) => s !== '').join(' ');
    return [
      m.isPrimary ? paint('*', 'green', 'bold') : ' ',
      m.address,
      paint(m.type, ...typeStyle(m)),
      formatRtt(m.roundTripTimeMS),
      m.streaming
        ? 'streaming'
        : m.lastHeartbeatAgeMS === null
          ? '-'
          : `${formatDuration(m.lastHeartbeatAgeMS)} ago`,
      ...(showChecks ? [String(m.checks ?? '-')] : []),
      formatTags(m.tags),
      note === '' ? '' : paint(note, m.fault === null ? 'red' : 'yellow'),
    ];
  });
  const right = new Set(showChecks ? [3, 5] : [3]);
  const [head, ...body] = table([header, ...rows], right);
  return [paint(head ?? '', 'dim'), ...body];
}

/** One failover as a sentence; also used by the plain (non-TTY) log and the summary. */
export function formatFailover(f: FailoverRow): string {
  const from = f.previous ?? '(none)';
  const detection =
    f.detectionMS === null
      ? 'new primary known'
      : `new primary known ${formatDuration(f.detectionMS)} after the election`;
  const gap =
    f.withoutPrimaryMS === null
      ? ''
      : f.withoutPrimaryMS === 0
        ? ', switched with no gap'
        : `, no primary for ${formatDuration(f.withoutPrimaryMS)}`;
  return `failover #${f.number} (${f.cause}): ${from} → ${f.current}; ${detection}${gap}`;
}

/** Outcomes of calls in one line: the counts that are zero in a healthy run appear only when not. */
export function formatCalls(c: CallOutcomes): string {
  return (
    `${c.immediate} served at once · ${c.waited} waited for a refresh` +
    (c.waited > 0 ? ` (longest ${formatDuration(c.maxWaitMS)})` : '') +
    ` · ${c.failedFast} failed fast · ${c.timedOut} timed out` +
    (c.topologyClosed > 0 ? ` · ${c.topologyClosed} ended by close` : '') +
    (c.otherErrors > 0 ? ` · ${c.otherErrors} other errors` : '')
  );
}

/** One line per kind of call: which read preferences waited, for how long, and which timed out. */
export function formatCallsByKind(calls: CallStats): string[] {
  const width = Math.max(0, ...calls.byKind.map((k) => k.label.length));
  return calls.byKind.map((k) => {
    const total = k.immediate + k.waited + k.failedFast + k.timedOut + k.topologyClosed + k.otherErrors;
    return `${k.label.padEnd(width)}  ${total} calls: ${formatCalls(k)}`;
  });
}

function logLines(log: readonly LogLine[], max: number): string[] {
  return log.slice(-max).map((l) => `  ${formatAt(l.atMS)}  ${l.text}`);
}

/** The whole live screen as lines. */
export function renderLiveView(view: LiveView, options: RenderOptions): string[] {
  const paint = styler(options.color);
  const lines: string[] = [];
  lines.push(
    `${paint(view.title, 'bold')} · ${view.target} · ${formatDuration(view.elapsedMS)} · snapshot v${view.snapshotVersion}`,
  );
  const setName = view.setName === null ? '' : ` (${view.setName})`;
  lines.push(
    `topology ${paint(view.topologyType, 'bold')}${setName} · primary ` +
      (view.primary === null ? paint('none', 'red', 'bold') : paint(view.primary, 'green', 'bold')),
  );
  lines.push('');
  lines.push(...memberLines(view.members, paint).map((l) => `  ${l}`));
  lines.push('');
  lines.push(paint(`FAILOVERS (${view.failovers.length})`, 'bold'));
  if (view.failovers.length === 0) lines.push('  none yet');
  for (const f of view.failovers.slice(-6)) lines.push(`  ${formatAt(f.atMS)}  ${formatFailover(f)}`);
  if (view.calls !== null) {
    lines.push('');
    lines.push(paint(`APPLICATION CALLS (${view.calls.callers} concurrent callers)`, 'bold'));
    lines.push(`  ${formatCalls(view.calls)}`);
  }
  if (view.log.length > 0) {
    lines.push('');
    lines.push(paint('EVENTS', 'bold'));
    lines.push(...logLines(view.log, options.maxLogLines ?? 8));
  }
  lines.push('');
  lines.push(paint(view.footer, 'dim'));
  return lines.map((l) => truncateLine(l, options.width));
}

export interface RunSummary {
  readonly title: string;
  readonly elapsedMS: number;
  readonly failovers: readonly FailoverRow[];
  /** New primaries the simulator elected that our topology never announced. */
  readonly missed: readonly string[];
  /** hello checks per server (simulated deployments only). */
  readonly checks: readonly { readonly address: string; readonly count: number }[] | null;
  readonly calls: CallStats | null;
  readonly members: readonly MemberRow[];
}

/**
 * The summary printed when a run ends. Its lines are never cut to `options.width`: nothing
 * redraws them, so a long line may wrap, and every word of it is kept.
 */
export function renderSummary(summary: RunSummary, options: RenderOptions): string[] {
  const paint = styler(options.color);
  const detected = summary.failovers.filter((f) => f.detectionMS !== null);
  const lines: string[] = [];
  lines.push(
    paint(`${summary.title}: summary after ${formatDuration(summary.elapsedMS)}`, 'bold') +
      ` — ${summary.failovers.length} failover(s) detected` +
      (summary.missed.length > 0 ? paint(`, ${summary.missed.length} missed`, 'red', 'bold') : ''),
  );
  for (const f of summary.failovers) lines.push(`  ${formatFailover(f)}`);
  if (detected.length > 0) {
    const times = detected.map((f) => f.detectionMS ?? 0);
    lines.push(
      `  detection time: best ${formatDuration(Math.min(...times))}, worst ${formatDuration(Math.max(...times))}`,
    );
  }
  for (const address of summary.missed)
    lines.push(paint(`  missed: election of ${address} never seen`, 'red'));
  if (summary.checks !== null) {
    const total = summary.checks.reduce((sum, c) => sum + c.count, 0);
    lines.push(
      `  hello checks received: ${summary.checks.map((c) => `${c.address} ${c.count}`).join(', ')} (total ${total})`,
    );
  }
  if (summary.calls !== null) {
    lines.push(`  application calls: ${formatCalls(summary.calls)}`);
    for (const line of formatCallsByKind(summary.calls)) lines.push(`    ${line}`);
  }
  if (summary.checks === null) {
    for (const m of summary.members) {
      lines.push(`  ${m.address} ${m.type}${m.error === null ? '' : ` — ${m.error}`}`);
    }
  }
  return lines;
}
