/**
 * "Evaluating Matches" of the unified test format: expected values (canonical extended JSON, so
 * they carry BSON types) against what the driver returned.
 *
 * - Root-level documents may have extra keys, nested ones may not; arrays match element by element.
 * - Numbers compare by value across int, long and double (Decimal128 apart).
 * - Special operators: $$exists, $$type, $$unsetOrMatches, $$matchesEntity, $$matchesHexBytes,
 *   $$sessionLsid, $$lte, $$matchAsDocument, $$matchAsRoot.
 * - The driver promotes int32, int64 and double to JS numbers, which erases their distinction: an
 *   integral JS number therefore satisfies $$type int, long and double; a fractional one, double.
 */
import { EJSON, type Document } from 'bson';

/** A failed match: what differed and where (`path` like `0.writeConcern.w`). */
export class MatchError extends Error {
  override name = 'MatchError';
}

/** What the special operators need from the entity map. */
export interface MatchEntities {
  /** The entity, or throws for an undefined name. */
  entity(name: string): unknown;
  /** The lsid document of a session entity, or throws. */
  sessionLsid(name: string): unknown;
}

const NO_ENTITIES: MatchEntities = {
  entity: (name) => {
    throw new MatchError(`entity ${name} is not defined`);
  },
  sessionLsid: (name) => {
    throw new MatchError(`session entity ${name} is not defined`);
  },
};

function bsonType(value: unknown): string | undefined {
  return value !== null && typeof value === 'object'
    ? (value as { _bsontype?: string })._bsontype
    : undefined;
}

/** A plain document (not an array, not a BSON value object, not a Buffer or Date). */
export function isDocument(value: unknown): value is Document {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    bsonType(value) === undefined &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof RegExp) &&
    !(value instanceof Map)
  );
}

/** The operator of `{ $$op: x }` (first and only key starting with `$$`), else null. */
export function specialOperator(value: unknown): string | null {
  if (!isDocument(value)) return null;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0]!.startsWith('$$') ? keys[0]! : null;
}

function numeric(value: unknown): number | bigint | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return value;
  const type = bsonType(value);
  if (type === 'Int32' || type === 'Double') return Number((value as { valueOf(): number }).valueOf());
  if (type === 'Long') return (value as { toBigInt(): bigint }).toBigInt();
  return null;
}

function numbersEqual(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a === b;
  return Number(a) === Number(b);
}

/** The $type alias names a value satisfies. */
export function typeNames(value: unknown): string[] {
  if (value === undefined) return ['undefined'];
  if (value === null) return ['null'];
  if (typeof value === 'string') return ['string'];
  if (typeof value === 'boolean') return ['bool'];
  if (typeof value === 'number') {
    return Number.isInteger(value) ? ['int', 'long', 'double', 'number'] : ['double', 'number'];
  }
  if (typeof value === 'bigint') return ['long', 'number'];
  if (value instanceof Date) return ['date'];
  if (value instanceof RegExp) return ['regex'];
  if (Array.isArray(value)) return ['array'];
  if (value instanceof Uint8Array) return ['binData'];
  switch (bsonType(value)) {
    case 'Int32':
      return ['int', 'number'];
    case 'Long':
      return ['long', 'number'];
    case 'Double':
      return ['double', 'number'];
    case 'Decimal128':
      return ['decimal', 'number'];
    case 'ObjectId':
      return ['objectId'];
    case 'Binary':
      return ['binData'];
    case 'Timestamp':
      return ['timestamp'];
    case 'BSONRegExp':
      return ['regex'];
    case 'Code':
      return (value as { scope?: unknown }).scope ? ['javascriptWithScope'] : ['javascript'];
    case 'BSONSymbol':
      return ['symbol'];
    case 'DBRef':
      return ['object', 'dbPointer'];
    case 'MinKey':
      return ['minKey'];
    case 'MaxKey':
      return ['maxKey'];
    default:
      return isDocument(value) ? ['object'] : [typeof value];
  }
}

function bytesOf(value: unknown): Uint8Array | null {
  if (value instanceof Uint8Array) return value;
  if (bsonType(value) === 'Binary') return (value as { buffer: Uint8Array }).buffer;
  return null;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    const text = EJSON.stringify(value as Document, { relaxed: true });
    return text.length > 200 ? `${text.slice(0, 200)}...` : text;
  } catch {
    return String(value);
  }
}

function fail(path: string, message: string): never {
  throw new MatchError(path ? `at ${path}: ${message}` : message);
}

function scalarsEqual(expected: unknown, actual: unknown): boolean {
  const en = numeric(expected);
  const an = numeric(actual);
  if (en !== null || an !== null) return en !== null && an !== null && numbersEqual(en, an);
  if (expected === null || typeof expected !== 'object') return expected === actual;
  if (expected instanceof Date) return actual instanceof Date && actual.getTime() === expected.getTime();
  const eb = bytesOf(expected);
  if (eb) {
    const ab = bytesOf(actual);
    const subtype = (v: unknown) => (v as { sub_type?: number }).sub_type ?? 0;
    return (
      ab !== null &&
      Buffer.from(eb).equals(Buffer.from(ab)) &&
      (bsonType(actual) !== 'Binary' ||
        bsonType(expected) !== 'Binary' ||
        subtype(expected) === subtype(actual))
    );
  }
  return EJSON.stringify(expected as Document) === EJSON.stringify(actual as Document);
}

export interface MatchOptions {
  readonly entities?: MatchEntities;
  /** The value is a root-level document (extra keys allowed); default true. */
  readonly root?: boolean;
}

