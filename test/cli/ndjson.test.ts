import { describe, expect, it } from 'vitest';
import { ObjectId, Long } from 'bson';
import { ndjsonLine, toJsonSafe } from '../../src/cli/ndjson.js';

describe('toJsonSafe', () => {
  it('turns maps, sets, errors, dates, bigints and BSON values into plain JSON', () => {
    const error = Object.assign(new Error('boom'), { code: 11600, codeName: 'InterruptedAtShutdown' });
    const value = toJsonSafe({
      servers: new Map([['a:1', { type: 'RSPrimary' }]]),
      set: new Set([1, 2]),
      error,
      at: new Date('2024-01-02T03:04:05.000Z'),
      big: 12n,
      id: new ObjectId('65a1b2c3d4e5f60718293a4b'),
      counter: Long.fromNumber(7),
      skipped: undefined,
      fn: () => 1,
      nan: Number.NaN,
    });
    expect(value).toEqual({
      servers: { 'a:1': { type: 'RSPrimary' } },
      set: [1, 2],
      error: { name: 'Error', message: 'boom', code: 11600, codeName: 'InterruptedAtShutdown' },
      at: '2024-01-02T03:04:05.000Z',
      big: '12',
      id: '65a1b2c3d4e5f60718293a4b',
      counter: 7,
      nan: null,
    });
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(toJsonSafe(a)).toEqual({ name: 'a', self: '[circular]' });
  });
});

describe('ndjsonLine', () => {
  it('writes one JSON object with the event name, time and payload, envelope first', () => {
    const line = ndjsonLine(
      'primaryChanged',
      { previous: 'a:1', current: 'b:2', event: 'x' },
      new Date(0),
      12.3456,
    );
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      event: 'primaryChanged',
      time: '1970-01-01T00:00:00.000Z',
      elapsedMS: 12.346,
      previous: 'a:1',
      current: 'b:2',
    });
    expect(line.startsWith('{"event":"primaryChanged"')).toBe(true);
  });

  it('wraps a payload that is not an object', () => {
    expect(JSON.parse(ndjsonLine('tick', 5, new Date(0), 0))).toMatchObject({ event: 'tick', value: 5 });
  });
});
