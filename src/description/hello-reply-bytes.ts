/**
 * Recognising, from its BSON bytes, a hello reply that says nothing new. A server answers every
 * heartbeat with the same document apart from a few fields that change on each reply and that a
 * ServerDescription does not read, or reads on its own (`lastWrite`): comparing the rest byte for
 * byte with the reply the previous description was made from tells, without decoding anything,
 * that every field the description reads is the same. Byte-identical fields decode to identical
 * values, so nothing the specification compares can be missed; anything unusual (a BSON type we
 * do not know, a size that does not add up) answers "not the same" and the reply is decoded and
 * read in full as always.
 */

/**
 * Top-level fields that change on every reply. `lastWrite` feeds lastWriteDate and opTime, which
 * the caller reads again from the new bytes when they differ; the others no description reads.
 */
export const VOLATILE_HELLO_FIELDS: readonly string[] = Object.freeze([
  'lastWrite',
  'localTime',
  'operationTime',
  '$clusterTime',
]);
const LAST_WRITE = 0;
const VOLATILE_NAMES: readonly Uint8Array[] = VOLATILE_HELLO_FIELDS.map((name) =>
  new TextEncoder().encode(name),
);

/** The new reply matches the previous one outside its volatile fields. */
export interface SameHelloBytes {
  /** The new reply's `lastWrite` bytes differ from the previous reply's (or one of them has none). */
  readonly lastWriteChanged: boolean;
  /** Where the new reply's `lastWrite` document is (`[start, end)` of its BSON bytes); -1: none. */
  readonly lastWriteStart: number;
  readonly lastWriteEnd: number;
}

const TYPE_DOCUMENT = 0x03;

function int32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) |
    ((bytes[at + 1] as number) << 8) |
    ((bytes[at + 2] as number) << 16) |
    ((bytes[at + 3] as number) << 24)
  );
}

/** The end of the C string starting at `at` (its NUL), or -1 when there is none before `end`. */
function cstringEnd(bytes: Uint8Array, at: number, end: number): number {
  for (let i = at; i < end; i++) if (bytes[i] === 0) return i;
  return -1;
}

/** Where the value of BSON type `type` starting at `at` ends, or -1 when unknown or out of bounds. */
function valueEnd(bytes: Uint8Array, type: number, at: number, end: number): number {
  let result: number;
  switch (type) {
    case 0x01: // double
    case 0x09: // UTC datetime
    case 0x11: // timestamp
    case 0x12: // int64
      result = at + 8;
      break;
    case 0x13: // decimal128
      result = at + 16;
      break;
    case 0x07: // ObjectId
      result = at + 12;
      break;
    case 0x08: // boolean
      result = at + 1;
      if (result <= end && bytes[at] !== 0 && bytes[at] !== 1) return -1;
      break;
    case 0x10: // int32
      result = at + 4;
      break;
    case 0x06: // undefined
    case 0x0a: // null
    case 0xff: // MinKey
    case 0x7f: // MaxKey
      result = at;
      break;
    case 0x02: // string
    case 0x0d: // JavaScript code
    case 0x0e: // symbol
    case 0x0c: {
      // DBPointer: a string, then an ObjectId
      if (at + 4 > end) return -1;
      const length = int32(bytes, at);
      if (length < 1) return -1;
      result = at + 4 + length;
      if (result > end || bytes[result - 1] !== 0) return -1;
      if (type === 0x0c) result += 12;
      break;
    }
    case 0x03: // document
    case 0x04: // array
    case 0x0f: {
      // code with scope
      if (at + 4 > end) return -1;
      const size = int32(bytes, at);
      if (size < 5) return -1;
      result = at + size;
      if (result > end || bytes[result - 1] !== 0) return -1;
      break;
    }
    case 0x05: {
      // binary: length, subtype, bytes
      if (at + 4 > end) return -1;
      const length = int32(bytes, at);
      if (length < 0) return -1;
      result = at + 5 + length;
      break;
    }
    case 0x0b: {
      // regular expression: two C strings
      const pattern = cstringEnd(bytes, at, end);
      if (pattern < 0) return -1;
      const options = cstringEnd(bytes, pattern + 1, end);
      if (options < 0) return -1;
      result = options + 1;
      break;
    }
    default:
      return -1;
  }
  return result <= end ? result : -1;
}

