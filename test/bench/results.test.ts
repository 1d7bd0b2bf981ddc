import { describe, expect, it } from 'vitest';
import { comparedRow, driverField, sideField } from './driver-field.js';
import {
  declaredFields,
  Figures,
  renderReport,
  replaceResults,
  resultsDocument,
  resultsEnd,
  resultsStart,
  sectionTable,
  type SectionResult,
} from './results.js';
import { errorMessage, max, median, percentile, ratio, round, summarize } from './stats.js';

describe('benchmark statistics', () => {
  it('takes medians and percentiles by interpolation, whatever the input order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 90)).toBe(46);
    expect(percentile([7], 99)).toBe(7);
    expect(max([3, 9, 2])).toBe(9);
  });

  it('reports null for no samples instead of inventing a number', () => {
    expect(median([])).toBeNull();
    expect(max([])).toBeNull();
    expect(summarize([])).toEqual({ median: null, p90: null, max: null, count: 0 });
  });

  it('rejects a percentile outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('rounds to significant digits and computes ratios only from two figures', () => {
    expect(round(123_456, 3)).toBe(123_456);
    expect(round(0.0012345, 3)).toBe(0.00123);
    expect(round(null)).toBeNull();
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(null, 4)).toBeNull();
    expect(ratio(1, 0)).toBeNull();
  });

  it('describes thrown values readably', () => {
    expect(errorMessage(new TypeError('bad'))).toBe('TypeError: bad');
    expect(errorMessage('plain')).toBe('plain');
  });
});

function section(figures: Figures): SectionResult {
  return {
    key: 'demo',
    title: 'Demo',
    rows: [
      { label: 'cost', unit: 'ns', ours: 'costNs', driver: 'driverCostNs', target: '≤ 1/10' },
      { label: 'driver only', unit: 'count', driver: 'driverOnly' },
    ],
    figures,
    notes: ['a note'],
    durationMs: 1,
    crashed: null,
  };
}

describe('benchmark results', () => {
  it('keeps a failed figure as null with its error, and a later success clears the error', () => {
    const figures = new Figures();
    figures.fail('driverCostNs', new Error('connect timed out'));
    expect(figures.values).toEqual({ driverCostNs: null, driverCostNsError: 'connect timed out' });
    figures.set('driverCostNs', 40);
    expect(figures.values).toEqual({ driverCostNs: 40 });
  });

  it('records what a measurement returns or throws', async () => {
    const figures = new Figures();
    await figures.measure('a', () => 1);
    await figures.measure('b', () => Promise.reject(new Error('no server')));
    expect(figures.values).toEqual({ a: 1, b: null, bError: 'no server' });
  });

  it('fails only the fields that have neither a value nor an error yet', () => {
    const figures = new Figures();
    figures.set('a', 1);
    figures.fail('b', 'first error');
    figures.failMissing(['a', 'b', 'c'], 'crashed');
    expect(figures.values).toEqual({ a: 1, b: null, bError: 'first error', c: null, cError: 'crashed' });
  });

  it("names the driver's figures after ours, and rows pair the two", () => {
    expect(driverField('cpuSeconds')).toBe('driverCpuSeconds');
    expect(driverField('outcome', 'driverInsert')).toBe('driverInsertOutcome');
    expect(sideField('ours', 'cpuSeconds')).toBe('cpuSeconds');
    expect(sideField('driver', 'cpuSeconds')).toBe('driverCpuSeconds');
    expect(comparedRow('cost', 'ns', 'costNs', '≤ 1/10')).toEqual(section(new Figures()).rows[0]);
    expect(comparedRow('cost', 'ns', 'costNs')).not.toHaveProperty('target');
  });

  it('lists every declared field once, including extra ones', () => {
    expect(declaredFields({ rows: section(new Figures()).rows, extraFields: ['costNs', 'reps'] })).toEqual([
      'costNs',
      'driverCostNs',
      'driverOnly',
      'reps',
    ]);
  });

  it('puts both sides, the ratio and failures in the table', () => {
    const figures = new Figures();
    figures.set('costNs', 4);
    figures.set('driverCostNs', 40);
    figures.fail('driverOnly', 'Server selection timed out | after 2000 ms');
    const table = sectionTable(section(figures));
    expect(table).toContain('| cost | 4 ns | 40 ns | 0.1x | ≤ 1/10 |');
    expect(table).toContain(
      '| driver only | – | failed: Server selection timed out / after 2000 ms | – |  |',
    );
  });

  it('writes null plus an Error string into the JSON document, with the machine and date', () => {
    const figures = new Figures();
    figures.fail('costNs', 'crashed');
    const date = new Date('2026-01-02T03:04:05Z');
    const machine = {
      os: 'Linux',
      cpuModel: 'cpu',
      cores: 2,
      node: 'v20',
      driver: 'mongodb 7.9.0',
      totalMemoryMB: 1,
    };
    const document = resultsDocument([section(figures)], { date, mode: 'quick', machine, durationMs: 1500 });
    expect(document).toMatchObject({
      date: '2026-01-02T03:04:05.000Z',
      mode: 'quick',
      machine,
      demo: { costNs: null, costNsError: 'crashed', notes: ['a note'] },
    });
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
    expect(renderReport([section(figures)], { date, mode: 'quick', machine, durationMs: 1500 })).toContain(
      '### Demo',
    );
  });

  it('replaces only what lies between the markers, and appends them when missing', () => {
    const page = `# Title\n\nintro\n\n${resultsStart}\nold\n${resultsEnd}\n\nafter\n`;
    const updated = replaceResults(page, 'new table');
    expect(updated).toBe(`# Title\n\nintro\n\n${resultsStart}\n\nnew table\n\n${resultsEnd}\n\nafter\n`);
    expect(replaceResults(updated, 'newer')).toContain('newer');
    expect(replaceResults(updated, 'newer')).not.toContain('new table');
    expect(replaceResults('# Bare', 'x')).toBe(`# Bare\n\n${resultsStart}\n\nx\n\n${resultsEnd}\n`);
  });
});
