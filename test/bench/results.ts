/**
 * Benchmark results: the figures of each section (ours and the official driver's, side by side),
 * the machine they were measured on, the tables printed to stdout, `docs/benchmarks/results.json`
 * and the generated part of `docs/benchmarks.md`.
 *
 * A figure that could not be measured is `null` with a `<field>Error` string next to it: a failure
 * is a result too, never dropped and never replaced by a number from elsewhere.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { errorMessage, ratio, round } from './stats.js';

export type FigureValue = number | boolean | string | null;

/** The named figures of one section, in the order they were set. */
export class Figures {
  readonly values: Record<string, FigureValue> = {};

  set(field: string, value: FigureValue): void {
    this.values[field] = typeof value === 'number' ? round(value, 4) : value;
    delete this.values[`${field}Error`];
  }

  /** Takes over the figures (and errors) another process measured, as that process recorded them. */
  copy(values: Readonly<Record<string, FigureValue>>): void {
    for (const [field, value] of Object.entries(values)) this.values[field] = value;
  }

  /** Records that `field` could not be measured, and why. Keeps an earlier error for the same field. */
  fail(field: string, error: unknown): void {
    this.values[field] = null;
    const key = `${field}Error`;
    if (typeof this.values[key] !== 'string') this.values[key] = errorMessage(error);
  }

  /** Records `error` for each of `fields` that has neither a value nor an error yet. */
  failMissing(fields: Iterable<string>, error: unknown): void {
    for (const field of fields) if (!this.has(field)) this.fail(field, error);
  }

  /** Runs `measure` and records its number, or its error. */
  async measure(field: string, measure: () => Promise<FigureValue> | FigureValue): Promise<void> {
    try {
      this.set(field, await measure());
    } catch (error) {
      this.fail(field, error);
    }
  }

  has(field: string): boolean {
    return field in this.values;
  }

  get(field: string): FigureValue | undefined {
    return this.values[field];
  }

  error(field: string): string | undefined {
    const value = this.values[`${field}Error`];
    return typeof value === 'string' ? value : undefined;
  }
}

export type Unit = 'ns' | 'µs' | 'ms' | 's' | 'MB' | 'count' | 'yes/no';

/** One line of a section's table: which field is ours, which is the driver's. */
export interface RowSpec {
  readonly label: string;
  readonly unit: Unit;
  /** Our field; absent when only the driver has the figure. */
  readonly ours?: string;
  /** The driver's field; absent when the figure has no driver counterpart. */
  readonly driver?: string;
  /** The goal from issue 5, in words. */
  readonly target?: string;
}

/** How a benchmark is told to run. */
export interface BenchContext {
  readonly quick: boolean;
  log(message: string): void;
}

export interface Benchmark {
  /** The JSON key of the section (`selection`, `failover`, ...). */
  readonly key: string;
  readonly title: string;
  readonly rows: readonly RowSpec[];
  /** Fields that are recorded but not shown as rows (still filled with null + error on failure). */
  readonly extraFields?: readonly string[];
  run(context: BenchContext, figures: Figures, notes: string[]): Promise<void>;
}

export interface SectionResult {
  readonly key: string;
  readonly title: string;
  readonly rows: readonly RowSpec[];
  readonly figures: Figures;
  readonly notes: readonly string[];
  readonly durationMs: number;
  /** Set when the benchmark itself threw (as opposed to one side failing a measurement). */
  readonly crashed: string | null;
}

