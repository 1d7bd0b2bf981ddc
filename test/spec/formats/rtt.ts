/**
 * Round-trip-time specification tests: a previous average (`avg_rtt_ms`, or "NULL" for none), a
 * new sample (`new_rtt_ms`) and the expected new average (`new_avg_rtt`). Each file is one case.
 */
import assert from 'node:assert/strict';
import type { Document } from 'bson';
import type { FormatHandler } from '../spec-case.js';
import { addRttSample, emptyRttStats, type RttStats } from '../../../src/description/round-trip-time.js';
import { specNumber } from './selection.js';

function runCase(content: Document): void {
  const previous = content['avg_rtt_ms'];
  let stats: RttStats = emptyRttStats;
  if (previous !== 'NULL') {
    const average = specNumber(previous);
    assert.ok(average !== undefined, `avg_rtt_ms must be a number or "NULL", got ${String(previous)}`);
    stats = Object.freeze({ average, min: average, samples: Object.freeze([average]) });
  }
  const sample = specNumber(content['new_rtt_ms']);
  const expected = specNumber(content['new_avg_rtt']);
  assert.ok(sample !== undefined && expected !== undefined, 'new_rtt_ms and new_avg_rtt must be numbers');
  const next = addRttSample(stats, sample);
  assert.ok(next.average !== null, 'an average after a sample');
  // The files give averages to two decimals; floating point may differ in the last bits.
  assert.ok(
    Math.abs(next.average - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `new average ${next.average}, expected ${expected}`,
  );
  assert.ok(Object.isFrozen(next), 'RttStats values are frozen');
}

export const rttCases: FormatHandler = (file) => [{ name: file.path, run: () => runCase(file.content) }];
