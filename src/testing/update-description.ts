/**
 * A change event's `updateDescription`, from a document before and after an update, the way
 * mongod's oplog diffs (update format v2) describe it:
 * - fields that are new or changed are `updatedFields` (dotted paths); a sub-document or array
 *   that both versions hold is described field by field, element by element;
 * - a path an operator set as a whole (`$set`, `$inc`, `$rename`'s target, ...) is reported whole;
 * - fields that are gone are `removedFields`; an array that got shorter is in `truncatedArrays`
 *   with its new size, and its surviving elements that changed are updated fields.
 * `disambiguatedPaths` (reported with showExpandedEvents) splits every path that a dotted string
 * cannot tell apart: one through an array index or a numeric or dotted field name.
 */
import type { Document } from 'bson';
import { valueKey } from './query-engine.js';
import { isPlainDocument } from './plain-document.js';

export interface UpdateDescription {
  readonly updatedFields: Document;
  readonly removedFields: string[];
  readonly truncatedArrays: { field: string; newSize: number }[];
  /** Ambiguous paths, split into field names (strings) and array indexes (numbers). */
  readonly disambiguatedPaths: Record<string, (string | number)[]>;
}

/** Operators whose target path is set as a whole value. */
const WHOLE_VALUE_OPERATORS = new Set([
  '$set',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$currentDate',
  '$setOnInsert',
  '$bit',
]);

type Component = string | number;

/** Field paths an operator update sets whole; `$`, `$[]` and `$[id]` match any array index. */
function wholeValuePaths(update: Document | readonly Document[]): string[][] {
  if (Array.isArray(update)) return [];
  const paths: string[][] = [];
  for (const [operator, spec] of Object.entries(update as Document)) {
    if (!isPlainDocument(spec)) continue;
    if (WHOLE_VALUE_OPERATORS.has(operator)) {
      for (const path of Object.keys(spec)) paths.push(path.split('.'));
    } else if (operator === '$rename') {
      for (const target of Object.values(spec)) if (typeof target === 'string') paths.push(target.split('.'));
    }
  }
  return paths;
}

function matchesPattern(path: readonly Component[], pattern: readonly string[]): boolean {
  if (path.length !== pattern.length) return false;
  return pattern.every((part, index) => {
    const actual = path[index];
    if (typeof actual === 'number' && (part === '$' || part.startsWith('$['))) return true;
    return String(actual) === part;
  });
}

function isAmbiguous(path: readonly Component[]): boolean {
  return path.some((part) => typeof part === 'number' || /^\d+$/.test(part) || part.includes('.'));
}

/**
 * Describes the update that turned `before` into `after`; `update` is what the client sent (an
 * operator document or a pipeline).
 */
export function describeUpdate(
  before: Document,
  after: Document,
  update: Document | readonly Document[],
): UpdateDescription {
  const whole = wholeValuePaths(update);
  const description: UpdateDescription = {
    updatedFields: {},
    removedFields: [],
    truncatedArrays: [],
    disambiguatedPaths: {},
  };
  const note = (path: Component[]): string => {
    const dotted = path.join('.');
    if (isAmbiguous(path)) description.disambiguatedPaths[dotted] = [...path];
    return dotted;
  };
  const setWhole = (path: Component[]): boolean => whole.some((pattern) => matchesPattern(path, pattern));
  const compare = (path: Component[], old: unknown, now: unknown): void => {
    if (valueKey(old) === valueKey(now)) return;
    if (!setWhole(path)) {
      if (isPlainDocument(old) && isPlainDocument(now)) return compareDocuments(path, old, now);
      if (Array.isArray(old) && Array.isArray(now)) return compareArrays(path, old, now);
    }
    description.updatedFields[note(path)] = now;
  };
  const compareDocuments = (path: Component[], old: Document, now: Document): void => {
    for (const field of Object.keys(old)) {
      if (!(field in now)) description.removedFields.push(note([...path, field]));
    }
    for (const [field, value] of Object.entries(now)) {
      if (field in old) compare([...path, field], old[field], value);
      else description.updatedFields[note([...path, field])] = value;
    }
  };
  const compareArrays = (path: Component[], old: readonly unknown[], now: readonly unknown[]): void => {
    if (now.length < old.length) description.truncatedArrays.push({ field: note(path), newSize: now.length });
    for (const [index, value] of now.entries()) {
      if (index < old.length) compare([...path, index], old[index], value);
      else description.updatedFields[note([...path, index])] = value;
    }
  };
  compareDocuments([], before, after);
  return description;
}
