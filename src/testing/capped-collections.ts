/**
 * Capped collections (`create` with `capped`, `size`, `max`): inserts beyond `max` documents or
 * `size` bytes remove the oldest documents (natural order), as delete ops of the same write so
 * secondaries remove the same ones; and `$collStats`' storage and count figures, which is where a
 * client reads a collection's cappedness and size.
 */
import { calculateObjectSize, type Document } from 'bson';
import type { ApplyOp } from './data-node.js';
import { namespaceString, type DocumentStore, type Namespace } from './document-store.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';

/** mongod's smallest capped size, and the unit it rounds sizes up to. */
const MIN_CAPPED_SIZE = 4096;
const CAPPED_SIZE_UNIT = 256;

function positiveNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new CommandError(ServerErrorCode.BadValue, `'${field}' must be a non-negative number`);
  return value;
}

/**
 * The collection options of a create command's `capped`, `size` and `max` (`{}` when not capped).
 * @throws CommandError as mongod for a capped collection without a size.
 */
export function cappedOptions(command: Document): Document {
  if (command['capped'] !== true) return {};
  if (command['size'] === undefined)
    throw new CommandError(
      ServerErrorCode.InvalidOptions,
      "the 'size' field is required when 'capped' is true",
    );
  const requested = positiveNumber(command['size'], 'size');
  const size = Math.max(MIN_CAPPED_SIZE, Math.ceil(requested / CAPPED_SIZE_UNIT) * CAPPED_SIZE_UNIT);
  const options: Document = { capped: true, size };
  if (command['max'] !== undefined && command['max'] !== 0)
    options['max'] = positiveNumber(command['max'], 'max');
  return options;
}

function dataSize(documents: readonly Document[]): number {
  return documents.reduce((sum, document) => sum + calculateObjectSize(document), 0);
}

/** An ApplyOp that, after an insert into a capped collection, removes its oldest documents over the caps. */
export function cappedApply(store: DocumentStore, apply: ApplyOp): ApplyOp {
  return (op) => {
    apply(op);
    if (op.op !== 'insert') return;
    const options = store.collectionOptions(op.ns);
    if (options['capped'] !== true) return;
    const max = typeof options['max'] === 'number' ? options['max'] : Infinity;
    const size = typeof options['size'] === 'number' ? options['size'] : Infinity;
    const documents = store.documents(op.ns);
    let total = dataSize(documents);
    let count = documents.length;
    for (const oldest of documents) {
      if (count <= max && total <= size) break;
      if (oldest === op.document) break;
      apply({ op: 'delete', ns: op.ns, id: oldest['_id'] });
      total -= calculateObjectSize(oldest);
      count--;
    }
  };
}

/** The `$collStats` stage's one document for `ns` (`storageStats` and `count` sections). */
export function collStats(store: DocumentStore, ns: Namespace, spec: unknown, now: number): Document {
  if (!isPlainDocument(spec))
    throw new CommandError(ServerErrorCode.FailedToParse, '$collStats must take a nested object');
  if (!store.hasCollection(ns))
    throw new CommandError(
      ServerErrorCode.NamespaceNotFound,
      `Unable to retrieve storageStats in $collStats stage :: caused by :: Collection [${namespaceString(ns)}] not found.`,
    );
  const documents = store.documents(ns);
  const options = store.collectionOptions(ns);
  const stats: Document = { ns: namespaceString(ns), localTime: new Date(now) };
  for (const section of Object.keys(spec)) {
    if (section === 'storageStats') {
      const size = dataSize(documents);
      const indexes = store.indexes(ns);
      stats['storageStats'] = {
        size,
        count: documents.length,
        avgObjSize: documents.length === 0 ? 0 : Math.floor(size / documents.length),
        storageSize: size,
        capped: options['capped'] === true,
        ...(options['capped'] === true ? { maxSize: options['size'] as unknown } : {}),
        ...(typeof options['max'] === 'number' ? { max: options['max'] } : {}),
        nindexes: indexes.length,
        totalIndexSize: 0,
        indexSizes: Object.fromEntries(indexes.map((index) => [String(index['name']), 0])),
      };
    } else if (section === 'count') stats['count'] = documents.length;
    else
      throw new CommandError(
        ServerErrorCode.NotImplemented,
        `the simulator does not support $collStats' '${section}'`,
      );
  }
  return stats;
}
