/**
 * Change streams: `aggregate` with `$changeStream` first, on a collection, a database
 * (`aggregate: 1`) or the whole cluster (`allChangesForCluster` on admin), and the getMores that
 * follow. The oplog is the only source: a stream is a position in it, and each batch reads the
 * entries after that position that the serving node has applied and a majority has committed (so
 * an event is never one that a rollback could take back). Resume tokens name oplog positions, so a
 * stream resumes on any member; getMore waits (`maxTimeMS`, default 1 s, as awaitData cursors do)
 * until the oplog grows. The pipeline after `$changeStream` is applied to each event.
 */
import { Long, Timestamp, type Document } from 'bson';
import {
  changeEventsOf,
  type EventOptions,
  type EventSource,
  type FullDocumentBeforeChangeMode,
  type FullDocumentMode,
  type StreamTarget,
} from './change-events.js';
import { isKnownStage } from './aggregation.js';
import type { CursorRegistry, LiveCursor } from './cursor-registry.js';
import type { DocumentStore, Namespace } from './document-store.js';
import type { OplogEntry } from './oplog.js';
import type { ProgressSignal } from './progress-signal.js';
import { valueKey, type QueryEngine } from './query-engine.js';
import { isPlainDocument } from './plain-document.js';
import {
  comparePositions,
  decodeResumeToken,
  encodeResumeToken,
  HIGH_WATER_MARK,
  highWaterMark,
  type StreamPosition,
} from './resume-token.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import type { WireRequest } from './wire-server.js';

/** What a change stream needs from the server that serves it. */
export interface ChangeStreamNode {
  /** A standalone refuses change streams, as mongod does. */
  readonly kind: 'replica-set member' | 'mongos' | 'standalone';
  readonly engine: QueryEngine;
  readonly cursors: CursorRegistry;
  /** Notified when the oplog grows or replication moves on. */
  readonly progress: ProgressSignal;
  /** The oplog; only its first visibleCount() entries are shown. */
  readonly oplog: readonly OplogEntry[];
  /** Entries a stream here may show: applied by this node and majority-committed. */
  visibleCount(): number;
  /** Entries applied by this node: a stream opened without a start point begins after them. */
  appliedCount(): number;
  /** The store reads see; throws CommandError when this node may not serve the read. */
  readableStore(request: WireRequest): DocumentStore;
  /** The node's data as it is now (fullDocument: 'updateLookup' on getMore). */
  store(): DocumentStore;
  /** The server's fail points (`failGetMoreAfterCursorCheckout`). */
  readonly failPoints?: { onGetMoreAfterCursorCheckout(): number | null };
}

/** mongod's wait for an awaitData getMore without maxTimeMS. */
const DEFAULT_AWAIT_MS = 1000;
/** mongod's default first batch. */
const DEFAULT_FIRST_BATCH = 101;

/** Stages a change stream's pipeline may hold after $changeStream. */
const ALLOWED_STAGES = new Set([
  '$match',
  '$project',
  '$addFields',
  '$set',
  '$unset',
  '$replaceRoot',
  '$replaceWith',
  '$redact',
]);

const SPEC_FIELDS = new Set([
  'resumeAfter',
  'startAfter',
  'startAtOperationTime',
  'fullDocument',
  'fullDocumentBeforeChange',
  'allChangesForCluster',
  'showExpandedEvents',
]);

const FULL_DOCUMENT_MODES: readonly FullDocumentMode[] = [
  'default',
  'updateLookup',
  'whenAvailable',
  'required',
];
const BEFORE_CHANGE_MODES: readonly FullDocumentBeforeChangeMode[] = ['off', 'whenAvailable', 'required'];

const NON_RESUMABLE = { errorLabels: ['NonResumableChangeStreamError'] };

/**
 * Codes mongod labels `ResumableChangeStreamError` when a change stream's getMore fails with them
 * (network, not-primary, shutdown, stale routing, RetryChangeStream, FailedToSatisfyReadPreference):
 * drivers on wire version 9+ resume on the label alone.
 */
