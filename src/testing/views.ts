/**
 * Read-only views (`create` with `viewOn` and `pipeline`): a view holds no documents and no
 * indexes; reading it runs its pipeline over its source (itself maybe a view), and writing to it
 * fails with mongod's CommandNotSupportedOnView (166).
 */
import type { Document } from 'bson';
import { namespaceString, type ApplyOp, type DocumentStore, type Namespace } from './document-store.js';
import type { QueryEngine } from './query-engine.js';
import { CommandError, ServerErrorCode } from './server-errors.js';

/** mongod's limit on views defined on views. */
const MAX_VIEW_DEPTH = 20;

export interface ViewDefinition {
  readonly viewOn: Namespace;
  readonly pipeline: readonly Document[];
}

/** The view's definition, or undefined when `ns` is a collection or does not exist. */
export function viewDefinition(store: DocumentStore, ns: Namespace): ViewDefinition | undefined {
  const options = store.collectionOptions(ns);
  const viewOn: unknown = options['viewOn'];
  if (typeof viewOn !== 'string') return undefined;
  const pipeline: unknown = options['pipeline'];
  return {
    viewOn: { db: ns.db, collection: viewOn },
    pipeline: Array.isArray(pipeline) ? (pipeline as Document[]) : [],
  };
}

/** The documents a read of `ns` sees: a collection's own, or a view's pipeline over its source. */
export function readDocuments(
  engine: QueryEngine,
  store: DocumentStore,
  ns: Namespace,
  depth = 0,
): Document[] {
  const view = viewDefinition(store, ns);
  if (!view) return store.documents(ns);
  if (depth >= MAX_VIEW_DEPTH)
    throw new CommandError(
      ServerErrorCode.ViewDepthLimitExceeded,
      `View depth too deep or view cycle detected; maximum depth is ${MAX_VIEW_DEPTH}`,
    );
  const source = readDocuments(engine, store, view.viewOn, depth + 1);
  return engine.aggregate(source, view.pipeline, {
    resolveCollection: (name) => readDocuments(engine, store, { db: ns.db, collection: name }, depth + 1),
  });
}

/** Throws CommandNotSupportedOnView when `ns` is a view. */
export function refuseView(store: DocumentStore, ns: Namespace): void {
  if (viewDefinition(store, ns))
    throw new CommandError(
      ServerErrorCode.CommandNotSupportedOnView,
      `Namespace ${namespaceString(ns)} is a view, not a collection`,
    );
}

/** An ApplyOp that refuses to change a view's documents or indexes. */
export function viewGuardedApply(store: DocumentStore, apply: ApplyOp): ApplyOp {
  return (op) => {
    if (op.op === 'insert' || op.op === 'replace' || op.op === 'delete' || op.op === 'createIndexes')
      refuseView(store, op.ns);
    apply(op);
  };
}
