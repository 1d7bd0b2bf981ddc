/** Plain documents: what the simulator accepts where mongod takes a BSON document. */
import type { Document } from 'bson';

/** An object literal or a null-prototype object: not an array, a BSON value or another class instance. */
export function isPlainDocument(value: unknown): value is Document {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