/** Throws a MatchError when `actual` does not match `expected`. */
export function assertMatches(expected: unknown, actual: unknown, options: MatchOptions = {}): void {
  match(expected, actual, options.entities ?? NO_ENTITIES, options.root ?? true, '');
}

/** True when `actual` matches `expected`. */
export function matches(expected: unknown, actual: unknown, options: MatchOptions = {}): boolean {
  try {
    assertMatches(expected, actual, options);
    return true;
  } catch (err) {
    if (err instanceof MatchError) return false;
    throw err;
  }
}

function hexBytes(path: string, hex: unknown): Buffer {
  if (typeof hex !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(hex)) {
    fail(path, `malformed hex bytes ${describe(hex)}`);
  }
  return Buffer.from(hex, 'hex');
}

function matchOperator(
  operator: string,
  argument: unknown,
  actual: unknown,
  entities: MatchEntities,
  root: boolean,
  path: string,
): void {
  switch (operator) {
    case '$$exists':
      if ((actual !== undefined) !== Boolean(argument)) {
        fail(
          path,
          argument ? 'expected a value, found none' : `expected no value, found ${describe(actual)}`,
        );
      }
      return;
    case '$$type': {
      const wanted = Array.isArray(argument) ? argument : [argument];
      const names = typeNames(actual);
      if (actual === undefined || !wanted.some((t) => names.includes(String(t)))) {
        fail(path, `expected type ${wanted.join(' or ')}, found ${names[0]} ${describe(actual)}`);
      }
      return;
    }
    case '$$unsetOrMatches':
      if (actual !== undefined) match(argument, actual, entities, root, path);
      return;
    case '$$matchesEntity':
      match(entities.entity(String(argument)), actual, entities, root, path);
      return;
    case '$$matchesHexBytes': {
      const wanted = hexBytes(path, argument);
      const bytes = typeof actual === 'string' ? Buffer.from(actual, 'latin1') : bytesOf(actual);
      if (!bytes || !wanted.equals(Buffer.from(bytes))) {
        fail(path, `expected bytes ${wanted.toString('hex')}, found ${describe(actual)}`);
      }
      return;
    }
    case '$$sessionLsid':
      match(entities.sessionLsid(String(argument)), actual, entities, false, path);
      return;
    case '$$lte': {
      const limit = numeric(argument);
      const value = numeric(actual);
      if (limit === null) fail(path, `$$lte needs a number, got ${describe(argument)}`);
      if (value === null || Number(value) > Number(limit)) {
        fail(path, `expected a number <= ${Number(limit)}, found ${describe(actual)}`);
      }
      return;
    }
    case '$$matchAsDocument': {
      if (typeof actual !== 'string')
        fail(path, `expected an extended JSON string, found ${describe(actual)}`);
      let parsed: unknown;
      try {
        parsed = EJSON.parse(actual, { relaxed: false });
      } catch (err) {
        fail(path, `cannot parse ${describe(actual)} as extended JSON: ${(err as Error).message}`);
      }
      if (!isDocument(parsed)) fail(path, `expected a document, found ${describe(parsed)}`);
      match(argument, parsed, entities, false, path);
      return;
    }
    case '$$matchAsRoot':
      match(argument, actual, entities, true, path);
      return;
    default:
      fail(path, `unknown special operator ${operator}`);
  }
}

function match(
  expected: unknown,
  actual: unknown,
  entities: MatchEntities,
  root: boolean,
  path: string,
): void {
  // The driver builds some command fields (sort, hint) as Maps; they are documents on the wire.
  if (actual instanceof Map) actual = Object.fromEntries(actual);
  const operator = specialOperator(expected);
  if (operator) {
    matchOperator(operator, (expected as Document)[operator], actual, entities, root, path);
    return;
  }
  if (isDocument(expected)) {
    if (!isDocument(actual)) fail(path, `expected a document, found ${describe(actual)}`);
    for (const [key, value] of Object.entries(expected)) {
      const at = path ? `${path}.${key}` : key;
      const keyOperator = specialOperator(value);
      if (keyOperator === '$$exists' || keyOperator === '$$unsetOrMatches') {
        matchOperator(keyOperator, (value as Document)[keyOperator], actual[key], entities, false, at);
        continue;
      }
      if (actual[key] === undefined) fail(at, `expected ${describe(value)}, found no such key`);
      match(value, actual[key], entities, false, at);
    }
    if (!root) {
      const extra = Object.keys(actual).filter((k) => actual[k] !== undefined && !(k in expected));
      if (extra.length > 0) fail(path, `unexpected key(s) ${extra.join(', ')} in ${describe(actual)}`);
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) fail(path, `expected an array, found ${describe(actual)}`);
    if (actual.length !== expected.length) {
      fail(path, `expected ${expected.length} element(s), found ${actual.length}: ${describe(actual)}`);
    }
    expected.forEach((value, i) =>
      match(value, actual[i], entities, false, path ? `${path}.${i}` : String(i)),
    );
    return;
  }
  if (!scalarsEqual(expected, actual))
    fail(path, `expected ${describe(expected)}, found ${describe(actual)}`);
}

/**
 * Collection contents as `outcome` compares them: exact (no operators, no extra keys at any
 * level), key order free, numbers by value.
 */
export function assertSameDocuments(
  expected: readonly Document[],
  actual: readonly Document[],
  where: string,
): void {
  try {
    match([...expected], [...actual], NO_ENTITIES, false, '');
  } catch (err) {
    if (err instanceof MatchError) throw new MatchError(`${where}: ${err.message}`);
    throw err;
  }
}
