/**
 * Collation as far as the simulator honours it. mongod compares strings by ICU collation; the
 * simulator honours the common cases: `locale: 'simple'` (code points), strength 3 (the default:
 * case-sensitive equality) and strength 2 (case-insensitive equality), with sorting by the
 * locale's order. Any other option, strength 1 (accent-insensitive), or a string range comparison
 * ($gt, $lt, ...) under a non-simple collation fails with an error naming what is not supported,
 * instead of answering differently from mongod.
 */
import type { Document } from 'bson';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';

const KNOWN_FIELDS = new Set([
  'locale',
  'caseLevel',
  'caseFirst',
  'strength',
  'numericOrdering',
  'alternate',
  'maxVariable',
  'normalization',
  'backwards',
  'version',
]);

/** Options the simulator accepts only at their defaults. */
const DEFAULTS: Readonly<Record<string, unknown>> = {
  caseLevel: false,
  caseFirst: 'off',
  alternate: 'non-ignorable',
  normalization: false,
  backwards: false,
};

function notSupported(what: string): CommandError {
  return new CommandError(ServerErrorCode.NotImplemented, `the simulator does not support collation ${what}`);
}

/**
 * The collation to honour, or undefined for the simple (binary) one.
 * @throws CommandError for a malformed collation (as mongod) or one the simulator cannot honour.
 */
export function checkCollation(value: unknown): Document | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainDocument(value))
    throw new CommandError(ServerErrorCode.TypeMismatch, "'collation' must be a document");
  const locale: unknown = value['locale'];
  if (typeof locale !== 'string')
    throw new CommandError(ServerErrorCode.FailedToParse, 'Missing expected field "locale"');
  for (const field of Object.keys(value)) {
    if (!KNOWN_FIELDS.has(field))
      throw new CommandError(ServerErrorCode.FailedToParse, `unknown collation field '${field}'`);
  }
  if (locale === 'simple') return undefined;
  if (!isKnownLocale(locale))
    throw new CommandError(
      ServerErrorCode.BadValue,
      `Field 'locale' is invalid in: { locale: ${JSON.stringify(locale)} }`,
    );
  for (const [field, standard] of Object.entries(DEFAULTS)) {
    if (field in value && value[field] !== standard)
      throw notSupported(`'${field}: ${String(value[field])}'`);
  }
  const strength = value['strength'] ?? 3;
  if (strength !== 2 && strength !== 3) throw notSupported(`strength ${String(strength)} (only 2 and 3)`);
  return value;
}

/** ICU's locale ids (`en_US`) as BCP 47 tags (`en-US`), which JavaScript's Intl takes. */
function bcp47(locale: string): string {
  return locale.replace(/_/g, '-').replace(/@.*$/, '');
}

function isKnownLocale(locale: string): boolean {
  try {
    return Intl.Collator.supportedLocalesOf([bcp47(locale)]).length > 0;
  } catch {
    return false;
  }
}

const RANGE_OPERATORS = new Set(['$gt', '$gte', '$lt', '$lte']);

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function caseless(text: string): RegExp {
  return new RegExp(`^${escapeRegex(text)}$`, 'i');
}

/**
 * One condition (`{ $eq: 'x' }`, `'x'`, `{ $in: [...] }`) with string equality made caseless when
 * `ignoreCase`; string range comparisons throw (ICU order is not code-point order).
 */
function collateCondition(condition: unknown, ignoreCase: boolean): unknown {
  if (typeof condition === 'string') return ignoreCase ? caseless(condition) : condition;
  if (!isPlainDocument(condition) || !Object.keys(condition).some((key) => key.startsWith('$')))
    return condition;
  const out: Document = {};
  for (const [operator, operand] of Object.entries(condition)) {
    if (RANGE_OPERATORS.has(operator) && typeof operand === 'string')
      throw notSupported(`for string range comparisons (${operator})`);
    if (!ignoreCase) out[operator] = operand;
    else if (operator === '$eq' && typeof operand === 'string') out['$regex'] = caseless(operand);
    else if (operator === '$ne' && typeof operand === 'string') out['$not'] = caseless(operand);
    else if ((operator === '$in' || operator === '$nin') && Array.isArray(operand))
      out[operator] = operand.map((item) => (typeof item === 'string' ? caseless(item) : item));
    else if (operator === '$not' || operator === '$elemMatch')
      out[operator] = collateCondition(operand, ignoreCase);
    else out[operator] = operand;
  }
  return out;
}

/** The filter with the collation's string equality applied (case-insensitive at strength 2). */
export function collateFilter(filter: Document, collation: Document | undefined): Document {
  if (collation === undefined) return filter;
  const ignoreCase = collation['strength'] === 2;
  const out: Document = {};
  for (const [field, condition] of Object.entries(filter)) {
    if (field === '$and' || field === '$or' || field === '$nor') {
      out[field] = Array.isArray(condition)
        ? condition.map((clause) => (isPlainDocument(clause) ? collateFilter(clause, collation) : clause))
        : condition;
    } else if (field.startsWith('$')) out[field] = condition;
    else out[field] = collateCondition(condition, ignoreCase);
  }
  return out;
}

/** The collation in the form the query engine's sort takes. */
export function sortCollation(collation: Document | undefined): Document | undefined {
  if (collation === undefined) return undefined;
  return {
    locale: bcp47(collation['locale'] as string),
    strength: collation['strength'] ?? 3,
    ...(collation['numericOrdering'] === true ? { numericOrdering: true } : {}),
  };
}