/**
 * The elements in `[at, end)` (a document's, before its terminator) have known types and fit,
 * nested documents and arrays included: what is checked of a volatile field, which is skipped
 * rather than compared with bytes that were decoded before.
 */
function wellFormedElements(bytes: Uint8Array, at: number, end: number): boolean {
  let i = at;
  while (i < end) {
    const type = bytes[i] as number;
    const nameEnd = cstringEnd(bytes, i + 1, end);
    if (nameEnd < 0) return false;
    const next = valueEnd(bytes, type, nameEnd + 1, end);
    if (next < 0) return false;
    if ((type === 0x03 || type === 0x04) && !wellFormedElements(bytes, nameEnd + 5, next - 1)) return false;
    i = next;
  }
  return i === end;
}

/** Which volatile field the name in `[start, end)` is, or -1. */
function volatileIndex(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  outer: for (let v = 0; v < VOLATILE_NAMES.length; v++) {
    const name = VOLATILE_NAMES[v] as Uint8Array;
    if (name.length !== length) continue;
    for (let k = 0; k < length; k++) if (bytes[start + k] !== name[k]) continue outer;
    return v;
  }
  return -1;
}

function sameRange(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number) {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let k = 0; k < aEnd - aStart; k++) if (a[aStart + k] !== b[bStart + k]) return false;
  return true;
}

/** The offset of a whole BSON document's terminator, or -1 when its size does not match. */
function documentLast(bytes: Uint8Array): number {
  if (bytes.length < 5 || int32(bytes, 0) !== bytes.length || bytes[bytes.length - 1] !== 0) return -1;
  return bytes.length - 1;
}

/**
 * Cursor over one document's top-level elements that skips (and checks the structure of) the
 * volatile ones, remembering where the last `lastWrite` was.
 */
class Elements {
  offset = 4;
  elementEnd = -1;
  lastWriteStart = -1;
  lastWriteEnd = -1;
  lastWriteType = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly last: number,
    /** Check the structure of the volatile fields (of the new reply: the old one was decoded). */
    readonly checkVolatile: boolean,
  ) {}

  /** Moves to the next non-volatile element; false when the bytes do not add up. */
  advance(): boolean {
    const { bytes, last } = this;
    while (this.offset < last) {
      const at = this.offset;
      const nameEnd = cstringEnd(bytes, at + 1, last);
      if (nameEnd < 0) return false;
      const end = valueEnd(bytes, bytes[at] as number, nameEnd + 1, last);
      if (end < 0) return false;
      const v = volatileIndex(bytes, at + 1, nameEnd);
      if (v < 0) {
        this.elementEnd = end;
        return true;
      }
      const type = bytes[at] as number;
      if (this.checkVolatile && (type === 0x03 || type === 0x04)) {
        if (!wellFormedElements(bytes, nameEnd + 5, end - 1)) return false;
      }
      if (v === LAST_WRITE) {
        this.lastWriteStart = nameEnd + 1;
        this.lastWriteEnd = end;
        this.lastWriteType = bytes[at] as number;
      }
      this.offset = end;
    }
    this.elementEnd = -1;
    return this.offset === last;
  }
}

/**
 * Whether `next` holds the same hello reply as `previous` apart from the volatile fields: the
 * same other fields, in the same order, byte for byte. Null when anything differs or either
 * document is not well formed at the top level (then decode `next` in full).
 */
export function sameHelloBytes(previous: Uint8Array, next: Uint8Array): SameHelloBytes | null {
  const previousLast = documentLast(previous);
  const nextLast = documentLast(next);
  if (previousLast < 0 || nextLast < 0) return null;
  const a = new Elements(previous, previousLast, false);
  const b = new Elements(next, nextLast, true);
  for (;;) {
    if (!a.advance() || !b.advance()) return null;
    if (a.elementEnd < 0 || b.elementEnd < 0) {
      if (a.elementEnd !== b.elementEnd) return null;
      break;
    }
    if (!sameRange(previous, a.offset, a.elementEnd, next, b.offset, b.elementEnd)) return null;
    a.offset = a.elementEnd;
    b.offset = b.elementEnd;
  }
  const lastWriteChanged =
    a.lastWriteStart < 0 || b.lastWriteStart < 0
      ? a.lastWriteStart !== b.lastWriteStart
      : a.lastWriteType !== b.lastWriteType ||
        !sameRange(previous, a.lastWriteStart, a.lastWriteEnd, next, b.lastWriteStart, b.lastWriteEnd);
  // A changed lastWrite that is not a document (null, or garbage) is left to the full reading.
  if (lastWriteChanged && b.lastWriteStart >= 0 && b.lastWriteType !== TYPE_DOCUMENT) return null;
  return { lastWriteChanged, lastWriteStart: b.lastWriteStart, lastWriteEnd: b.lastWriteEnd };
}

