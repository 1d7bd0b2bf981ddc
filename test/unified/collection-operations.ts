/**
 * Collection operations of the test files, each mapped to the official driver's Collection API.
 * Cursors are iterated fully (find, aggregate, listIndexes), as the format requires.
 */
import type { Document } from 'bson';
import type { AnyBulkWriteOperation, FindCursor } from 'mongodb';
import { RunnerError } from './entity-map.js';
import type { OperationArguments } from './operation-arguments.js';
import { changeStreamOutcome } from './cursor-operations.js';
import { documents, type OperationTable } from './test-context.js';

/** `cursorType` of the CRUD spec as the driver's flags. */
function findOptions(args: OperationArguments, ...taken: string[]): Document {
  const options = args.options('filter', ...taken);
  const cursorType = options['cursorType'];
  if (cursorType !== undefined) {
    delete options['cursorType'];
    if (cursorType === 'tailable' || cursorType === 'tailableAwait') options['tailable'] = true;
    if (cursorType === 'tailableAwait') options['awaitData'] = true;
  }
  return options;
}

export const collectionOperations: OperationTable<'collection'> = {
  async aggregate({ collection }, args) {
    return documents(
      await collection.aggregate(args.requiredArray('pipeline'), args.options('pipeline')).toArray(),
    );
  },
  async bulkWrite({ collection }, args) {
    const requests = args.requiredArray('requests') as AnyBulkWriteOperation<Document>[];
    return { value: await collection.bulkWrite(requests, args.options('requests')) };
  },
  async count({ collection }, args) {
    return { value: await collection.count(args.requiredDocument('filter'), args.options('filter')) };
  },
  async countDocuments({ collection }, args) {
    return {
      value: await collection.countDocuments(args.requiredDocument('filter'), args.options('filter')),
    };
  },
  async estimatedDocumentCount({ collection }, args) {
    return { value: await collection.estimatedDocumentCount(args.options()) };
  },
  async deleteMany({ collection }, args) {
    return { value: await collection.deleteMany(args.requiredDocument('filter'), args.options('filter')) };
  },
  async deleteOne({ collection }, args) {
    return { value: await collection.deleteOne(args.requiredDocument('filter'), args.options('filter')) };
  },
  async distinct({ collection }, args) {
    const key = args.requiredString('fieldName');
    return {
      value: await collection.distinct(
        key,
        args.requiredDocument('filter'),
        args.options('fieldName', 'filter'),
      ),
    };
  },
  async find({ collection }, args) {
    return documents(await collection.find(args.requiredDocument('filter'), findOptions(args)).toArray());
  },
  async findOne({ collection }, args) {
    return { value: await collection.findOne(args.requiredDocument('filter'), findOptions(args)) };
  },
  async createFindCursor({ collection }, args) {
    const cursor: FindCursor<Document> = collection.find(args.requiredDocument('filter'), findOptions(args));
    // The format wants the server-side cursor created now; hasNext() runs find without consuming.
    await cursor.hasNext();
    return { entity: { kind: 'cursor', cursor } };
  },
  async findOneAndDelete({ collection }, args) {
    return {
      value: await collection.findOneAndDelete(args.requiredDocument('filter'), args.options('filter')),
    };
  },
  async findOneAndReplace({ collection }, args) {
    const filter = args.requiredDocument('filter');
    const replacement = args.requiredDocument('replacement');
    return {
      value: await collection.findOneAndReplace(filter, replacement, args.options('filter', 'replacement')),
    };
  },
  async findOneAndUpdate({ collection }, args) {
    const filter = args.requiredDocument('filter');
    const update = args.required('update') as Document;
    return { value: await collection.findOneAndUpdate(filter, update, args.options('filter', 'update')) };
  },
  async insertMany({ collection }, args) {
    return { value: await collection.insertMany(args.requiredArray('documents'), args.options('documents')) };
  },
  async insertOne({ collection }, args) {
    return { value: await collection.insertOne(args.requiredDocument('document'), args.options('document')) };
  },
  async replaceOne({ collection }, args) {
    const filter = args.requiredDocument('filter');
    const replacement = args.requiredDocument('replacement');
    return { value: await collection.replaceOne(filter, replacement, args.options('filter', 'replacement')) };
  },
  async updateMany({ collection }, args) {
    const filter = args.requiredDocument('filter');
    const update = args.required('update') as Document;
    return { value: await collection.updateMany(filter, update, args.options('filter', 'update')) };
  },
  async updateOne({ collection }, args) {
    const filter = args.requiredDocument('filter');
    const update = args.required('update') as Document;
    return { value: await collection.updateOne(filter, update, args.options('filter', 'update')) };
  },
  async createChangeStream({ collection }, args) {
    return changeStreamOutcome(collection.watch(args.requiredArray('pipeline'), args.options('pipeline')));
  },
  async createIndex({ collection }, args) {
    return { value: await collection.createIndex(args.requiredDocument('keys'), args.options('keys')) };
  },
  async dropIndex({ collection }, args) {
    return { value: await collection.dropIndex(args.requiredString('name'), args.options('name')) };
  },
  async dropIndexes({ collection }, args) {
    return { value: await collection.dropIndexes(args.options()) };
  },
  async listIndexes({ collection }, args) {
    return documents(await collection.listIndexes(args.options()).toArray());
  },
  async listIndexNames({ collection }, args) {
    const indexes = await collection.listIndexes(args.options()).toArray();
    return { value: indexes.map((index) => index['name'] as string) };
  },
  async rename({ collection }, args) {
    await collection.rename(args.requiredString('to'), args.options('to'));
    return {};
  },
  async drop({ collection }, args) {
    return { value: await collection.drop(args.options()) };
  },
  async modifyCollection() {
    throw new RunnerError('operation modifyCollection is not implemented by the runner');
  },
};
