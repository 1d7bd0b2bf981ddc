/**
 * Events as NDJSON: one JSON object per line, `{ "time", "elapsedMS", "event", ...payload }`.
 * Payloads hold Maps (snapshots), Errors, BSON values and bigints, which JSON.stringify does not
 * render usefully; toJsonSafe turns them into plain JSON first. Pure.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function errorToJson(error: Error, seen: WeakSet<object>): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = { name: error.name, message: error.message };
  for (const key of ['code', 'codeName', 'phase', 'hostname'] as const) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = toJsonSafe(value, seen);
  }
  return out;
}

/** A JSON-safe copy: Map → object, Set → array, Error → {name, message, code?}, bigint → string. */
export function toJsonSafe(value: unknown, seen: WeakSet<object> = new WeakSet()): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'function':
    case 'symbol':
      return null;
    default:
      break;
  }
  const object = value as object;
  if (seen.has(object)) return '[circular]';
  seen.add(object);
  try {
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
    if (object instanceof Error) return errorToJson(object, seen);
    if (object instanceof Map) {
      const out: { [key: string]: JsonValue } = {};
      for (const [k, v] of object) out[String(k)] = toJsonSafe(v, seen);
      return out;
    }
    if (object instanceof Set) return [...object].map((v) => toJsonSafe(v, seen));
    if (ArrayBuffer.isView(object))
      return Buffer.from(object.buffer, object.byteOffset, object.byteLength).toString('base64');
    if (Array.isArray(object)) return object.map((v) => toJsonSafe(v, seen));
    // A BSON Long has no toJSON: a number when exact, else its decimal string.
    const long = object as { _bsontype?: unknown; toNumber?: () => number; toString: () => string };
    if (long._bsontype === 'Long' && typeof long.toNumber === 'function') {
      const n = long.toNumber();
      return Number.isSafeInteger(n) ? n : long.toString();
    }
    // Other BSON values (ObjectId, Timestamp, Decimal128...) know their own JSON form.
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toJsonSafe(toJSON.call(object), seen);
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(object)) {
      if (v !== undefined && typeof v !== 'function') out[k] = toJsonSafe(v, seen);
    }
    return out;
  } finally {
    seen.delete(object);
  }
}

/** One NDJSON line (without the newline) for an event and its payload. */
export function ndjsonLine(event: string, payload: unknown, time: Date, elapsedMS: number): string {
  const body = toJsonSafe(payload);
  const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? body : { value: body };
  // The envelope's keys come first and win over payload keys of the same name.
  const { event: _e, time: _t, elapsedMS: _m, ...rest } = fields;
  return JSON.stringify({
    event,
    time: time.toISOString(),
    elapsedMS: Math.round(elapsedMS * 1000) / 1000,
    ...rest,
  });
}
