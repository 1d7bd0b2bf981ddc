/**
 * The aggregate command: pipelines on a collection or on the database (`aggregate: 1`, which
 * starts with $documents), reading other collections of the database for $lookup, $graphLookup
 * and $unionWith, and writing with $out and $merge through the node's write path (so their
 * writes replicate and pass unique indexes and validators). Stages the simulator does not run
 * fail with an error naming them; unknown stages fail as on mongod.
 */
import { Long, ObjectId, type Document } from 'bson';
import { arrayArg, cursorBatchSize } from './command-args.js';
import { queryContext, prepareInsert, type ApplyOp, type CrudHandler, type DataNode } from './data-node.js';
import { validatedApply } from './document-validation.js';
import { DocumentStore, namespaceString, type Namespace } from './document-store.js';
import { checkHint, duplicateKeyError, indexedApply } from './indexes.js';
import { idFirst, valueKey, valuesAtPath, type QueryContext } from './query-engine.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import { collStats } from './capped-collections.js';
import { localSessions } from './local-sessions.js';
import { readDocuments } from './views.js';
import type { WireRequest } from './wire-server.js';

/** mongod's stages the simulator does not run, by name. */
export const UNSUPPORTED_STAGES: ReadonlySet<string> = new Set([
  '$changeStream',
  '$changeStreamSplitLargeEvent',
  '$currentOp',
  '$geoNear',
  '$indexStats',
  '$listSampledQueries',
  '$listSearchIndexes',
  '$listSessions',
  '$planCacheStats',
  '$querySettings',
  '$search',
  '$searchMeta',
  '$shardedDataDistribution',
  '$vectorSearch',
]);

/** mongod's stages the simulator runs. */
const SUPPORTED_STAGES: ReadonlySet<string> = new Set([
  '$addFields',
  '$bucket',
  '$bucketAuto',
  '$collStats',
  '$count',
  '$densify',
  '$documents',
  '$facet',
  '$fill',
  '$graphLookup',
  '$group',
  '$limit',
  '$listLocalSessions',
  '$lookup',
  '$match',
  '$merge',
  '$out',
  '$project',
  '$redact',
  '$replaceRoot',
  '$replaceWith',
  '$sample',
  '$set',
  '$setWindowFields',
  '$skip',
  '$sort',
  '$sortByCount',
  '$unionWith',
  '$unset',
  '$unwind',
]);

/** Whether mongod knows a stage of this name (whether or not the simulator runs it). */
export function isKnownStage(name: string): boolean {
  return SUPPORTED_STAGES.has(name) || UNSUPPORTED_STAGES.has(name);
}

/** Stages that only open a pipeline. */
const FIRST_ONLY_STAGES: ReadonlySet<string> = new Set(['$documents', '$listLocalSessions', '$collStats']);

function stageName(stage: unknown): string {
  if (!isPlainDocument(stage))
    throw new CommandError(
      ServerErrorCode.TypeMismatch,
      "Each element of the 'pipeline' array must be an object",
    );
  const names = Object.keys(stage);
  const [name] = names;
  if (names.length !== 1 || name === undefined)
    throw new CommandError(40323, 'A pipeline stage specification object must contain exactly one field.');
  return name;
}

/** Checks every stage name; returns the pipeline split into what is read and the final write stage. */
function splitPipeline(pipeline: readonly unknown[]): { read: Document[]; write: Document | undefined } {
  const names = pipeline.map(stageName);
  names.forEach((name, position) => {
    if (UNSUPPORTED_STAGES.has(name))
      throw new CommandError(
        ServerErrorCode.NotImplemented,
        `the simulator does not support the ${name} stage`,
      );
    if (!SUPPORTED_STAGES.has(name))
      throw new CommandError(40324, `Unrecognized pipeline stage name: '${name}'`);
    if ((name === '$out' || name === '$merge') && position !== names.length - 1)
      throw new CommandError(40601, `${name} can only be the final stage in the pipeline`);
    if (FIRST_ONLY_STAGES.has(name) && position !== 0)
      throw new CommandError(40602, `${name} is only valid as the first stage in a pipeline`);
  });
  const last = names[names.length - 1];
  const stages = pipeline as Document[];
  if (last === '$out' || last === '$merge')
    return { read: stages.slice(0, -1), write: stages[stages.length - 1] };
  return { read: [...stages], write: undefined };
}

