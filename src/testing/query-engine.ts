/**
 * Query language for the simulator's CRUD: filters, sort, projection, update operators and
 * aggregation. The full language comes from the `mingo` package, loaded on first use with a
 * dynamic import so that the kit itself works without it. Without mingo a basic engine answers
 * the happy path (empty filters, top-level equality, replacement updates, top-level $set/$inc/
 * $unset, and countDocuments' pipeline) and everything else fails with a reply that names the
 * missing package.
 */
import { deserialize, EJSON, serialize, type Document } from 'bson';
import { collateFilter, sortCollation } from './collation.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import { compileWhereClauses } from './where-clause.js';

/**
 * What a query may refer to besides its documents: `let` variables (already evaluated), a
 * collation (checked by `collation.ts`), and the other collections of the database, for $lookup,
 * $graphLookup and $unionWith.
 */
export interface QueryContext {
  readonly variables?: Document | undefined;
  readonly collation?: Document | undefined;
  readonly resolveCollection?: ((name: string) => Document[]) | undefined;
}

export interface FindSpec extends QueryContext {
  readonly filter: Document;
  readonly sort?: Document | undefined;
  readonly projection?: Document | undefined;
  readonly skip?: number | undefined;
  /** 0 or absent = no limit. */
  readonly limit?: number | undefined;
}

/** The query operations the CRUD commands need. Every failure is a CommandError. */
export interface QueryEngine {
  readonly name: 'mingo' | 'basic';
  matches(document: Document, filter: Document, context?: QueryContext): boolean;
  find(documents: readonly Document[], spec: FindSpec): Document[];
  /** The updated copy of `document` (never mutated); `inserting` applies $setOnInsert. */
  update(document: Document, update: Document | readonly Document[], options: UpdateOptions): Document;
  aggregate(
    documents: readonly Document[],
    pipeline: readonly Document[],
    context?: QueryContext,
  ): Document[];
  /**
   * Evaluates each field of `expressions` as an aggregation expression against `root` (default
   * `{}`): a command's `let`, $merge's `let`.
   */
  evaluate(expressions: Document, root?: Document, context?: QueryContext): Document;
}

export interface UpdateOptions extends QueryContext {
  readonly arrayFilters?: readonly Document[] | undefined;
  readonly inserting: boolean;
}

/** A deep copy through BSON, so stored documents never share objects with what clients sent or see. */
export function cloneDocument(document: Document): Document {
  return deserialize(serialize(document, { ignoreUndefined: true, checkKeys: false }), {
    promoteLongs: true,
  });
}

/** A string that identifies a BSON value exactly (type included), for `_id` keys and equality. */
export function valueKey(value: unknown): string {
  return EJSON.stringify({ v: value }, { relaxed: false });
}

export function isOperatorDocument(update: Document): boolean {
  const keys = Object.keys(update);
  return keys.length > 0 && keys.every((key) => key.startsWith('$'));
}

/** Checks the shape of an update the way mongod does before applying it. */
export function validateUpdate(update: unknown): Document | readonly Document[] {
  if (Array.isArray(update)) {
    if (!update.every((stage) => isPlainDocument(stage))) {
      throw new CommandError(ServerErrorCode.FailedToParse, 'each pipeline update stage must be an object');
    }
    return update as Document[];
  }
  if (!isPlainDocument(update)) {
    throw new CommandError(ServerErrorCode.FailedToParse, 'the update must be a document or a pipeline');
  }
  const keys = Object.keys(update);
  const operators = keys.filter((key) => key.startsWith('$'));
  if (operators.length > 0 && operators.length < keys.length) {
    throw new CommandError(
      ServerErrorCode.FailedToParse,
      'an update may not mix $-operators and plain fields',
    );
  }
  return update;
}

/**
 * The values at a dotted path, through arrays as mongod's indexes and `distinct` see them: an
 * array on the way or at the end contributes each element; a missing path gives none.
 */
export function valuesAtPath(document: unknown, path: string): unknown[] {
  return valuesAt(document, path.split('.'));
}

function valuesAt(document: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return Array.isArray(document) ? document : [document];
  if (Array.isArray(document)) return document.flatMap((item) => valuesAt(item, path));
  if (!isPlainDocument(document)) return [];
  const [head, ...rest] = path;
  if (head === undefined || !(head in document)) return [];
  return valuesAt(document[head], rest);
}

/** Puts `_id` first, as mongod stores and returns documents. */
export function idFirst(document: Document): Document {
  if (!('_id' in document) || Object.keys(document)[0] === '_id') return document;
  const { _id, ...rest } = document;
  return { _id, ...rest };
}

function replaceDocument(document: Document, replacement: Document): Document {
  const copy = cloneDocument(replacement);
  if ('_id' in copy && valueKey(copy['_id']) !== valueKey(document['_id'])) {
    throw new CommandError(
      66,
      "After applying the update, the (immutable) field '_id' was found to have been altered",
    );
  }
  return idFirst({ ...copy, _id: document['_id'] });
}

function badQuery(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CommandError(ServerErrorCode.BadValue, message);
}

