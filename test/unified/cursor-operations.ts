/**
 * Change streams and cursors as entities: created with their server-side cursor in place (the
 * driver is lazy, so the runner starts them), iterated one document at a time, closed quietly.
 */
import type { Document } from 'bson';
import type { AbstractCursor, ChangeStream } from 'mongodb';
import type { OperationOutcome, OperationTable } from './test-context.js';

/** The driver's own hook for unified runners: runs the change stream's aggregate without iterating. */
interface InitialisableCursor {
  cursor: { cursorInit(): Promise<void> };
}

export async function changeStreamOutcome(stream: ChangeStream<Document>): Promise<OperationOutcome> {
  try {
    await (stream as unknown as InitialisableCursor).cursor.cursorInit();
  } catch (err) {
    await stream.close().catch(() => undefined);
    throw err;
  }
  return { entity: { kind: 'cursor', cursor: stream } };
}

function isChangeStream(
  cursor: AbstractCursor<Document> | ChangeStream<Document>,
): cursor is ChangeStream<Document> {
  return cursor.constructor.name === 'ChangeStream';
}

export const cursorOperations: OperationTable<'cursor'> = {
  async iterateUntilDocumentOrError({ cursor }) {
    // next() waits for a document (change streams: getMore until one arrives) or an error.
    const next = await cursor.next();
    return { value: next ?? undefined };
  },
  async iterateOnce({ cursor }) {
    const next = isChangeStream(cursor)
      ? await cursor.tryNext()
      : await (cursor as AbstractCursor<Document>).tryNext();
    return { value: next ?? undefined };
  },
  async close({ cursor }) {
    await cursor.close().catch(() => undefined);
    return {};
  },
};