const RESUMABLE_CODES: ReadonlySet<number> = new Set([
  6, 7, 63, 89, 91, 133, 150, 189, 234, 262, 9001, 10107, 11600, 11602, 13388, 13435, 13436,
]);

/** `error` with the label mongod gives it on a change stream's getMore. */
function labelledForGetMore(error: CommandError): CommandError {
  if (!RESUMABLE_CODES.has(error.code) || error.extra['errorLabels'] !== undefined) return error;
  return new CommandError(error.code, error.message, {
    ...error.extra,
    errorLabels: ['ResumableChangeStreamError'],
  });
}

/** One open change stream. */
class ChangeStreamCursor implements LiveCursor {
  /** The last position this stream has passed (an event returned or filtered out, or a high-water mark). */
  position: StreamPosition;
  /** Ended by an invalidate. */
  finished = false;
  busy = false;

  constructor(
    readonly ns: string,
    readonly target: StreamTarget,
    readonly options: EventOptions,
    readonly pipeline: readonly Document[],
    start: StreamPosition,
  ) {
    this.position = start;
  }
}

/**
 * Runs `request` when it opens a change stream (an aggregate with $changeStream) or continues one
 * (a getMore on a change stream cursor); returns undefined for every other request.
 */
export function changeStreamCommand(
  node: ChangeStreamNode,
  request: WireRequest,
): Promise<Document> | undefined {
  if (request.commandName === 'aggregate' && opensChangeStream(request.command)) {
    return Promise.resolve().then(() => openChangeStream(node, request));
  }
  if (request.commandName === 'getMore') {
    const id = cursorIdOf(request.command['getMore']);
    const cursor = id === null ? undefined : node.cursors.live(id);
    if (id !== null && cursor instanceof ChangeStreamCursor) return getMore(node, id, cursor, request);
  }
  return undefined;
}

/** True when `id` is an open change stream cursor of `cursors` (mongod labels its getMore errors). */
export function isChangeStreamCursor(cursors: CursorRegistry, command: Document): boolean {
  const id = cursorIdOf(command['getMore']);
  return id !== null && cursors.live(id) instanceof ChangeStreamCursor;
}

function opensChangeStream(command: Document): boolean {
  const pipeline: unknown = command['pipeline'];
  return (
    Array.isArray(pipeline) && pipeline.some((stage) => isPlainDocument(stage) && '$changeStream' in stage)
  );
}

function cursorIdOf(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (Long.isLong(value)) return value.toNumber();
  if (typeof value === 'bigint') return Number(value);
  return null;
}

function numberField(command: Document, field: string): number | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  const number = cursorIdOf(value);
  if (number === null) throw new CommandError(ServerErrorCode.TypeMismatch, `'${field}' must be a number`);
  return number;
}

// ---- opening a stream ------------------------------------------------------------------------