interface MingoCursor {
  sort(spec: Document): MingoCursor;
  skip(n: number): MingoCursor;
  limit(n: number): MingoCursor;
  all(): Document[];
}
interface MingoModule {
  Query: new (
    condition: Document,
    options?: Document,
  ) => {
    test(document: Document): boolean;
    find(collection: Document[], projection?: Document): MingoCursor;
  };
  Aggregator: new (pipeline: Document[], options?: Document) => { run(collection: Document[]): Document[] };
  update(document: Document, modifier: Document, arrayFilters?: Document[]): string[];
}

/** mingo's options for a query context. */
function mingoOptions(context: QueryContext | undefined): Document {
  if (!context) return {};
  const options: Document = {};
  if (context.variables) options['variables'] = context.variables;
  const collation = sortCollation(context.collation);
  if (collation) options['collation'] = collation;
  if (context.resolveCollection) options['collectionResolver'] = context.resolveCollection;
  return options;
}

/** Applies the collation to every $match of a pipeline (and of its sub-pipelines' $match stages). */
function collatePipeline(pipeline: readonly Document[], collation: Document | undefined): Document[] {
  if (collation === undefined) return [...pipeline];
  return pipeline.map((stage) =>
    isPlainDocument(stage['$match']) ? { $match: collateFilter(stage['$match'], collation) } : stage,
  );
}

function mingoEngine(mingo: MingoModule): QueryEngine {
  const query = (filter: Document, context?: QueryContext) => {
    try {
      const compiled = compileWhereClauses(collateFilter(filter, context?.collation));
      return new mingo.Query(compiled, mingoOptions(context));
    } catch (error) {
      throw badQuery(error);
    }
  };
  const run = (pipeline: readonly Document[], documents: Document[], context?: QueryContext): Document[] => {
    try {
      return new mingo.Aggregator(collatePipeline(pipeline, context?.collation), mingoOptions(context)).run(
        documents,
      );
    } catch (error) {
      throw badQuery(error);
    }
  };
  return {
    name: 'mingo',
    matches(document, filter, context) {
      try {
        return query(filter, context).test(document);
      } catch (error) {
        throw badQuery(error);
      }
    },
    find(documents, spec) {
      try {
        let cursor = query(spec.filter, spec).find([...documents]);
        if (spec.sort !== undefined && Object.keys(spec.sort).length > 0) cursor = cursor.sort(spec.sort);
        if (spec.skip !== undefined && spec.skip > 0) cursor = cursor.skip(spec.skip);
        if (spec.limit !== undefined && spec.limit > 0) cursor = cursor.limit(spec.limit);
        const found = cursor.all();
        if (spec.projection === undefined || Object.keys(spec.projection).length === 0) return found;
        // Project after sorting, so a sort may use fields the projection drops.
        return new mingo.Query({}, mingoOptions(spec)).find(found, spec.projection).all().map(idFirst);
      } catch (error) {
        throw badQuery(error);
      }
    },
    update(document, update, options) {
      if (Array.isArray(update)) {
        const [result] = run(update as Document[], [cloneDocument(document)], options);
        return replaceDocument(document, result ?? {});
      }
      const modifier = update as Document;
      if (!isOperatorDocument(modifier)) return replaceDocument(document, modifier);
      const { $setOnInsert, ...rest } = modifier;
      const operators: Document = { ...rest };
      if (options.inserting && isPlainDocument($setOnInsert)) {
        operators['$set'] = {
          ...(isPlainDocument(operators['$set']) ? operators['$set'] : {}),
          ...$setOnInsert,
        };
      }
      const copy = cloneDocument(document);
      if (Object.keys(operators).length === 0) return copy;
      try {
        mingo.update(copy, operators, options.arrayFilters ? [...options.arrayFilters] : undefined);
      } catch (error) {
        throw badQuery(error);
      }
      if (valueKey(copy['_id']) !== valueKey(document['_id'])) {
        throw new CommandError(
          66,
          "Performing an update on the path '_id' would modify the immutable field '_id'",
        );
      }
      return idFirst(copy);
    },
    aggregate(documents, pipeline, context) {
      return run(pipeline, [...documents], context);
    },
    evaluate(expressions, root = {}, context) {
      if (Object.keys(expressions).length === 0) return {};
      const [values] = run([{ $replaceWith: expressions }], [root], context);
      return values ?? {};
    },
  };
}

const MINGO_HINT =
  'install mingo, an optional peer dependency of waspnest (npm install --save-dev mingo), for the full query language';

function unsupported(what: string): CommandError {
  return new CommandError(
    ServerErrorCode.NotImplemented,
    `the simulator without mingo cannot ${what}: ${MINGO_HINT}`,
  );
}

/**
 * Top-level equality only: `{}`, `{ a: 1, b: 'x' }`, `{ a: { $eq: 1 } }`. Returns the
 * field → wanted-value key pairs; throws for anything else, even before there is a document to test.
 */
