/**
 * Session operations (transactions, withTransaction with its callback of operations, endSession)
 * and GridFS bucket operations (upload from `$$hexBytes`, download to bytes, delete).
 */
import { Readable } from 'node:stream';
import type { Document } from 'bson';
import type { ObjectId } from 'mongodb';
import { RunnerError } from './entity-map.js';
import type { Operation } from './format.js';
import { isDocument } from './matcher.js';
import type { OperationTable } from './test-context.js';

export const sessionOperations: OperationTable<'session'> = {
  async startTransaction({ session }, args) {
    session.startTransaction(args.options());
    return {};
  },
  async commitTransaction({ session }, args) {
    await session.commitTransaction(args.options());
    return {};
  },
  async abortTransaction({ session }, args) {
    await session.abortTransaction(args.options());
    return {};
  },
  async withTransaction({ session }, args, ctx) {
    const callback = args.requiredArray('callback') as unknown as Operation[];
    const options = args.options('callback');
    await session.withTransaction(async () => {
      for (const operation of callback) await ctx.execute(operation, true);
    }, options);
    return {};
  },
  async endSession({ session }) {
    await session.endSession();
    return {};
  },
};

function hexSource(source: unknown): Buffer {
  const hex = isDocument(source) ? source['$$hexBytes'] : undefined;
  if (typeof hex !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(hex)) {
    throw new RunnerError(`upload source must be { $$hexBytes: <even number of hex digits> }`);
  }
  return Buffer.from(hex, 'hex');
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export const bucketOperations: OperationTable<'bucket'> = {
  async upload({ bucket }, args) {
    const data = hexSource(args.required('source'));
    const upload = bucket.openUploadStream(
      args.requiredString('filename'),
      args.options('filename', 'source'),
    );
    await new Promise<void>((resolve, reject) => {
      Readable.from([data]).pipe(upload).on('finish', resolve).on('error', reject);
    });
    return { value: upload.id };
  },
  async uploadWithId({ bucket }, args) {
    const data = hexSource(args.required('source'));
    const id = args.required('id') as ObjectId;
    const upload = bucket.openUploadStreamWithId(
      id,
      args.requiredString('filename'),
      args.options('id', 'filename', 'source'),
    );
    await new Promise<void>((resolve, reject) => {
      Readable.from([data]).pipe(upload).on('finish', resolve).on('error', reject);
    });
    return { value: id };
  },
  async download({ bucket }, args) {
    return {
      value: await readAll(bucket.openDownloadStream(args.required('id') as ObjectId, args.options('id'))),
    };
  },
  async downloadByName({ bucket }, args) {
    const stream = bucket.openDownloadStreamByName(args.requiredString('filename'), args.options('filename'));
    return { value: await readAll(stream) };
  },
  async delete({ bucket }, args) {
    await bucket.delete(args.required('id') as ObjectId, args.options('id') as Document);
    return {};
  },
};
