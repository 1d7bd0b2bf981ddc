/**
 * An operation's `arguments` turned into what the driver's API takes: `session` names resolved to
 * sessions, read preference / read concern / write concern built, option numbers made JS numbers
 * (the file is parsed canonically, so they arrive as Int32/Double/Long), while documents sent to the
 * server (filters, documents, pipelines, commands, ...) keep their BSON types.
 */
import type { Document } from 'bson';
import { ReadPreference, type ReadPreferenceMode } from 'mongodb';
import { RunnerError, type EntityMap } from './entity-map.js';
import { isDocument } from './matcher.js';

/** Argument names whose values go to the server as written, BSON types kept. */
const DATA_ARGUMENTS = new Set([
  'document',
  'documents',
  'filter',
  'update',
  'replacement',
  'pipeline',
  'command',
  'sort',
  'projection',
  'hint',
  'let',
  'collation',
  'arrayFilters',
  'models',
  'requests',
  'keys',
  'comment',
  'resumeAfter',
  'startAfter',
  'startAtOperationTime',
  'max',
  'min',
  'metadata',
  'id',
  'validator',
  'expectResult',
  'callback',
  'operation',
  'failPoint',
  'event',
  'entities',
  'source',
]);

/** Int32, Double and safe Long values as JS numbers, recursively through documents and arrays. */
export function nativeNumbers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nativeNumbers);
  if (value !== null && typeof value === 'object') {
    const type = (value as { _bsontype?: string })._bsontype;
    if (type === 'Int32' || type === 'Double') return Number((value as { valueOf(): number }).valueOf());
    if (type === 'Long') return (value as { toNumber(): number }).toNumber();
    if (isDocument(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, nativeNumbers(v)]));
    }
  }
  return value;
}

/** `{ mode, tagSets, maxStalenessSeconds, hedge }` as the driver's ReadPreference. */
export function readPreferenceOf(spec: unknown): ReadPreference {
  const doc = nativeNumbers(spec) as Document;
  if (!isDocument(doc) || typeof doc['mode'] !== 'string') {
    throw new RunnerError(`readPreference ${JSON.stringify(doc)} has no mode`);
  }
  const mode = (doc['mode'].charAt(0).toLowerCase() + doc['mode'].slice(1)) as ReadPreferenceMode;
  const options: Document = {};
  if (doc['maxStalenessSeconds'] !== undefined) options['maxStalenessSeconds'] = doc['maxStalenessSeconds'];
  if (doc['hedge'] !== undefined) options['hedge'] = doc['hedge'];
  return new ReadPreference(mode, doc['tagSets'] as Document[] | undefined, options);
}

/**
 * Options documents (collection/database options, session options, transaction options, an
 * operation's options) as the driver takes them.
 */
export function driverOptions(raw: Document, entities: EntityMap | null): Document {
  const out: Document = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'session') {
      if (!entities) throw new RunnerError('a session argument is not allowed here');
      out[key] = entities.getKind(value, 'session').session;
    } else if (key === 'readPreference') {
      out[key] = readPreferenceOf(value);
    } else if (key === 'defaultTransactionOptions') {
      out[key] = driverOptions(value as Document, entities);
    } else if (DATA_ARGUMENTS.has(key)) {
      out[key] = value;
    } else {
      out[key] = nativeNumbers(value);
    }
  }
  return out;
}

/** An operation's arguments with checks that name what is missing or malformed. */
export class OperationArguments {
  readonly #raw: Document;

  constructor(
    raw: Document | undefined,
    readonly operation: string,
    private readonly entities: EntityMap,
  ) {
    if (raw !== undefined && !isDocument(raw))
      throw new RunnerError(`${operation}: arguments must be a document`);
    this.#raw = raw ?? {};
  }

  has(name: string): boolean {
    return this.#raw[name] !== undefined;
  }

  /** The value as written in the file (BSON types kept); throws when absent. */
  required(name: string): unknown {
    const value = this.#raw[name];
    if (value === undefined) throw new RunnerError(`${this.operation}: required argument ${name} is missing`);
    return value;
  }

  requiredDocument(name: string): Document {
    const value = this.required(name);
    if (!isDocument(value)) throw new RunnerError(`${this.operation}: argument ${name} must be a document`);
    return value;
  }

  requiredArray(name: string): Document[] {
    const value = this.required(name);
    if (!Array.isArray(value)) throw new RunnerError(`${this.operation}: argument ${name} must be an array`);
    return value as Document[];
  }

  requiredString(name: string): string {
    const value = this.required(name);
    if (typeof value !== 'string')
      throw new RunnerError(`${this.operation}: argument ${name} must be a string`);
    return value;
  }

  optional(name: string): unknown {
    return this.#raw[name];
  }

  /** Every argument except `taken`, as driver options (session resolved, concerns built). */
  options(...taken: string[]): Document {
    const rest: Document = {};
    for (const [key, value] of Object.entries(this.#raw)) if (!taken.includes(key)) rest[key] = value;
    const options = driverOptions(rest, this.entities);
    if (options['returnDocument'] !== undefined)
      options['returnDocument'] = returnDocument(options['returnDocument']);
    return options;
  }
}

/** "Before" / "After" in any case, else the error the format requires. */
function returnDocument(value: unknown): 'before' | 'after' {
  const lower = typeof value === 'string' ? value.toLowerCase() : '';
  if (lower === 'before' || lower === 'after') return lower;
  throw new RunnerError(`returnDocument must be "Before" or "After", got ${JSON.stringify(value)}`);
}
