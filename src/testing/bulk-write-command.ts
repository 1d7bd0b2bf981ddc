/**
 * The admin `bulkWrite` command of MongoDB 8.0 (the driver's `client.bulkWrite`): inserts, updates
 * and deletes across namespaces (`ops` naming an entry of `nsInfo`), ordered or not, answered with
 * a cursor of per-operation results (only the errors with `errorsOnly`) and summary counts. It runs
 * as one write through the node's write path, statement by statement like update and delete.
 */
import { Long, type Document } from 'bson';
import { arrayArg, parseNamespace, requireAdmin } from './command-args.js';
import { prepareInsert, writeErrorOf, type CrudHandler, type DataNode } from './data-node.js';
import type { Namespace } from './document-store.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import type { WireRequest } from './wire-server.js';
import { runDeleteStatement, runUpdateStatement } from './write-statements.js';

const KINDS = ['insert', 'update', 'delete'] as const;

function namespaces(command: Document): Namespace[] {
  return arrayArg(command, 'nsInfo').map((entry) => {
    return parseNamespace(isPlainDocument(entry) ? entry['ns'] : undefined, 'nsInfo.ns');
  });
}

function bulkWriteCommand(node: DataNode, request: WireRequest): Promise<Document> {
  requireAdmin(request);
  const command = request.command;
  const nsInfo = namespaces(command);
  const ops = arrayArg(command, 'ops');
  if (ops.length === 0) throw new CommandError(ServerErrorCode.BadValue, "'ops' is empty");
  const ordered = command['ordered'] !== false;
  const errorsOnly = command['errorsOnly'] === true;
  return node.write(request, (store, apply) => {
    const counts = { nErrors: 0, nInserted: 0, nMatched: 0, nModified: 0, nUpserted: 0, nDeleted: 0 };
    const results: Document[] = [];
    for (const [idx, op] of ops.entries()) {
      try {
        if (!isPlainDocument(op))
          throw new CommandError(ServerErrorCode.TypeMismatch, 'each op must be a document');
        const kind = KINDS.find((name) => name in op);
        const nsIndex: unknown = kind ? op[kind] : undefined;
        if (kind === undefined || typeof nsIndex !== 'number' || !Number.isInteger(nsIndex))
          throw new CommandError(
            ServerErrorCode.FailedToParse,
            `BulkWrite ops entry ${idx} names no insert, update or delete`,
          );
        const ns = nsInfo[nsIndex];
        if (!ns)
          throw new CommandError(
            ServerErrorCode.BadValue,
            `BulkWrite ops entry ${idx} has an invalid nsInfo index.`,
          );
        if (kind === 'insert') {
          apply({ op: 'insert', ns, document: prepareInsert(op['document']) });
          counts.nInserted++;
          if (!errorsOnly) results.push({ ok: 1, idx, n: 1 });
        } else if (kind === 'update') {
          const outcome = runUpdateStatement(node, request, store, apply, ns, op);
          counts.nMatched += outcome.matched;
          counts.nModified += outcome.modified;
          const upserted = 'upserted' in outcome;
          if (upserted) counts.nUpserted++;
          if (!errorsOnly)
            results.push({
              ok: 1,
              idx,
              n: outcome.matched + (upserted ? 1 : 0),
              nModified: outcome.modified,
              ...(upserted ? { upserted: { _id: outcome.upserted } } : {}),
            });
        } else {
          const n = runDeleteStatement(node, request, store, apply, ns, op, op['multi'] === true);
          counts.nDeleted += n;
          if (!errorsOnly) results.push({ ok: 1, idx, n });
        }
      } catch (error) {
        const { index: _index, ...writeError } = writeErrorOf(idx, error);
        results.push({ ok: 0, idx, ...writeError });
        counts.nErrors++;
        if (ordered) break;
      }
    }
    return {
      cursor: { id: Long.fromNumber(0), firstBatch: results, ns: 'admin.$cmd.bulkWrite' },
      ...counts,
      ok: 1,
    };
  });
}

export const bulkWriteCommands: Readonly<Record<string, CrudHandler>> = { bulkWrite: bulkWriteCommand };