function targetNamespace(db: string, value: unknown, stage: string): Namespace {
  if (typeof value === 'string' && value !== '') return { db, collection: value };
  if (isPlainDocument(value) && typeof value['coll'] === 'string' && value['coll'] !== '') {
    if (value['timeseries'] !== undefined)
      throw new CommandError(
        ServerErrorCode.NotImplemented,
        `the simulator does not support ${stage} to a time series collection`,
      );
    return { db: typeof value['db'] === 'string' ? value['db'] : db, collection: value['coll'] };
  }
  throw new CommandError(ServerErrorCode.FailedToParse, `${stage} needs a collection name or { db, coll }`);
}

/**
 * $out: replaces the target collection's documents with the results, keeping its indexes and
 * options, or changes nothing when a result breaks one of them (mongod writes to a temporary
 * collection first).
 */
function runOut(
  store: DocumentStore,
  apply: ApplyOp,
  node: DataNode,
  target: Namespace,
  results: readonly Document[],
  bypassValidation: boolean,
): void {
  const indexes = store.indexes(target).filter((index) => index['name'] !== '_id_');
  const options = store.collectionOptions(target);
  const documents = results.map(prepareInsert);
  // Try the results on a scratch copy of the target first, so a failure leaves it untouched.
  const scratch = new DocumentStore();
  scratch.apply({ op: 'create', ns: target, options });
  if (indexes.length > 0) scratch.apply({ op: 'createIndexes', ns: target, indexes });
  const tryApply = validatedApply(
    scratch,
    node.engine,
    indexedApply(scratch, node.engine, (op) => scratch.apply(op)),
    bypassValidation,
  );
  for (const document of documents) tryApply({ op: 'insert', ns: target, document });
  if (store.hasCollection(target)) apply({ op: 'drop', ns: target });
  apply({ op: 'create', ns: target, options });
  if (indexes.length > 0) apply({ op: 'createIndexes', ns: target, indexes });
  for (const document of documents) apply({ op: 'insert', ns: target, document });
}

interface MergeSpec {
  readonly target: Namespace;
  readonly on: readonly string[];
  readonly whenMatched: string | Document[];
  readonly whenNotMatched: string;
  readonly let: Document | undefined;
}

function mergeSpec(db: string, value: unknown): MergeSpec {
  if (typeof value === 'string') return mergeSpec(db, { into: value });
  if (!isPlainDocument(value))
    throw new CommandError(ServerErrorCode.FailedToParse, '$merge needs a collection name or a document');
  const on: unknown = value['on'] ?? '_id';
  const fields = typeof on === 'string' ? [on] : on;
  if (!Array.isArray(fields) || fields.length === 0 || !fields.every((field) => typeof field === 'string'))
    throw new CommandError(51186, "$merge 'on' field must be a string or an array of strings");
  const whenMatched: unknown = value['whenMatched'] ?? 'merge';
  const matchedModes = ['merge', 'replace', 'keepExisting', 'fail'];
  if (!(
    Array.isArray(whenMatched) ||
    (typeof whenMatched === 'string' && matchedModes.includes(whenMatched))
  ))
    throw new CommandError(
      ServerErrorCode.BadValue,
      `Enumeration value '${String(whenMatched)}' for field '$merge.whenMatched' is not a valid value.`,
    );
  const whenNotMatched: unknown = value['whenNotMatched'] ?? 'insert';
  if (typeof whenNotMatched !== 'string' || !['insert', 'discard', 'fail'].includes(whenNotMatched))
    throw new CommandError(
      ServerErrorCode.BadValue,
      `Enumeration value '${String(whenNotMatched)}' for field '$merge.whenNotMatched' is not a valid value.`,
    );
  const letValue: unknown = value['let'];
  if (letValue !== undefined && !isPlainDocument(letValue))
    throw new CommandError(ServerErrorCode.TypeMismatch, "$merge 'let' must be a document");
  return {
    target: targetNamespace(db, value['into'], '$merge'),
    on: fields as string[],
    whenMatched: whenMatched as string | Document[],
    whenNotMatched,
    let: letValue,
  };
}