function openChangeStream(node: ChangeStreamNode, request: WireRequest): Document {
  if (node.kind === 'standalone') {
    throw new CommandError(40573, 'The $changeStream stage is only supported on replica sets');
  }
  const command = request.command;
  const [first, ...rest] = command['pipeline'] as unknown[];
  if (!isPlainDocument(first) || !('$changeStream' in first)) {
    throw new CommandError(40602, '$changeStream is only valid as the first stage in a pipeline');
  }
  const stages = rest.map(checkStage);
  const spec: unknown = first['$changeStream'];
  if (!isPlainDocument(spec)) {
    throw new CommandError(
      ServerErrorCode.TypeMismatch,
      "the $changeStream stage's specification must be an object",
    );
  }
  for (const field of Object.keys(spec)) {
    if (!SPEC_FIELDS.has(field)) {
      throw new CommandError(40415, `BSON field '$changeStream.${field}' is an unknown field.`);
    }
  }
  if (command['explain'] === true) {
    throw new CommandError(ServerErrorCode.NotImplemented, 'the simulator does not explain change streams');
  }
  if (!isPlainDocument(command['cursor'])) {
    throw new CommandError(ServerErrorCode.FailedToParse, "The 'cursor' option is required");
  }
  const target = targetOf(request, spec['allChangesForCluster'] === true);
  node.readableStore(request);
  const options: EventOptions = {
    fullDocument: enumField(spec, 'fullDocument', FULL_DOCUMENT_MODES, 'default'),
    fullDocumentBeforeChange: enumField(spec, 'fullDocumentBeforeChange', BEFORE_CHANGE_MODES, 'off'),
    showExpandedEvents: spec['showExpandedEvents'] === true,
  };
  const ns =
    target.kind === 'collection' ? `${target.ns.db}.${target.ns.collection}` : `${request.db}.$cmd.aggregate`;
  const cursor = new ChangeStreamCursor(ns, target, options, stages, startPosition(node, spec));
  const batchSize = numberField(command['cursor'] as Document, 'batchSize');
  const id = node.cursors.openLive(cursor);
  let firstBatch: Document[];
  try {
    firstBatch = collect(node, cursor, batchSize ?? DEFAULT_FIRST_BATCH);
  } catch (error) {
    node.cursors.kill([id]);
    throw error;
  }
  if (cursor.finished) node.cursors.kill([id]);
  return {
    cursor: {
      firstBatch,
      postBatchResumeToken: encodeResumeToken(cursor.position),
      id: Long.fromNumber(cursor.finished ? 0 : id),
      ns,
    },
    ok: 1,
  };
}

function checkStage(stage: unknown): Document {
  if (!isPlainDocument(stage)) {
    throw new CommandError(ServerErrorCode.TypeMismatch, 'each pipeline stage must be a document');
  }
  const name = Object.keys(stage)[0] ?? '';
  if (ALLOWED_STAGES.has(name)) return stage;
  if (name === '$changeStream') {
    throw new CommandError(40602, '$changeStream is only valid as the first stage in a pipeline');
  }
  // Other stages mongod knows are refused in a change stream with IllegalOperation, not as unknown.
  if (isKnownStage(name)) {
    throw new CommandError(
      ServerErrorCode.IllegalOperation,
      `${name} is not permitted in a $changeStream pipeline`,
    );
  }
  throw new CommandError(40324, `Unrecognized pipeline stage name: '${name}'`);
}

