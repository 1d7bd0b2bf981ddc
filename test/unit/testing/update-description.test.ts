import { Timestamp } from 'bson';
import { describe, expect, it } from 'vitest';
import {
  comparePositions,
  decodeResumeToken,
  encodeResumeToken,
  highWaterMark,
  type StreamPosition,
} from '../../../src/testing/resume-token.js';
import { describeUpdate } from '../../../src/testing/update-description.js';

describe('describeUpdate', () => {
  it('reports a whole value for a path an operator set, and field by field otherwise', () => {
    const before = { _id: 1, a: { b: 1, c: 2 }, n: 1, gone: true };
    const after = { _id: 1, a: { b: 5 }, n: 2 };
    expect(
      describeUpdate(before, after, { $set: { a: { b: 5 } }, $inc: { n: 1 }, $unset: { gone: 1 } }),
    ).toEqual({
      updatedFields: { a: { b: 5 }, n: 2 },
      removedFields: ['gone'],
      truncatedArrays: [],
      disambiguatedPaths: {},
    });
    // A pipeline carries no operator paths: the diff goes into the sub-document.
    expect(describeUpdate(before, after, [{ $set: { a: { b: 5 } } }]).removedFields).toEqual(['gone', 'a.c']);
  });

  it('describes arrays element by element: appended, changed, truncated', () => {
    const before = { _id: 1, list: ['a', { x: 1 }, 'c', 'd'] };
    const after = { _id: 1, list: ['a', { x: 2 }] };
    expect(describeUpdate(before, after, [{ $set: { list: ['a', { x: 2 }] } }])).toEqual({
      updatedFields: { 'list.1.x': 2 },
      removedFields: [],
      truncatedArrays: [{ field: 'list', newSize: 2 }],
      disambiguatedPaths: { 'list.1.x': ['list', 1, 'x'] },
    });
    expect(
      describeUpdate({ _id: 1, list: [1] }, { _id: 1, list: [1, 2] }, { $push: { list: 2 } }).updatedFields,
    ).toEqual({
      'list.1': 2,
    });
  });

  it('splits paths through numeric field names, and treats positional operators as any index', () => {
    const numeric = describeUpdate(
      { _id: 1, a: { '1': 1 } },
      { _id: 1, a: { '1': 2 } },
      { $set: { 'a.1': 2 } },
    );
    expect(numeric.disambiguatedPaths).toEqual({ 'a.1': ['a', '1'] });
    const positional = describeUpdate(
      { _id: 1, items: [{ q: 1, tags: ['x'] }] },
      { _id: 1, items: [{ q: 1, tags: ['y'] }] },
      { $set: { 'items.$.tags': ['y'] } },
    );
    expect(positional.updatedFields).toEqual({ 'items.0.tags': ['y'] });
  });
});

describe('resume tokens', () => {
  const at = (t: number, i: number, opIndex: number, invalidate = false): StreamPosition => ({
    ts: new Timestamp({ t, i }),
    opIndex,
    invalidate,
  });

  it('round-trip, and sort as strings in oplog order', () => {
    const positions = [
      at(5, 1, 0),
      at(5, 1, 0, true),
      at(5, 1, 2),
      highWaterMark(new Timestamp({ t: 5, i: 1 })),
      at(5, 2, 0),
      at(300, 0, 0),
    ];
    const tokens = positions.map((position) => (encodeResumeToken(position) as { _data: string })._data);
    expect([...tokens].sort()).toEqual(tokens);
    for (const [index, position] of positions.entries()) {
      const decoded = decodeResumeToken({ _data: tokens[index] }, 'resumeAfter');
      expect(comparePositions(decoded, position)).toBe(0);
    }
  });

  it('refuses what is not a token of the simulator', () => {
    expect(() => decodeResumeToken({ _data: 'zz' }, 'resumeAfter')).toThrow(
      /resumeAfter is not a resume token/,
    );
    expect(() => decodeResumeToken('8200', 'startAfter')).toThrow(/startAfter/);
  });
});
