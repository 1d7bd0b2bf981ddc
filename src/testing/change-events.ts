/**
 * Change events from oplog entries (pure): which ops a stream on a collection, a database or the
 * whole cluster sees, and the event documents mongod 8.0 sends for them — insert, update (with
 * `updateDescription`), replace, delete, drop, rename, dropDatabase and the invalidate that ends a
 * collection stream (drop, rename) or a database stream (dropDatabase).
 */
import { createHash } from 'node:crypto';
import { UUID, type Document } from 'bson';
import type { Namespace, StoreOp } from './document-store.js';
import type { OplogEntry } from './oplog.js';
import { encodeResumeToken, type StreamPosition } from './resume-token.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import { describeUpdate } from './update-description.js';

/** What a change stream watches. */
export type StreamTarget =
  | { readonly kind: 'collection'; readonly ns: Namespace }
  | { readonly kind: 'database'; readonly db: string }
  | { readonly kind: 'cluster' };

export type FullDocumentMode = 'default' | 'updateLookup' | 'whenAvailable' | 'required';
export type FullDocumentBeforeChangeMode = 'off' | 'whenAvailable' | 'required';

export interface EventOptions {
  readonly fullDocument: FullDocumentMode;
  readonly fullDocumentBeforeChange: FullDocumentBeforeChangeMode;
  readonly showExpandedEvents: boolean;
}

/** What building events reads from the node that serves the stream. */
export interface EventSource {
  /** The document as it is now (fullDocument: 'updateLookup'). */
  lookup(ns: Namespace, id: unknown): Document | undefined;
  /** The collection records pre- and post-images (its changeStreamPreAndPostImages option). */
  recordsImages(ns: Namespace): boolean;
}

export interface PositionedEvent {
  readonly position: StreamPosition;
  readonly event: Document;
  /** An invalidate: the stream ends with it. */
  readonly invalidates: boolean;
}

/** Databases change streams never show. */
const INTERNAL_DATABASES: ReadonlySet<string> = new Set(['admin', 'config', 'local']);

function watches(target: StreamTarget, ns: Namespace): boolean {
  if (ns.collection.startsWith('system.')) return false;
  switch (target.kind) {
    case 'collection':
      return target.ns.db === ns.db && target.ns.collection === ns.collection;
    case 'database':
      return target.db === ns.db;
    case 'cluster':
      return !INTERNAL_DATABASES.has(ns.db);
  }
}

const nsDocument = (ns: Namespace): Document => ({ db: ns.db, coll: ns.collection });

const sameNamespace = (a: Namespace, b: Namespace): boolean => a.db === b.db && a.collection === b.collection;

/**
 * A collection's UUID in expanded events. The simulator keeps no catalog UUIDs: this one is derived
 * from the namespace, so every member agrees on it (a collection dropped and created again keeps it).
 */