function basicFilter(filter: Document): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [field, wanted] of Object.entries(filter)) {
    if (field.startsWith('$') || field.includes('.'))
      throw unsupported(`evaluate the filter field '${field}'`);
    let value: unknown = wanted;
    if (isPlainDocument(wanted) && Object.keys(wanted).some((key) => key.startsWith('$'))) {
      const keys = Object.keys(wanted);
      if (keys.length !== 1 || keys[0] !== '$eq')
        throw unsupported(`evaluate operators in the filter on '${field}'`);
      value = wanted['$eq'];
    }
    pairs.push([field, valueKey(value)]);
  }
  return pairs;
}

function basicMatches(document: Document, filter: Document): boolean {
  return basicFilter(filter).every(([field, wanted]) => valueKey(document[field]) === wanted);
}

/** The basic engine has no variables, collations or other collections. */
function basicContext(context: QueryContext | undefined): void {
  if (context?.variables !== undefined && Object.keys(context.variables).length > 0)
    throw unsupported("use 'let' variables");
  if (context?.collation !== undefined) throw unsupported("honour a 'collation'");
}

const basicEngine: QueryEngine = {
  name: 'basic',
  matches(document, filter, context) {
    basicContext(context);
    return basicMatches(document, filter);
  },
  find(documents, spec) {
    basicContext(spec);
    if (spec.sort !== undefined && Object.keys(spec.sort).length > 0) throw unsupported('sort');
    if (spec.projection !== undefined && Object.keys(spec.projection).length > 0)
      throw unsupported('project');
    const pairs = basicFilter(spec.filter);
    const found = documents.filter((document) =>
      pairs.every(([field, wanted]) => valueKey(document[field]) === wanted),
    );
    const start = spec.skip ?? 0;
    const end = spec.limit !== undefined && spec.limit > 0 ? start + spec.limit : undefined;
    return found.slice(start, end);
  },
  update(document, update, options) {
    basicContext(options);
    if (Array.isArray(update)) throw unsupported('run pipeline updates');
    const modifier = update as Document;
    if (!isOperatorDocument(modifier)) return replaceDocument(document, modifier);
    const copy = cloneDocument(document);
    for (const [operator, fields] of Object.entries(modifier)) {
      if (operator === '$setOnInsert' && !options.inserting) continue;
      if (!isPlainDocument(fields))
        throw new CommandError(ServerErrorCode.FailedToParse, `${operator} needs a document`);
      for (const [field, value] of Object.entries(fields)) {
        if (field.includes('.') || field === '_id') throw unsupported(`apply ${operator} to '${field}'`);
        if (operator === '$set' || operator === '$setOnInsert')
          copy[field] = cloneDocument({ v: value })['v'];
        else if (operator === '$unset') delete copy[field];
        else if (operator === '$inc' && typeof value === 'number') {
          const current: unknown = copy[field] ?? 0;
          if (typeof current !== 'number')
            throw new CommandError(ServerErrorCode.TypeMismatch, `cannot $inc non-number '${field}'`);
          copy[field] = current + value;
        } else throw unsupported(`apply ${operator}`);
      }
    }
    return copy;
  },
  evaluate(expressions) {
    if (Object.keys(expressions).length > 0) throw unsupported("use 'let' variables");
    return {};
  },
  aggregate(documents, pipeline, context) {
    basicContext(context);
    // countDocuments: [{ $match }, { $skip }?, { $limit }?, { $group: { _id: 1, n: { $sum: 1 } } }]
    let rows: Document[] = [...documents];
    for (const stage of pipeline) {
      const [name] = Object.keys(stage);
      const argument: unknown = name === undefined ? undefined : stage[name];
      if (name === '$match' && isPlainDocument(argument)) {
        basicFilter(argument);
        rows = rows.filter((row) => basicMatches(row, argument));
      } else if (name === '$skip' && typeof argument === 'number') rows = rows.slice(argument);
      else if (name === '$limit' && typeof argument === 'number') rows = rows.slice(0, argument);
      else if (name === '$group' && isPlainDocument(argument) && isCountGroup(argument)) {
        const output = Object.keys(argument).find((key) => key !== '_id') ?? 'n';
        rows = rows.length === 0 ? [] : [{ _id: argument['_id'] as unknown, [output]: rows.length }];
      } else throw unsupported(`run the aggregation stage ${name ?? '{}'}`);
    }
    return rows;
  },
};

function isCountGroup(group: Document): boolean {
  const outputs = Object.entries(group).filter(([key]) => key !== '_id');
  if (outputs.length !== 1) return false;
  const [, accumulator] = outputs[0] ?? [];
  return isPlainDocument(accumulator) && accumulator['$sum'] === 1 && Object.keys(accumulator).length === 1;
}

let loading: Promise<QueryEngine> | null = null;

/** The engine: mingo when it can be imported, else the basic one. Loaded once per process. */
export function loadQueryEngine(): Promise<QueryEngine> {
  loading ??= import('mingo').then(
    (module) => mingoEngine(module as unknown as MingoModule),
    () => basicEngine,
  );
  return loading;
}

/** The basic engine, for tests of the kit without mingo. */
export const basicQueryEngine: QueryEngine = basicEngine;
