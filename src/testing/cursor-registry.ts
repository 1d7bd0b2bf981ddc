/**
 * Open cursors of one simulated server: find/aggregate results served in batches by getMore, and
 * live cursors (change streams) that make their batches on demand and share the id space.
 */
import { Long, type Document } from 'bson';
import { CommandError, ServerErrorCode } from './server-errors.js';

/** mongod's default first batch. */
const DEFAULT_FIRST_BATCH = 101;

interface OpenCursor {
  readonly ns: string;
  remaining: Document[];
}

/** A cursor that makes its batches itself (a change stream); the registry keeps it by id. */
export interface LiveCursor {
  readonly ns: string;
}

export class CursorRegistry {
  #nextId = 1;
  #cursors = new Map<number, OpenCursor>();
  #live = new Map<number, LiveCursor>();

  /** Registers a live cursor; returns its id. */
  openLive(cursor: LiveCursor): number {
    const id = this.#nextId++;
    this.#live.set(id, cursor);
    return id;
  }

  /** The live cursor `id`, or undefined (an ordinary cursor, or none). */
  live(id: number): LiveCursor | undefined {
    return this.#live.get(id);
  }

  /** The `cursor` field of a find/aggregate reply; the rest stays open unless it fits one batch. */
  open(ns: string, documents: Document[], options: { batchSize?: number; singleBatch?: boolean }): Document {
    const size =
      options.batchSize !== undefined && options.batchSize > 0 ? options.batchSize : DEFAULT_FIRST_BATCH;
    const batchSize = options.batchSize === 0 ? 0 : size;
    const firstBatch = documents.slice(0, batchSize);
    const remaining = documents.slice(batchSize);
    let id = 0;
    if (remaining.length > 0 && options.singleBatch !== true) {
      id = this.#nextId++;
      this.#cursors.set(id, { ns, remaining });
    }
    return { firstBatch, id: Long.fromNumber(id), ns };
  }

  getMore(id: number, ns: string, batchSize: number | undefined): Document {
    const cursor = this.#cursors.get(id);
    if (!cursor || cursor.ns !== ns) {
      throw new CommandError(ServerErrorCode.CursorNotFound, `cursor id ${id} not found`);
    }
    const count = batchSize !== undefined && batchSize > 0 ? batchSize : cursor.remaining.length;
    const nextBatch = cursor.remaining.slice(0, count);
    cursor.remaining = cursor.remaining.slice(count);
    let nextId = id;
    if (cursor.remaining.length === 0) {
      this.#cursors.delete(id);
      nextId = 0;
    }
    return { nextBatch, id: Long.fromNumber(nextId), ns };
  }

  kill(ids: readonly number[]): { killed: number[]; notFound: number[] } {
    const killed: number[] = [];
    const notFound: number[] = [];
    for (const id of ids) (this.#cursors.delete(id) || this.#live.delete(id) ? killed : notFound).push(id);
    return { killed, notFound };
  }

  get size(): number {
    return this.#cursors.size + this.#live.size;
  }

  /** Forgets every cursor (a restart or close). */
  clear(): void {
    this.#cursors.clear();
    this.#live.clear();
  }
}