export interface Machine {
  readonly os: string;
  readonly cpuModel: string;
  readonly cores: number;
  /** os.loadavg() (1, 5, 15 minutes) when the run ended: the machine may be shared. */
  readonly loadAverage?: readonly number[];
  readonly node: string;
  readonly driver: string;
  readonly totalMemoryMB: number;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    node: process.version,
    driver: `mongodb ${driverVersion()}`,
    totalMemoryMB: Math.round(os.totalmem() / 1024 / 1024),
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

function driverVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const manifest = JSON.parse(readFileSync(require.resolve('mongodb/package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Every field a section declares: its rows' fields and its extra ones. */
export function declaredFields(benchmark: Pick<Benchmark, 'rows' | 'extraFields'>): string[] {
  const fields: string[] = [];
  for (const row of benchmark.rows) {
    if (row.ours !== undefined) fields.push(row.ours);
    if (row.driver !== undefined) fields.push(row.driver);
  }
  for (const field of benchmark.extraFields ?? []) fields.push(field);
  return [...new Set(fields)];
}

/** The JSON document: run metadata, then one object per section holding its fields and notes. */
export function resultsDocument(
  sections: readonly SectionResult[],
  meta: { date: Date; mode: 'full' | 'quick'; machine: Machine; durationMs: number },
): Record<string, unknown> {
  const document: Record<string, unknown> = {
    date: meta.date.toISOString(),
    mode: meta.mode,
    machine: meta.machine,
    durationSeconds: round(meta.durationMs / 1000, 3),
  };
  for (const section of sections) {
    document[section.key] = {
      ...section.figures.values,
      ...(section.crashed === null ? {} : { crashed: section.crashed }),
      notes: section.notes,
    };
  }
  return document;
}

function formatNumber(value: number): string {
  const rounded = round(value, 3) as number;
  if (Math.abs(rounded) >= 10_000) return Math.round(rounded).toLocaleString('en-US');
  return String(rounded);
}

function formatValue(value: FigureValue | undefined, unit: Unit, error: string | undefined): string {
  if (value === null || value === undefined) {
    if (error === undefined) return 'n/a';
    // A figure skipped on purpose (e.g. in --quick mode) is not a failure.
    return error.startsWith('not measured') ? shorten(error, 90) : `failed: ${shorten(error, 90)}`;
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  return unit === 'count' || unit === 'yes/no' ? formatNumber(value) : `${formatNumber(value)} ${unit}`;
}

function shorten(text: string, length: number): string {
  const oneLine = text.replace(/\s+/g, ' ').replace(/\|/g, '/');
  return oneLine.length <= length ? oneLine : `${oneLine.slice(0, length - 1)}…`;
}

function formatRatio(ours: FigureValue | undefined, driver: FigureValue | undefined): string {
  if (typeof ours !== 'number' || typeof driver !== 'number') return '–';
  const value = ratio(ours, driver);
  if (value === null) return ours === 0 && driver === 0 ? '–' : '∞';
  return `${formatNumber(value)}x`;
}

/** One section as a Markdown table (also readable on a terminal). */
export function sectionTable(section: SectionResult): string {
  const lines = [
    `| Figure | waspnest | mongodb driver | ratio (ours / driver) | target |`,
    `| --- | --- | --- | --- | --- |`,
  ];
  for (const row of section.rows) {
    const ours = row.ours === undefined ? undefined : section.figures.get(row.ours);
    const driver = row.driver === undefined ? undefined : section.figures.get(row.driver);
    const cell = (field: string | undefined, value: FigureValue | undefined): string =>
      field === undefined ? '–' : formatValue(value, row.unit, section.figures.error(field));
    const both = row.ours !== undefined && row.driver !== undefined;
    lines.push(
      `| ${row.label} | ${cell(row.ours, ours)} | ${cell(row.driver, driver)} | ` +
        `${both ? formatRatio(ours, driver) : '–'} | ${row.target ?? ''} |`,
    );
  }
  return lines.join('\n');
}

/** Every section's table with its notes, plus a header naming the machine and date. */
export function renderReport(
  sections: readonly SectionResult[],
  meta: { date: Date; mode: 'full' | 'quick'; machine: Machine; durationMs: number },
): string {
  const m = meta.machine;
  const parts = [
    `Measured ${meta.date.toISOString()} (${meta.mode} run, ${Math.round(meta.durationMs / 1000)} s) on ` +
      `${m.os}, ${m.cpuModel}, ${m.cores} cores, ${m.totalMemoryMB} MB RAM, Node ${m.node}, ${m.driver}` +
      (m.loadAverage === undefined
        ? '.'
        : `; load average ${m.loadAverage.join(', ')} (1, 5, 15 min) at the end.`),
  ];
  for (const section of sections) {
    parts.push(`### ${section.title}`);
    if (section.crashed !== null) parts.push(`**The benchmark failed:** ${shorten(section.crashed, 400)}`);
    parts.push(sectionTable(section));
    if (section.notes.length > 0) parts.push(section.notes.map((note) => `- ${note}`).join('\n'));
  }
  return parts.join('\n\n');
}

export const resultsStart = '<!-- results:start -->';
export const resultsEnd = '<!-- results:end -->';

/** Replaces what lies between the result markers of `markdown` (appends the block when they are missing). */
export function replaceResults(markdown: string, report: string): string {
  const block = `${resultsStart}\n\n${report}\n\n${resultsEnd}`;
  const start = markdown.indexOf(resultsStart);
  const end = markdown.indexOf(resultsEnd);
  if (start < 0 || end < start) return `${markdown.trimEnd()}\n\n${block}\n`;
  return markdown.slice(0, start) + block + markdown.slice(end + resultsEnd.length);
}

/**
 * Writes `docs/benchmarks/results.json` and the tables of `docs/benchmarks.md` under `root`. The
 * page goes through the project's Prettier settings, so that a run never leaves `npm run lint`
 * failing on a generated table.
 */
export async function writeResults(
  root: string,
  document: Record<string, unknown>,
  report: string,
): Promise<string[]> {
  const jsonPath = path.join(root, 'docs', 'benchmarks', 'results.json');
  const markdownPath = path.join(root, 'docs', 'benchmarks.md');
  mkdirSync(path.dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(document, null, 2)}\n`);
  let markdown = '# Benchmarks\n';
  try {
    markdown = readFileSync(markdownPath, 'utf8');
  } catch {
    // no document yet: start one
  }
  writeFileSync(markdownPath, await formatMarkdown(replaceResults(markdown, report), markdownPath));
  return [jsonPath, markdownPath];
}

async function formatMarkdown(text: string, filepath: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(filepath)) ?? {};
    return await prettier.format(text, { ...config, filepath });
  } catch (error) {
    console.warn(`could not format ${filepath} with Prettier (${errorMessage(error)}); written as generated`);
    return text;
  }
}
