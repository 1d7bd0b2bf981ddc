/**
 * Plain documents: what the simulator accepts where mongod takes a BSON document. The rule is the
 * library's (`isDocument`); this only narrows to bson's `Document`, which the simulator writes into.
 */
import type { Document } from 'bson';
import { isDocument } from '../description/bson-values.js';

/** An object literal or a null-prototype object: not an array, a BSON value or another class instance. */
export function isPlainDocument(value: unknown): value is Document {
  return isDocument(value);
}
