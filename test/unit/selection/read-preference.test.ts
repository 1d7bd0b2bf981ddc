import { describe, it, expect } from 'vitest';
import { ReadPreference as DriverReadPreference } from 'mongodb';
import {
  formatReadPreference,
  READ_PREFERENCE_MODES,
  primaryReadPreference,
  toReadPreference,
  type ReadPreferenceLike,
} from '../../../src/selection/read-preference.js';
import { ReadPreferenceError } from '../../../src/errors.js';

describe('toReadPreference', () => {
  it('defaults to primary and shares one frozen object per mode string', () => {
    expect(toReadPreference()).toBe(primaryReadPreference);
    expect(toReadPreference('primary')).toBe(primaryReadPreference);
    const nearest = toReadPreference('nearest');
    expect(nearest).toEqual({ mode: 'nearest', tags: [], maxStalenessSeconds: null });
    expect(toReadPreference('nearest')).toBe(nearest);
    expect(Object.isFrozen(nearest)).toBe(true);
  });

  it('gives every mode one shared object, however the mode reaches it', () => {
    // Every mode the module declares: a mode added without its preset fails here.
    expect(READ_PREFERENCE_MODES).toHaveLength(5);
    for (const mode of READ_PREFERENCE_MODES) {
      const shared = toReadPreference(mode);
      expect(shared.mode).toBe(mode);
      // A string built at run time (not the literal), another letter case, and an object.
      expect(toReadPreference(mode.split('').join('') as ReadPreferenceLike)).toBe(shared);
      expect(toReadPreference(mode.toUpperCase() as ReadPreferenceLike)).toBe(shared);
      expect(toReadPreference({ mode })).toBe(shared);
    }
    expect(() => toReadPreference('primary ' as ReadPreferenceLike)).toThrow(ReadPreferenceError);
  });

  it('accepts modes in any letter case, as connection strings and the spec files write them', () => {
    expect(toReadPreference('SecondaryPreferred' as ReadPreferenceLike).mode).toBe('secondaryPreferred');
    expect(toReadPreference({ mode: 'PRIMARYPREFERRED' } as unknown as ReadPreferenceLike).mode).toBe(
      'primaryPreferred',
    );
  });

  it('normalises objects: tags, the tagSets alias, -1 and null staleness, deep freezing', () => {
    const rp = toReadPreference({ mode: 'secondary', tags: [{ dc: 'east' }, {}], maxStalenessSeconds: 120 });
    expect(rp).toEqual({ mode: 'secondary', tags: [{ dc: 'east' }, {}], maxStalenessSeconds: 120 });
    expect(Object.isFrozen(rp) && Object.isFrozen(rp.tags) && Object.isFrozen(rp.tags[0])).toBe(true);
    expect(toReadPreference({ mode: 'nearest', tagSets: [{ rack: '1' }] }).tags).toEqual([{ rack: '1' }]);
    expect(toReadPreference({ mode: 'secondary', maxStalenessSeconds: -1 }).maxStalenessSeconds).toBeNull();
    expect(toReadPreference({ mode: 'secondary', maxStalenessSeconds: null })).toBe(
      toReadPreference('secondary'),
    );
  });

  it("treats [{}] (the spec's default) as no tags, and drops sets after an empty one", () => {
    expect(toReadPreference({ mode: 'secondary', tags: [{}] }).tags).toEqual([]);
    expect(toReadPreference({ mode: 'primary', tags: [{}] })).toBe(primaryReadPreference);
    expect(toReadPreference({ mode: 'nearest', tags: [{ a: 'b' }, {}, { c: 'd' }] }).tags).toEqual([
      { a: 'b' },
      {},
    ]);
  });

  it('returns a normalised read preference unchanged (no second copy)', () => {
    const rp = toReadPreference({ mode: 'nearest', tags: [{ dc: 'east' }] });
    expect(toReadPreference(rp)).toBe(rp);
  });

  it("copies the caller's tag objects, so later changes to them cannot reach a snapshot decision", () => {
    const tags = [{ dc: 'east' }];
    const rp = toReadPreference({ mode: 'nearest', tags });
    tags[0]!.dc = 'west';
    expect(rp.tags).toEqual([{ dc: 'east' }]);
  });

  it("accepts the official driver's ReadPreference objects", () => {
    const driver = new DriverReadPreference('secondaryPreferred', [{ dc: 'east' }], {
      maxStalenessSeconds: 120,
    });
    expect(toReadPreference(driver)).toEqual({
      mode: 'secondaryPreferred',
      tags: [{ dc: 'east' }],
      maxStalenessSeconds: 120,
    });
    expect(toReadPreference(DriverReadPreference.primary)).toBe(primaryReadPreference);
    expect(toReadPreference(DriverReadPreference.nearest).mode).toBe('nearest');
  });

  describe('rejects bad input with a ReadPreferenceError that says what is wrong', () => {
    const cases: [string, unknown, RegExp][] = [
      ['an unknown mode', 'closest', /unknown read preference mode 'closest' \(expected one of primary, /],
      ['an unknown mode in an object', { mode: 'fastest' }, /unknown read preference mode 'fastest'/],
      ['a mode that is not a string', { mode: 3 }, /unknown read preference mode 3/],
      ['a number', 42, /must be a mode string or an object with a mode; got 42/],
      [
        'tags with primary',
        { mode: 'primary', tags: [{ dc: 'east' }] },
        /tag sets cannot be used with .*'primary'/,
      ],
      ['tags with the default mode', { tags: [{ dc: 'east' }] }, /tag sets cannot be used with .*'primary'/],
      [
        'maxStalenessSeconds with primary',
        { mode: 'primary', maxStalenessSeconds: 120 },
        /maxStalenessSeconds cannot be used with .*'primary'/,
      ],
      [
        'maxStalenessSeconds with no mode',
        { maxStalenessSeconds: 120 },
        /maxStalenessSeconds cannot be used/,
      ],
      [
        'zero maxStalenessSeconds',
        { mode: 'secondary', maxStalenessSeconds: 0 },
        /positive whole number .* got 0/,
      ],
      ['negative maxStalenessSeconds', { mode: 'secondary', maxStalenessSeconds: -5 }, /got -5/],
      ['fractional maxStalenessSeconds', { mode: 'secondary', maxStalenessSeconds: 90.5 }, /got 90.5/],
      ['NaN maxStalenessSeconds', { mode: 'secondary', maxStalenessSeconds: Number.NaN }, /got NaN/],
      ['a string maxStalenessSeconds', { mode: 'secondary', maxStalenessSeconds: '120' }, /got '120'/],
      [
        'one tag set instead of a list',
        { mode: 'secondary', tags: { dc: 'east' } },
        /tags must be an array of tag sets/,
      ],
      [
        'a tag set that is not an object',
        { mode: 'secondary', tags: ['dc:east'] },
        /tag set 0 must be an object/,
      ],
      [
        'a tag value that is not a string',
        { mode: 'secondary', tags: [{ rack: 1 }] },
        /tag values must be strings: tag set 0 has rack: 1/,
      ],
      [
        'both tags and tagSets',
        { mode: 'secondary', tags: [{ a: 'b' }], tagSets: [{ c: 'd' }] },
        /tags or tagSets, not both/,
      ],
    ];
    for (const [what, input, message] of cases) {
      it(what, () => {
        expect(() => toReadPreference(input as ReadPreferenceLike)).toThrow(ReadPreferenceError);
        expect(() => toReadPreference(input as ReadPreferenceLike)).toThrow(message);
      });
    }
  });
});

describe('formatReadPreference', () => {
  it('names the mode, the tag sets and the staleness limit', () => {
    expect(formatReadPreference(toReadPreference('primary'))).toBe('primary');
    expect(
      formatReadPreference(
        toReadPreference({ mode: 'secondary', tags: [{ dc: 'east' }, {}], maxStalenessSeconds: 90 }),
      ),
    ).toBe("secondary with tags [{dc:'east'}, {}] and maxStalenessSeconds=90");
  });
});