/** The unique index $merge's `on` fields need, when they are not `_id`. */
function mergeIndex(store: DocumentStore, spec: MergeSpec): Document {
  const wanted = [...spec.on].sort().join(',');
  const index = store.indexes(spec.target).find(
    (candidate) =>
      (candidate['unique'] === true || candidate['name'] === '_id_') &&
      candidate['partialFilterExpression'] === undefined &&
      Object.keys(candidate['key'] as Document)
        .sort()
        .join(',') === wanted,
  );
  if (index) return index;
  if (spec.on.length === 1 && spec.on[0] === '_id') return { key: { _id: 1 }, name: '_id_' };
  throw new CommandError(51183, 'Cannot find index to verify that join fields will be unique');
}

/** $merge: each result updates the target document with the same `on` fields, or is inserted. */
function runMerge(
  store: DocumentStore,
  apply: ApplyOp,
  node: DataNode,
  spec: MergeSpec,
  results: readonly Document[],
  context: QueryContext,
): void {
  const index = store.hasCollection(spec.target) ? mergeIndex(store, spec) : undefined;
  for (const result of results) {
    const keyValue: Document = {};
    for (const field of spec.on) {
      const values = valuesAtPath(result, field);
      const [value] = values;
      if (values.length !== 1 || value === null || value === undefined || Array.isArray(value))
        throw new CommandError(
          51132,
          "$merge write error: 'on' field cannot be missing, null, undefined or an array",
        );
      keyValue[field] = value;
    }
    const incoming = idFirst({ ...('_id' in result ? {} : { _id: new ObjectId() }), ...result });
    const existing = store
      .documents(spec.target)
      .find((document) =>
        spec.on.every((field) => valueKey(valuesAtPath(document, field)) === valueKey([keyValue[field]])),
      );
    if (!existing) {
      if (spec.whenNotMatched === 'discard') continue;
      if (spec.whenNotMatched === 'fail')
        throw new CommandError(
          13113,
          '$merge could not find a matching document in the target collection for at least one document in the source collection',
        );
      apply({ op: 'insert', ns: spec.target, document: prepareInsert(incoming) });
      continue;
    }
    const mode = spec.whenMatched;
    if (mode === 'keepExisting') continue;
    if (mode === 'fail')
      throw duplicateKeyError(spec.target, index ?? { key: { _id: 1 }, name: '_id_' }, keyValue);
    let updated: Document;
    if (mode === 'replace') updated = { ...incoming, _id: existing['_id'] as unknown };
    else if (mode === 'merge') updated = { ...existing, ...incoming, _id: existing['_id'] as unknown };
    else if (Array.isArray(mode)) {
      const variables = {
        ...context.variables,
        new: incoming,
        ...(spec.let ? node.engine.evaluate(spec.let, incoming, context) : {}),
      };
      updated = node.engine.update(existing, mode, { ...context, variables, inserting: false });
    } else throw new CommandError(ServerErrorCode.BadValue, `unknown $merge whenMatched mode '${mode}'`);
    if (
      '_id' in incoming &&
      mode !== 'merge' &&
      !Array.isArray(mode) &&
      valueKey(incoming['_id']) !== valueKey(existing['_id'])
    )
      throw new CommandError(
        66,
        '$merge failed to update the matching document, did you attempt to modify the _id field?',
      );
    apply({ op: 'replace', ns: spec.target, document: prepareInsert(updated) });
  }
}

