import { describe, expect, it } from 'vitest';
import { driverSkipEntry, driverSkipReason, loadDriverSkips, parseDriverSkips } from './driver-skips.js';

const ticket = { behaviour: 'the driver does X (lib/x.js)', skippedBy: 'repo@commit path, skip list' };
const entry = { file: 'a/b.json', test: 'T', failure: 'expected false, found true', ticket: 'NODE-1' };

describe('driver-cited skips', () => {
  it('applies an entry only to its pair failing with the cited failure', () => {
    const skips = parseDriverSkips({ tickets: { 'NODE-1': ticket }, entries: [entry] });
    const found = driverSkipEntry(skips, 'a/b.json', 'T');
    expect(found).toEqual(entry);
    expect(driverSkipEntry(skips, 'a/b.json', 'other test')).toBeUndefined();
    expect(driverSkipReason(found!, 'event 1: awaited: expected false, found true')).toMatch(
      /^driver-cited skip: NODE-1 .*expected false, found true$/,
    );
    expect(driverSkipReason(found!, 'expected an error, got {}')).toBeUndefined();
  });

  it('refuses entries without a cited ticket, and tickets without both citations', () => {
    expect(() => parseDriverSkips({ tickets: {}, entries: [entry] })).toThrow(/unknown ticket NODE-1/);
    expect(() => parseDriverSkips({ tickets: { 'NODE-1': { behaviour: 'x' } }, entries: [] })).toThrow(
      /needs 'behaviour' and 'skippedBy'/,
    );
    expect(() =>
      parseDriverSkips({ tickets: { 'NODE-1': ticket }, entries: [{ ...entry, failure: '' }] }),
    ).toThrow(/entry 0 needs/);
    expect(() => parseDriverSkips([])).toThrow(/expected \{ tickets/);
  });

  it('the project data file is well formed', () => {
    const skips = loadDriverSkips();
    expect(skips.entries.length).toBeGreaterThan(0);
    for (const e of skips.entries) expect(skips.tickets.has(e.ticket)).toBe(true);
  });
});