function collectionUuid(ns: Namespace): UUID {
  const bytes = createHash('sha256').update(`${ns.db}.${ns.collection}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return new UUID(bytes);
}

/** The events one op of `entry` gives a stream on `target` (none, one, or one and an invalidate). */
export function changeEventsOf(
  entry: OplogEntry,
  opIndex: number,
  target: StreamTarget,
  options: EventOptions,
  source: EventSource,
): PositionedEvent[] {
  const op = entry.ops[opIndex];
  if (!op) return [];
  const position: StreamPosition = { ts: entry.ts, opIndex, invalidate: false };
  const head = (operationType: string, ns?: Namespace): Document => ({
    _id: encodeResumeToken(position),
    operationType,
    clusterTime: entry.ts,
    wallTime: entry.wall,
    ...(options.showExpandedEvents && ns ? { collectionUUID: collectionUuid(ns) } : {}),
  });
  const tail: Document = entry.transaction
    ? { lsid: entry.transaction.lsid, txnNumber: entry.transaction.txnNumber }
    : {};
  const one = (event: Document): PositionedEvent[] => [
    { position, event: { ...event, ...tail }, invalidates: false },
  ];
  const withInvalidate = (event: Document): PositionedEvent[] => {
    const invalidate: StreamPosition = { ...position, invalidate: true };
    return [
      ...one(event),
      {
        position: invalidate,
        event: {
          _id: encodeResumeToken(invalidate),
          operationType: 'invalidate',
          clusterTime: entry.ts,
          wallTime: entry.wall,
        },
        invalidates: true,
      },
    ];
  };

  switch (op.op) {
    case 'insert':
      if (!watches(target, op.ns)) return [];
      return one({
        ...head('insert', op.ns),
        fullDocument: op.document,
        ns: nsDocument(op.ns),
        documentKey: { _id: op.document['_id'] as unknown },
      });
    case 'replace':
      if (!watches(target, op.ns)) return [];
      return one(documentChange(op, head, options, source));
    case 'delete':
      if (!watches(target, op.ns)) return [];
      return one({
        ...head('delete', op.ns),
        ns: nsDocument(op.ns),
        documentKey: { _id: op.id },
        ...beforeChange(op.ns, op.before, options, source),
      });
    case 'create':
      if (!options.showExpandedEvents || !watches(target, op.ns)) return [];
      return one({
        ...head('create', op.ns),
        ns: nsDocument(op.ns),
        operationDescription: { idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } },
      });
    case 'drop': {
      // rename's dropTarget: mongod logs one rename entry, which carries the drop.
      const next = entry.ops[opIndex + 1];
      if (next?.op === 'rename' && sameNamespace(next.to, op.ns)) return [];
      if (!watches(target, op.ns)) return [];
      const event = { ...head('drop', op.ns), ns: nsDocument(op.ns) };
      return target.kind === 'collection' ? withInvalidate(event) : one(event);
    }
    case 'dropDatabase': {
      if (target.kind === 'collection' || (target.kind === 'database' && target.db !== op.db)) return [];
      if (target.kind === 'cluster' && INTERNAL_DATABASES.has(op.db)) return [];
      const event = { ...head('dropDatabase'), ns: { db: op.db } };
      return target.kind === 'database' ? withInvalidate(event) : one(event);
    }
    case 'rename': {
      // A collection stream on either name sees the rename, and ends with it.
      if (!watches(target, op.ns) && !watches(target, op.to)) return [];
      const event: Document = { ...head('rename', op.ns), ns: nsDocument(op.ns), to: nsDocument(op.to) };
      const previous = entry.ops[opIndex - 1];
      const droppedTarget = previous?.op === 'drop' && sameNamespace(previous.ns, op.to);
      if (options.showExpandedEvents) {
        event['operationDescription'] = {
          to: nsDocument(op.to),
          ...(droppedTarget ? { dropTarget: collectionUuid(op.to) } : {}),
        };
      }
      return target.kind === 'collection' ? withInvalidate(event) : one(event);
    }
    case 'createIndexes':
    case 'dropIndexes':
      if (!options.showExpandedEvents || !watches(target, op.ns)) return [];
      return one({
        ...head(op.op, op.ns),
        ns: nsDocument(op.ns),
        operationDescription: {
          indexes: op.op === 'createIndexes' ? op.indexes : op.names.map((name) => ({ name })),
        },
      });
    case 'collMod':
      if (!options.showExpandedEvents || !watches(target, op.ns)) return [];
      return one({
        ...head('modify', op.ns),
        ns: nsDocument(op.ns),
        operationDescription: { ...op.options },
      });
  }
}

/** An update or replace event. */
function documentChange(
  op: Extract<StoreOp, { op: 'replace' }>,
  head: (operationType: string, ns?: Namespace) => Document,
  options: EventOptions,
  source: EventSource,
): Document {
  const ns = nsDocument(op.ns);
  const documentKey = { _id: op.document['_id'] as unknown };
  const before = beforeChange(op.ns, op.before, options, source);
  if (op.update === undefined) {
    return { ...head('replace', op.ns), fullDocument: op.document, ns, documentKey, ...before };
  }
  const description = describeUpdate(op.before ?? {}, op.document, op.update);
  const { disambiguatedPaths, ...plain } = description;
  const updateDescription: Document = options.showExpandedEvents ? { ...plain, disambiguatedPaths } : plain;
  const event = head('update', op.ns);
  switch (options.fullDocument) {
    case 'default':
      break;
    case 'updateLookup':
      event['fullDocument'] = source.lookup(op.ns, documentKey._id) ?? null;
      break;
    case 'whenAvailable':
      event['fullDocument'] = source.recordsImages(op.ns) ? op.document : null;
      break;
    case 'required':
      if (!source.recordsImages(op.ns)) throw missingImage('post', op.ns);
      event['fullDocument'] = op.document;
      break;
  }
  return { ...event, ns, documentKey, updateDescription, ...before };
}

function beforeChange(
  ns: Namespace,
  before: Document | undefined,
  options: EventOptions,
  source: EventSource,
): Document {
  if (options.fullDocumentBeforeChange === 'off') return {};
  const image = source.recordsImages(ns) ? before : undefined;
  if (image === undefined && options.fullDocumentBeforeChange === 'required') throw missingImage('pre', ns);
  return { fullDocumentBeforeChange: image ?? null };
}

function missingImage(kind: 'pre' | 'post', ns: Namespace): CommandError {
  return new CommandError(
    ServerErrorCode.NoMatchingDocument,
    `Change stream was configured to require a ${kind}-image for all update, delete and replace events, but the ${kind}-image was not found for an event on ${ns.db}.${ns.collection}: enable changeStreamPreAndPostImages on the collection with collMod before the write`,
  );
}