function enumField<T extends string>(spec: Document, field: string, values: readonly T[], fallback: T): T {
  const value: unknown = spec[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
  throw new CommandError(
    ServerErrorCode.BadValue,
    `Enumeration value '${String(value)}' for field '$changeStream.${field}' is not a valid value.`,
  );
}

function targetOf(request: WireRequest, allChangesForCluster: boolean): StreamTarget {
  const aggregate: unknown = request.command['aggregate'];
  const internal = request.db === 'admin' || request.db === 'config' || request.db === 'local';
  if (allChangesForCluster) {
    if (request.db !== 'admin' || aggregate !== 1) {
      throw new CommandError(
        ServerErrorCode.InvalidNamespace,
        "A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, and with no collection name",
      );
    }
    return { kind: 'cluster' };
  }
  if (aggregate === 1) {
    if (internal) {
      throw new CommandError(
        ServerErrorCode.InvalidNamespace,
        `$changeStream may not be opened on the internal ${request.db} database`,
      );
    }
    return { kind: 'database', db: request.db };
  }
  if (typeof aggregate !== 'string' || aggregate === '') {
    throw new CommandError(
      ServerErrorCode.InvalidNamespace,
      "$changeStream needs a collection name, or 'aggregate: 1' for a database",
    );
  }
  const ns: Namespace = { db: request.db, collection: aggregate };
  if (internal || aggregate.startsWith('system.')) {
    throw new CommandError(
      ServerErrorCode.InvalidNamespace,
      `$changeStream may not be opened on the internal ${request.db}.${aggregate} collection`,
    );
  }
  return { kind: 'collection', ns };
}

/** Index of the first entry stamped `ts` or later (oplog timestamps only rise). */
function firstIndexFrom(oplog: readonly OplogEntry[], ts: Timestamp, end: number): number {
  let low = 0;
  let high = end;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const entry = oplog[middle];
    if (entry && entry.ts.compare(ts) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The timestamp just before `ts`. */
function previousTimestamp(ts: Timestamp): Timestamp {
  if (ts.low > 0) return new Timestamp({ t: ts.high, i: ts.low - 1 });
  return new Timestamp({ t: Math.max(0, ts.high - 1), i: 0xffffffff });
}

function startPosition(node: ChangeStreamNode, spec: Document): StreamPosition {
  const given = ['resumeAfter', 'startAfter', 'startAtOperationTime'].filter((field) => spec[field] != null);
  if (given.length > 1) {
    throw new CommandError(40674, 'Only one type of resume option is allowed, but multiple were found.');
  }
  const oplog = node.oplog;
  const oldest = oplog[0]?.ts;
  const lost = (): CommandError =>
    new CommandError(
      ServerErrorCode.ChangeStreamHistoryLost,
      'Resume of change stream was not possible, as the resume point may no longer be in the oplog.',
      NON_RESUMABLE,
    );
  const field = given[0];
  if (field === 'startAtOperationTime') {
    const ts: unknown = spec['startAtOperationTime'];
    if (!(ts instanceof Timestamp)) {
      throw new CommandError(ServerErrorCode.TypeMismatch, "'startAtOperationTime' must be a timestamp");
    }
    if (oldest && ts.compare(oldest) < 0) throw lost();
    return highWaterMark(previousTimestamp(ts));
  }
  if (field === 'resumeAfter' || field === 'startAfter') {
    const position = decodeResumeToken(spec[field], field);
    if (field === 'resumeAfter' && position.invalidate) {
      throw new CommandError(
        ServerErrorCode.InvalidResumeToken,
        "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification.",
      );
    }
    if (oldest && position.ts.compare(oldest) < 0) throw lost();
    if (position.opIndex !== HIGH_WATER_MARK) checkTokenInHistory(oplog, position, spec[field]);
    return position;
  }
  const last = oplog[Math.min(node.appliedCount(), oplog.length) - 1];
  return highWaterMark(last ? last.ts : new Timestamp({ t: 0, i: 0 }));
}

/**
 * An event's token must name an op the oplog holds. One the oplog has moved past without it was
 * rolled back (or never was): the stream cannot resume. A token beyond the newest entry is left to
 * the entries to come.
 */
function checkTokenInHistory(oplog: readonly OplogEntry[], position: StreamPosition, token: unknown): void {
  const index = firstIndexFrom(oplog, position.ts, oplog.length);
  const entry = oplog[index];
  if (!entry) return;
  if (entry.ts.equals(position.ts) && position.opIndex < entry.ops.length) return;
  throw new CommandError(
    ServerErrorCode.ChangeStreamFatalError,
    `cannot resume stream; the resume token was not found: ${JSON.stringify(token)} names an oplog position that is not in this deployment's history (rolled back?)`,
    NON_RESUMABLE,
  );
}

// ---- reading events --------------------------------------------------------------------------

function eventSource(node: ChangeStreamNode): EventSource {
  return {
    lookup: (ns, id) => node.store().findById(ns, id),
    recordsImages: (ns) => {
      const option: unknown = node.store().collectionOptions(ns)['changeStreamPreAndPostImages'];
      return isPlainDocument(option) && option['enabled'] === true;
    },
  };
}

/** Reads up to `limit` events after the cursor's position from the visible oplog. */
function collect(node: ChangeStreamNode, cursor: ChangeStreamCursor, limit: number): Document[] {
  const batch: Document[] = [];
  if (limit <= 0 || cursor.finished) return batch;
  const oplog = node.oplog;
  const visible = Math.min(node.visibleCount(), oplog.length);
  const source = eventSource(node);
  for (let index = firstIndexFrom(oplog, cursor.position.ts, visible); index < visible; index++) {
    const entry = oplog[index];
    if (!entry) break;
    for (let opIndex = 0; opIndex < entry.ops.length; opIndex++) {
      if (entry.ts.equals(cursor.position.ts) && opIndex < cursor.position.opIndex) continue;
      for (const candidate of changeEventsOf(entry, opIndex, cursor.target, cursor.options, source)) {
        if (comparePositions(candidate.position, cursor.position) <= 0) continue;
        const shown = transform(node.engine, cursor.pipeline, candidate.event);
        cursor.position = candidate.position;
        if (shown) batch.push(shown);
        if (candidate.invalidates) {
          cursor.finished = true;
          return batch;
        }
        if (batch.length >= limit) return batch;
      }
    }
    const end = highWaterMark(entry.ts);
    if (comparePositions(end, cursor.position) > 0) cursor.position = end;
  }
  return batch;
}

/** The event after the stream's own pipeline, or null when it filtered the event out. */
function transform(engine: QueryEngine, pipeline: readonly Document[], event: Document): Document | null {
  if (pipeline.length === 0) return event;
  const [result] = engine.aggregate([event], pipeline);
  if (!result) return null;
  if (valueKey(result['_id']) !== valueKey(event['_id'])) {
    throw new CommandError(
      ServerErrorCode.ChangeStreamFatalError,
      'Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible to resume the stream from that point. Only transformations that retain the unmodified _id field are allowed.',
      NON_RESUMABLE,
    );
  }
  return result;
}

async function getMore(
  node: ChangeStreamNode,
  id: number,
  cursor: ChangeStreamCursor,
  request: WireRequest,
): Promise<Document> {
  const collection: unknown = request.command['collection'];
  if (typeof collection !== 'string' || `${request.db}.${collection}` !== cursor.ns) {
    throw new CommandError(
      13,
      `Requested getMore on namespace '${request.db}.${String(collection)}', but cursor belongs to a different namespace ${cursor.ns}`,
    );
  }
  if (cursor.busy) throw new CommandError(292, `Cursor id ${id} is already in use`);
  const injected = node.failPoints?.onGetMoreAfterCursorCheckout() ?? null;
  if (injected !== null) {
    node.cursors.kill([id]);
    throw labelledForGetMore(
      new CommandError(injected, "Failing command via 'failGetMoreAfterCursorCheckout' failpoint"),
    );
  }
  const batchSize = numberField(request.command, 'batchSize');
  const deadline = request.now() + (numberField(request.command, 'maxTimeMS') ?? DEFAULT_AWAIT_MS);
  const reply = (nextBatch: Document[]): Document => {
    if (cursor.finished) node.cursors.kill([id]);
    return {
      cursor: {
        nextBatch,
        postBatchResumeToken: encodeResumeToken(cursor.position),
        id: Long.fromNumber(cursor.finished ? 0 : id),
        ns: cursor.ns,
      },
      ok: 1,
    };
  };
  cursor.busy = true;
  try {
    for (;;) {
      const batch = collect(node, cursor, batchSize !== undefined && batchSize > 0 ? batchSize : Infinity);
      if (batch.length > 0 || cursor.finished) return reply(batch);
      if (!(await node.progress.wait(deadline, request.signal))) return reply(batch);
      if (node.cursors.live(id) !== cursor) {
        throw new CommandError(237, `cursor id ${id} was killed while a getMore waited on it`);
      }
    }
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    node.cursors.kill([id]);
    throw labelledForGetMore(error);
  } finally {
    cursor.busy = false;
  }
}
