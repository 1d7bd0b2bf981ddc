/**
 * Change-stream resume tokens: `{ _data: <hex> }`, opaque to drivers, whose string order follows the
 * oplog position they name, as mongod's do. A position is an oplog entry's timestamp, the index of
 * one op in that entry (a transaction's entry holds many), and whether it is the invalidate that
 * follows that op. A high-water mark (a postBatchResumeToken when no event was returned) names the
 * end of an entry: every op of it has been seen.
 */
import { Timestamp, type Document } from 'bson';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';

/** Where a change stream stands in the oplog. */
export interface StreamPosition {
  readonly ts: Timestamp;
  /** The op's index in its entry; HIGH_WATER_MARK for "after every op of this entry". */
  readonly opIndex: number;
  /** The invalidate event that follows op `opIndex`. */
  readonly invalidate: boolean;
}

/** opIndex of a high-water mark: after every op of the entry. */
export const HIGH_WATER_MARK = 0xffffffff;

/** mongod's tokens begin with the keystring type byte of a Timestamp; ours too, for familiarity. */
const PREFIX = '82';

const hex = (value: number, digits: number): string => value.toString(16).toUpperCase().padStart(digits, '0');

export function encodeResumeToken(position: StreamPosition): Document {
  const data =
    PREFIX +
    hex(position.ts.high >>> 0, 8) +
    hex(position.ts.low >>> 0, 8) +
    hex(position.opIndex, 8) +
    (position.invalidate ? '01' : '00');
  return { _data: data };
}

const TOKEN_PATTERN = /^82([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(0[01])$/;

/**
 * The position a resume token names.
 * @throws CommandError BadValue for anything that is not a token this simulator made.
 */
export function decodeResumeToken(token: unknown, option: string): StreamPosition {
  const data = isPlainDocument(token) ? token['_data'] : undefined;
  const match = typeof data === 'string' ? TOKEN_PATTERN.exec(data.toUpperCase()) : null;
  if (!match) {
    throw new CommandError(
      ServerErrorCode.BadValue,
      `${option} is not a resume token of this deployment: expected { _data: <hex string> } from one of its change events`,
    );
  }
  const [, t = '', i = '', op = '', invalidate = ''] = match;
  return {
    ts: new Timestamp({ t: Number.parseInt(t, 16), i: Number.parseInt(i, 16) }),
    opIndex: Number.parseInt(op, 16),
    invalidate: invalidate === '01',
  };
}

/** Negative when `a` comes before `b` in the oplog. */
export function comparePositions(a: StreamPosition, b: StreamPosition): number {
  const byTs = a.ts.compare(b.ts);
  if (byTs !== 0) return byTs;
  if (a.opIndex !== b.opIndex) return a.opIndex - b.opIndex;
  return Number(a.invalidate) - Number(b.invalidate);
}

/** The high-water mark at the end of the entry stamped `ts`. */
export function highWaterMark(ts: Timestamp): StreamPosition {
  return { ts, opIndex: HIGH_WATER_MARK, invalidate: false };
}
