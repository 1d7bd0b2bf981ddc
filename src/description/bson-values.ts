/**
 * Reading BSON values as they arrive from the wire (or from the official driver) into the plain
 * numbers and hex strings a snapshot holds. Values are recognised by their `_bsontype` tag rather
 * than `instanceof`, so values made by another copy of the `bson` package are read the same way.
 * Every reader returns `undefined` for a value it cannot read; it never throws.
 */

/** A plain document (not an array, not a BSON value class, not null). */
export function isDocument(value: unknown): value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (bsonTypeOf(value) !== undefined) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The `_bsontype` tag of a BSON value object (`Long`, `ObjectId`, `Int32`, ...), if any. */
export function bsonTypeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    const tag = (value as { _bsontype?: unknown })._bsontype;
    return typeof tag === 'string' ? tag : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A number from a JS number, bigint, or BSON Int32 / Double / Long value; `undefined` for
 * anything else, for NaN and infinities, and for a 64-bit value beyond the safe integer range.
 */
export function readNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return bigintToSafeNumber(value);
  switch (bsonTypeOf(value)) {
    case 'Int32':
    case 'Double': {
      const n: unknown = (value as { valueOf(): unknown }).valueOf();
      return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
    }
    case 'Long': {
      const long = value as { toBigInt?: () => bigint; toNumber?: () => number };
      if (typeof long.toBigInt === 'function') return bigintToSafeNumber(long.toBigInt());
      return typeof long.toNumber === 'function' ? readNumber(long.toNumber()) : undefined;
    }
    default:
      return undefined;
  }
}

/** Like {@link readNumber}, but only integers. */
export function readInteger(value: unknown): number | undefined {
  const n = readNumber(value);
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
}

const objectIdHex = /^[0-9a-fA-F]{24}$/;

/** An ObjectId (or its 24-character hex string) as a lower-case hex string. */
export function readObjectIdHex(value: unknown): string | undefined {
  if (typeof value === 'string') return objectIdHex.test(value) ? value.toLowerCase() : undefined;
  if (bsonTypeOf(value) !== 'ObjectId') return undefined;
  try {
    const hex: unknown = (value as { toHexString(): unknown }).toHexString();
    return typeof hex === 'string' && objectIdHex.test(hex) ? hex.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** A boolean flag: booleans as they are, and the numbers 0 and 1 some old servers sent. */
export function readFlag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const n = readNumber(value);
  if (n === 0 || n === 1) return n === 1;
  return undefined;
}

/** A date in ms since the epoch from a Date, a number, or a BSON Long. */
export function readDateMS(value: unknown): number | undefined {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isFinite(ms) ? ms : undefined;
  }
  return readNumber(value);
}

function bigintToSafeNumber(value: bigint): number | undefined {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) return undefined;
  return Number(value);
}
