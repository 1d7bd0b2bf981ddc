/**
 * The driver's result objects as documents, for expectResult and saveResultAsEntity: getters
 * read, Maps keyed by operation index become `{ "0": ... }`, and null optional fields dropped.
 */
import type { Document } from 'bson';
import { isDocument } from './matcher.js';

/** Maps (client bulk write results and errors) as documents keyed by the index as a string. */
function mapToDocument(map: Map<unknown, unknown>): Document {
  const out: Document = {};
  for (const [key, value] of map) out[String(key)] = toResultValue(value);
  return out;
}

/** Fields of the CRUD spec's result models, read through getters where the driver has them. */
const RESULT_FIELDS = [
  'acknowledged',
  'insertedId',
  'insertedIds',
  'insertedCount',
  'matchedCount',
  'modifiedCount',
  'deletedCount',
  'upsertedCount',
  'upsertedId',
  'upsertedIds',
  'insertResults',
  'updateResults',
  'deleteResults',
];

function isResultModel(value: object): boolean {
  const name = value.constructor?.name;
  return name === 'BulkWriteResult' || name === 'ClientBulkWriteResult';
}

export function toResultValue(value: unknown): unknown {
  if (value instanceof Map) return mapToDocument(value);
  if (isDocument(value) && 'didUpsert' in value) {
    // A client bulk write's UpdateResult: the driver's didUpsert flag is not part of the model.
    const { didUpsert: _didUpsert, upsertedId, ...rest } = value;
    return upsertedId === undefined || upsertedId === null ? rest : { ...rest, upsertedId };
  }
  if (Array.isArray(value)) return value.map(toResultValue);
  if (value !== null && typeof value === 'object' && isResultModel(value)) {
    const out: Document = {};
    for (const field of RESULT_FIELDS) {
      const v = (value as Record<string, unknown>)[field];
      if (v !== undefined && v !== null) out[field] = toResultValue(v);
    }
    return out;
  }
  if (isDocument(value) && value.constructor === Object && 'acknowledged' in value) {
    // InsertOneResult, UpdateResult, DeleteResult, client bulk write results: plain objects (with
    // Maps inside for the verbose client results); the unset optional fields are dropped.
    const out: Document = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = toResultValue(v);
    return out;
  }
  return value;
}