/** Volatile value types whose bytes may change in place without changing the layout. */
function fixedSize(type: number): boolean {
  return type === 0x01 || type === 0x09 || type === 0x10 || type === 0x11 || type === 0x12;
}

/**
 * A previous reply prepared for repeated comparisons: where its volatile values are, so that a
 * new reply of the same length is compared in one pass over the other bytes. The sizes of
 * nested volatile documents are compared, not skipped, so equal bytes elsewhere mean the very
 * same layout (the same elements at the same offsets); anything else takes the general walk of
 * {@link sameHelloBytes}.
 */
export class HelloBytesTemplate {
  /** [start, end) pairs of volatile value bytes not compared. */
  readonly #skips: number[];
  /** [start, end) of volatile documents or arrays, to check for structure in a new reply. */
  readonly #nested: number[];
  readonly #lastWriteStart: number;
  readonly #lastWriteEnd: number;
  readonly #lastWriteType: number;

  private constructor(
    readonly bytes: Uint8Array,
    skips: number[],
    nested: number[],
    lastWrite: readonly [number, number, number],
  ) {
    this.#skips = skips;
    this.#nested = nested;
    [this.#lastWriteStart, this.#lastWriteEnd, this.#lastWriteType] = lastWrite;
  }

  /** The template of a reply (a copy of its bytes is the caller's to make); null when malformed. */
  static of(bytes: Uint8Array): HelloBytesTemplate | null {
    const last = documentLast(bytes);
    if (last < 0) return null;
    const skips: number[] = [];
    const nested: number[] = [];
    let lastWrite: [number, number, number] = [-1, -1, 0];
    let i = 4;
    while (i < last) {
      const type = bytes[i] as number;
      const nameEnd = cstringEnd(bytes, i + 1, last);
      if (nameEnd < 0) return null;
      const end = valueEnd(bytes, type, nameEnd + 1, last);
      if (end < 0) return null;
      const v = volatileIndex(bytes, i + 1, nameEnd);
      if (v >= 0) {
        if (v === LAST_WRITE) lastWrite = [nameEnd + 1, end, type];
        if (fixedSize(type)) skips.push(nameEnd + 1, end);
        else if (type === 0x03 || type === 0x04) {
          // The size stays compared: a document of another size changes the layout.
          skips.push(nameEnd + 5, end);
          nested.push(nameEnd + 5, end - 1);
        }
      }
      i = end;
    }
    // Copies of exact length: the arrays grown by push keep spare capacity, and a template lives
    // as long as its server's replies stay the same (one per server at 1,000 servers).
    return i === last ? new HelloBytesTemplate(bytes, skips.slice(), nested.slice(), lastWrite) : null;
  }

  /** Like `sameHelloBytes(template bytes, next)`, in one pass when the layout is the same. */
  match(next: Uint8Array): SameHelloBytes | null {
    const previous = this.bytes;
    if (next.length !== previous.length) return sameHelloBytes(previous, next);
    const skips = this.#skips;
    let from = 0;
    for (let k = 0; k < skips.length; k += 2) {
      const to = skips[k] as number;
      for (let i = from; i < to; i++) if (previous[i] !== next[i]) return sameHelloBytes(previous, next);
      from = skips[k + 1] as number;
    }
    for (let i = from; i < previous.length; i++) {
      if (previous[i] !== next[i]) return sameHelloBytes(previous, next);
    }
    const nested = this.#nested;
    for (let k = 0; k < nested.length; k += 2) {
      const start = nested[k] as number;
      const end = nested[k + 1] as number;
      if (next[end] !== 0 || !wellFormedElements(next, start, end)) return null;
    }
    const start = this.#lastWriteStart;
    const end = this.#lastWriteEnd;
    const lastWriteChanged = start >= 0 && !sameRange(previous, start, end, next, start, end);
    if (lastWriteChanged && this.#lastWriteType !== TYPE_DOCUMENT) return null;
    return { lastWriteChanged, lastWriteStart: start, lastWriteEnd: end };
  }
}
