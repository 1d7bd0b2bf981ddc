/**
 * The index commands: createIndexes, listIndexes, dropIndexes. Changes go through the node's write
 * path as StoreOps, so they replicate with the oplog (a new primary has the same indexes).
 */
import type { Document } from 'bson';
import { arrayArg, collectionOf, cursorBatchSize } from './command-args.js';
import type { CrudHandler, DataNode } from './data-node.js';
import { namespaceString } from './document-store.js';
import { checkIndexBuild, indexesToCreate, indexesToDrop, parseIndexSpec } from './indexes.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import { refuseView } from './views.js';
import type { WireRequest } from './wire-server.js';

function createIndexesCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  const specs = arrayArg(request.command, 'indexes');
  if (specs.length === 0)
    throw new CommandError(ServerErrorCode.BadValue, 'Must specify at least one index to create');
  const requested = specs.map(parseIndexSpec);
  return node.write(request, (store, apply) => {
    const existing = store.indexes(ns);
    const before = Math.max(existing.length, 1);
    const created = indexesToCreate(existing, requested);
    const createdCollection = !store.hasCollection(ns);
    if (created.length === 0) {
      if (createdCollection) apply({ op: 'create', ns });
      return {
        numIndexesBefore: before,
        numIndexesAfter: before,
        ...(createdCollection ? { createdCollectionAutomatically: true } : {}),
        note: 'all indexes already exist',
        ok: 1,
      };
    }
    for (const index of created) checkIndexBuild(store, node.engine, ns, index);
    apply({ op: 'createIndexes', ns, indexes: created });
    return {
      numIndexesBefore: before,
      numIndexesAfter: before + created.length,
      createdCollectionAutomatically: createdCollection,
      ok: 1,
    };
  });
}

function dropIndexesCommand(node: DataNode, request: WireRequest): Promise<Document> {
  const ns = collectionOf(request);
  return node.write(request, (store, apply) => {
    if (!store.hasCollection(ns))
      throw new CommandError(ServerErrorCode.NamespaceNotFound, `ns not found ${namespaceString(ns)}`);
    refuseView(store, ns);
    const existing = store.indexes(ns);
    const which: unknown = request.command['index'];
    const names = indexesToDrop(existing, which);
    if (names.length > 0) apply({ op: 'dropIndexes', ns, names });
    return {
      nIndexesWas: existing.length,
      ...(which === '*' ? { msg: 'non-_id indexes dropped for collection' } : {}),
      ok: 1,
    };
  });
}

function listIndexesCommand(node: DataNode, request: WireRequest): Document {
  const ns = collectionOf(request);
  const store = node.readableStore(request);
  if (!store.hasCollection(ns))
    throw new CommandError(ServerErrorCode.NamespaceNotFound, `ns does not exist: ${namespaceString(ns)}`);
  refuseView(store, ns);
  const batchSize = cursorBatchSize(request.command);
  const cursor = node.cursors.open(
    `${ns.db}.$cmd.listIndexes.${ns.collection}`,
    store.indexes(ns).map((index) => ({ ...index })),
    batchSize !== undefined ? { batchSize } : {},
  );
  return { cursor, ok: 1 };
}

export const indexCommands: Readonly<Record<string, CrudHandler>> = {
  createIndexes: createIndexesCommand,
  dropIndexes: dropIndexesCommand,
  deleteIndexes: dropIndexesCommand,
  listIndexes: listIndexesCommand,
};

/** The index commands that change data. */
export const INDEX_WRITE_COMMANDS: readonly string[] = ['createIndexes', 'dropIndexes', 'deleteIndexes'];
