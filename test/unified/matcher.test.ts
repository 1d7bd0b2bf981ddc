import { describe, expect, it } from 'vitest';
import { Binary, Double, EJSON, Int32, Long, ObjectId } from 'bson';
import { assertMatches, assertSameDocuments, matches, type MatchEntities } from './matcher.js';

/** Expected values are read from files as canonical extended JSON, as the runner reads them. */
const ej = (text: string): unknown => EJSON.parse(text, { relaxed: false });

const lsid = { id: new Binary(Buffer.alloc(16, 7), 4) };
const entities: MatchEntities = {
  entity: (name) => {
    if (name === 'oid0') return new ObjectId('0123456789abcdef01234567');
    throw new Error(`entity ${name} is not defined`);
  },
  sessionLsid: (name) => {
    if (name === 'session0') return lsid;
    throw new Error(`session entity ${name} is not defined`);
  },
};

describe('unified matcher: documents', () => {
  it('allows extra keys in a root-level document but not in nested ones', () => {
    expect(matches(ej('{"x": 1}'), { x: 1, y: 2 })).toBe(true);
    expect(matches(ej('{"x": {"y": 1}}'), { x: { y: 1, z: 1 } })).toBe(false);
    expect(matches(ej('{"x": 1, "y": 1}'), { x: 1 })).toBe(false);
  });

  it('ignores key order and compares numbers by value across int, long and double', () => {
    expect(matches(ej('{"x": 1, "y": 2}'), { y: 2, x: 1 })).toBe(true);
    expect(matches(new Int32(1), 1.0)).toBe(true);
    expect(matches(Long.fromNumber(5), 5)).toBe(true);
    expect(matches(new Double(1), 1.5)).toBe(false);
  });

  it('requires arrays of the same length, element by element, elements not root-level', () => {
    expect(matches(ej('[1, 2, 3]'), [1, 2, 3, 4])).toBe(false);
    expect(matches(ej('[{"x": 1}]'), [{ x: 1, y: 1 }])).toBe(false);
    expect(matches(ej('[{"x": 1}]'), [{ x: 1 }])).toBe(true);
  });

  it('reads a Map (the driver builds sort as one) as a document', () => {
    expect(matches(ej('{"sort": {"a": 1}}'), { sort: new Map([['a', 1]]) })).toBe(true);
  });

  it('names the path of the first difference', () => {
    expect(() => assertMatches(ej('{"a": {"b": [1, 2]}}'), { a: { b: [1, 3] } })).toThrow(/a\.b\.1/);
  });
});

describe('unified matcher: special operators', () => {
  it('$$exists checks presence or absence of a key', () => {
    expect(matches(ej('{"a": {"$$exists": true}}'), { a: null })).toBe(true);
    expect(matches(ej('{"a": {"$$exists": true}}'), {})).toBe(false);
    expect(matches(ej('{"a": {"$$exists": false}}'), {})).toBe(true);
    expect(matches(ej('{"a": {"$$exists": false}}'), { a: 1 })).toBe(false);
  });

  it('$$type accepts one type or a list, and number as an alias', () => {
    expect(matches(ej('{"$$type": "string"}'), 'x')).toBe(true);
    expect(matches(ej('{"$$type": ["int", "long"]}'), 3)).toBe(true);
    expect(matches(ej('{"$$type": "int"}'), 3.5)).toBe(false);
    expect(matches(ej('{"$$type": "number"}'), Long.fromNumber(2))).toBe(true);
    expect(matches(ej('{"$$type": "objectId"}'), new ObjectId())).toBe(true);
    expect(matches(ej('{"$$type": "object"}'), [1])).toBe(false);
    expect(matches(ej('{"a": {"$$type": "string"}}'), {})).toBe(false);
  });

  it('$$unsetOrMatches accepts an absent value or a matching one', () => {
    expect(matches(ej('{"a": {"$$unsetOrMatches": 1}}'), {})).toBe(true);
    expect(matches(ej('{"a": {"$$unsetOrMatches": 1}}'), { a: 1 })).toBe(true);
    expect(matches(ej('{"a": {"$$unsetOrMatches": 1}}'), { a: 2 })).toBe(false);
    expect(matches(ej('{"$$unsetOrMatches": {"insertedId": 2}}'), undefined)).toBe(true);
  });

  it('$$matchesEntity and $$sessionLsid read the entity map', () => {
    const opts = { entities };
    expect(
      matches(
        ej('{"_id": {"$$matchesEntity": "oid0"}}'),
        { _id: new ObjectId('0123456789abcdef01234567') },
        opts,
      ),
    ).toBe(true);
    expect(matches(ej('{"_id": {"$$matchesEntity": "oid0"}}'), { _id: new ObjectId() }, opts)).toBe(false);
    expect(matches(ej('{"lsid": {"$$sessionLsid": "session0"}}'), { lsid }, opts)).toBe(true);
    expect(
      matches(
        ej('{"lsid": {"$$sessionLsid": "session0"}}'),
        { lsid: { id: new Binary(Buffer.alloc(16, 1), 4) } },
        opts,
      ),
    ).toBe(false);
    expect(() => assertMatches(ej('{"$$sessionLsid": "session9"}'), lsid, opts)).toThrow(/session9/);
  });

  it('$$matchesHexBytes compares bytes and rejects malformed hex', () => {
    expect(matches(ej('{"$$matchesHexBytes": "12ab"}'), Buffer.from([0x12, 0xab]))).toBe(true);
    expect(matches(ej('{"$$matchesHexBytes": "12ab"}'), Buffer.from([0x12]))).toBe(false);
    expect(() => assertMatches(ej('{"$$matchesHexBytes": "1"}'), Buffer.from([1]))).toThrow(/malformed/);
  });

  it('$$lte compares numbers flexibly', () => {
    expect(matches(ej('{"$$lte": 1}'), 1.0)).toBe(true);
    expect(matches(ej('{"$$lte": 1}'), 0)).toBe(true);
    expect(matches(ej('{"$$lte": 1}'), 1.1)).toBe(false);
  });

  it('$$matchAsDocument parses an extended JSON string, not as a root document', () => {
    expect(matches(ej('{"$$matchAsDocument": {"x": 1}}'), '{"x": 1}')).toBe(true);
    expect(matches(ej('{"$$matchAsDocument": {"x": 1}}'), '{"x": 1, "y": 2}')).toBe(false);
    expect(matches(ej('{"$$matchAsDocument": {"$$matchAsRoot": {"x": 1}}}'), '{"x": 1, "y": 2}')).toBe(true);
    expect(matches(ej('{"$$matchAsDocument": {"x": 1}}'), '{"x" }')).toBe(false);
  });

  it('$$matchAsRoot allows extra keys in a nested document', () => {
    expect(matches(ej('{"x": {"$$matchAsRoot": {"y": 2}}}'), { x: { y: 2, z: 3 } })).toBe(true);
    expect(matches(ej('{"x": {"$$matchAsRoot": {"y": 3}}}'), { x: { y: 2, z: 3 } })).toBe(false);
  });

  it('rejects an unknown special operator', () => {
    expect(() => assertMatches(ej('{"$$nope": 1}'), 1)).toThrow(/unknown special operator/);
  });
});

describe('unified matcher: outcome', () => {
  it('compares collection contents exactly, extra keys refused even at the top', () => {
    expect(() => assertSameDocuments([{ _id: 1 }], [{ _id: 1, x: 1 }], 'c')).toThrow(/unexpected key/);
    expect(() => assertSameDocuments([{ _id: 1, x: 1 }], [{ x: 1, _id: 1 }], 'c')).not.toThrow();
  });
});