function aggregateCommand(node: DataNode, request: WireRequest): Promise<Document> | Document {
  const command = request.command;
  const target: unknown = command['aggregate'];
  let ns: Namespace | null;
  if (typeof target === 'string' && target !== '') ns = { db: request.db, collection: target };
  else if (target === 1) ns = null;
  else
    throw new CommandError(
      ServerErrorCode.FailedToParse,
      "'aggregate' must be a collection name or 1 for a database aggregation",
    );
  const pipeline = arrayArg(command, 'pipeline');
  const { read, write } = splitPipeline(pipeline);
  const first = read[0] === undefined ? undefined : stageName(read[0]);
  if (ns === null && first !== '$documents' && first !== '$listLocalSessions')
    throw new CommandError(
      ServerErrorCode.InvalidNamespace,
      `{aggregate: 1} is not valid for '${first ?? 'an empty pipeline'}'; a collection name or a $documents or $listLocalSessions stage is required`,
    );
  if (ns !== null && first === '$listLocalSessions')
    throw new CommandError(
      ServerErrorCode.InvalidNamespace,
      '$listLocalSessions must be run against the database with {aggregate: 1}',
    );
  if (ns === null && first === '$collStats')
    throw new CommandError(ServerErrorCode.InvalidNamespace, '$collStats must be run against a collection');
  // $listLocalSessions reads the server's session cache, $collStats the collection's figures; the
  // rest of the pipeline runs on what they give.
  const source = (store: DocumentStore): Document[] => {
    if (first === '$listLocalSessions') return localSessions(node.cursors);
    if (!ns) return [];
    if (first === '$collStats') return [collStats(store, ns, read[0]?.['$collStats'], request.now())];
    return readDocuments(node.engine, store, ns);
  };
  const stages = first === '$listLocalSessions' || first === '$collStats' ? read.slice(1) : read;
  if (command['cursor'] === undefined && command['explain'] !== true)
    throw new CommandError(
      ServerErrorCode.FailedToParse,
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  if (command['explain'] === true)
    throw new CommandError(ServerErrorCode.NotImplemented, 'the simulator does not support explain');
  const cursorNs = ns ? namespaceString(ns) : `${request.db}.$cmd.aggregate`;
  const results = (store: DocumentStore): Document[] => {
    if (ns) checkHint(store, ns, command['hint']);
    return node.engine.aggregate(source(store), stages, queryContext(node, request, store));
  };
  if (!write) {
    const documents = results(node.readableStore(request));
    const batchSize = cursorBatchSize(command);
    const cursor = node.cursors.open(cursorNs, documents, batchSize !== undefined ? { batchSize } : {});
    return { cursor, ok: 1 };
  }
  const readConcern: unknown = command['readConcern'];
  if (isPlainDocument(readConcern) && readConcern['level'] === 'linearizable')
    throw new CommandError(
      ServerErrorCode.InvalidOptions,
      `${stageName(write)} cannot be used with a 'linearizable' read concern level`,
    );
  // The read runs where the driver sent the command (a secondary may serve it); the writes go to
  // the primary, as mongod 5.0+ forwards them.
  const documents = results(node.readableStore(request));
  const writer = node.writeViaPrimary ?? node.write;
  return writer(request, (store, apply) => {
    if ('$out' in write) {
      const out = targetNamespace(request.db, write['$out'], '$out');
      runOut(store, apply, node, out, documents, command['bypassDocumentValidation'] === true);
    } else {
      runMerge(
        store,
        apply,
        node,
        mergeSpec(request.db, write['$merge']),
        documents,
        queryContext(node, request, store),
      );
    }
    return { cursor: { firstBatch: [], id: Long.fromNumber(0), ns: cursorNs }, ok: 1 };
  });
}

export const aggregationCommands: Readonly<Record<string, CrudHandler>> = {
  aggregate: aggregateCommand,
};
