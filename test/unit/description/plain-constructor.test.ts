import { describe, expect, it } from 'vitest';
import { plainConstructor } from '../../../src/description/plain-constructor.js';
import { addRttSample, emptyRttStats } from '../../../src/description/round-trip-time.js';
import {
  describeRepeatedHello,
  serverDescriptionFromHello,
} from '../../../src/description/server-description.js';

describe('plain constructors (per-heartbeat values made with new, not literals)', () => {
  it('make objects whose prototype is Object.prototype, with own enumerable fields', () => {
    const Point = plainConstructor(function (this: { x: number; y: number }, x: number, y: number): void {
      this.x = x;
      this.y = y;
    });
    const point = new Point(1, 2);
    expect(Object.getPrototypeOf(point)).toBe(Object.prototype);
    expect(point).toStrictEqual({ x: 1, y: 2 });
    expect({ ...point }).toStrictEqual({ x: 1, y: 2 });
  });

  it('a repeated reply description is a frozen plain object, field for field the full reading', () => {
    const reply = {
      ok: 1,
      isWritablePrimary: true,
      setName: 'rs',
      hosts: ['a:27017', 'b:27017'],
      maxWireVersion: 21,
      lastWrite: { lastWriteDate: new Date(5_000) },
    };
    const rtt = addRttSample(addRttSample(emptyRttStats, 4), 2);
    const first = serverDescriptionFromHello('a:27017', reply, { now: 1, roundTripTime: rtt });
    const repeated = describeRepeatedHello(first, { now: 2, roundTripTime: rtt });
    expect(Object.getPrototypeOf(repeated)).toBe(Object.prototype);
    expect(Object.isFrozen(repeated)).toBe(true);
    // The same keys in the same order as a full reading, the time being the new one.
    const again = serverDescriptionFromHello('a:27017', reply, { now: 2, roundTripTime: rtt });
    expect(Object.keys(repeated!)).toEqual(Object.keys(again));
    expect(repeated).toStrictEqual(again);
  });

  it('RTT statistics are frozen plain objects', () => {
    const stats = addRttSample(emptyRttStats, 3);
    expect(Object.getPrototypeOf(stats)).toBe(Object.prototype);
    expect(Object.isFrozen(stats)).toBe(true);
    expect(stats).toStrictEqual({ average: 3, min: 0, samples: [3] });
  });
});
