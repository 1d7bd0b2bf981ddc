/**
 * Command routing of one replica-set member: hello, the replSet* commands, then CRUD through the
 * member's store, with the write path (NotWritablePrimary / InterruptedDueToReplStateChange,
 * retryable-write replays, write concern). Every reply gossips `$clusterTime` and `operationTime`.
 */
import type { Document } from 'bson';
import { basicCommand } from './basic-commands.js';
import { changeStreamCommand, type ChangeStreamNode } from './change-streams.js';
import { crudCommand, isCrudCommand, type ApplyOp, type DataNode } from './crud-commands.js';
import type { DocumentStore } from './document-store.js';
import { withErrorLabels } from './error-labels.js';
import { isHelloCommand } from './faults.js';
import { committedTransactionFields, previousReply, retryableWriteOf, withPreImage } from './oplog.js';
import { type QueryEngine } from './query-engine.js';
import { isPlainDocument } from './plain-document.js';
import type { ReplicaSetElections } from './replica-set-elections.js';
import {
  memberHello,
  replicaSetConfig,
  replicaSetStatus,
  type ReplicaSetMember,
  type ReplicaSetView,
} from './replica-set-member.js';
import type { ReplicaSetReplication } from './replica-set-replication.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import type { TimerRegistry } from './timer-registry.js';
import { awaitTopologyChange } from './topology-version-clock.js';
import { sessionCommand, transactionCommand, writeOutsideTransactions } from './transactions.js';
import type { WireRequest } from './wire-server.js';

/** What a member's commands reach in its set. */
export interface MemberCommandContext {
  readonly engine: QueryEngine;
  readonly timers: TimerRegistry;
  readonly replication: ReplicaSetReplication;
  readonly elections: ReplicaSetElections;
  /** What the member's replies say about the set. */
  view(): ReplicaSetView;
}

/**
 * Errors whose reply carries the member's topologyVersion: mongod's NotPrimaryError category.
 * (Shutdown errors carry it only in quiesce mode, which the simulator does not have.)
 */
const NOT_PRIMARY_CODES: ReadonlySet<number> = new Set([
  ServerErrorCode.NotWritablePrimary,
  ServerErrorCode.NotPrimaryNoSecondaryOk,
  ServerErrorCode.NotPrimaryOrSecondary,
  ServerErrorCode.InterruptedDueToReplStateChange,
  ServerErrorCode.PrimarySteppedDown,
]);

/** Runs one request on `member` and returns its reply (errors become error replies). */
export async function handleMemberRequest(
  set: MemberCommandContext,
  member: ReplicaSetMember,
  request: WireRequest,
): Promise<Document> {
  const receivedEpoch = member.roleEpoch;
  const receivedAsPrimary = member.role === 'PRIMARY';
  await request.latency();
  let reply: Document;
  try {
    reply = await dispatch(set, member, request, receivedEpoch, receivedAsPrimary);
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    return memberErrorReply(set, member, request, error);
  }
  return withClusterTime(set, member, withErrorLabels(request.commandName, request.command, reply));
}

/**
 * An error reply as mongod shapes it: labels, the topologyVersion of a not-primary error, cluster
 * time. Also the reply to an error a fail point raises before dispatch.
 */
export function memberErrorReply(
  set: MemberCommandContext,
  member: ReplicaSetMember,
  request: WireRequest,
  error: CommandError,
): Document {
  const reply = error.toReply();
  if (NOT_PRIMARY_CODES.has(error.code)) reply['topologyVersion'] = member.clock.toDocument();
  return withClusterTime(set, member, withErrorLabels(request.commandName, request.command, reply));
}

function withClusterTime(set: MemberCommandContext, member: ReplicaSetMember, reply: Document): Document {
  if (member.role === 'REMOVED') return reply;
  const clock = set.replication.clusterClock;
  return {
    ...reply,
    $clusterTime: clock.clusterTimeDocument(),
    operationTime: member.lastOpTime?.ts ?? clock.current(),
  };
}

async function dispatch(
  set: MemberCommandContext,
  member: ReplicaSetMember,
  request: WireRequest,
  receivedEpoch: number,
  receivedAsPrimary: boolean,
): Promise<Document> {
  const name = request.commandName;
  if (isHelloCommand(name)) {
    await awaitTopologyChange(member.clock, request, set.timers);
    return memberHello(member, set.view(), request);
  }
  const sessions = sessionCommand(member.transactions, request);
  if (sessions) return sessions;
  const basic = basicCommand(request, {
    process: 'mongod',
    address: member.address,
    startedAt: member.startedAt,
    connections: member.server.connectionCount,
  });
  if (basic) return basic;
  switch (name) {
    case 'replSetGetStatus':
      if (member.role === 'REMOVED')
        throw new CommandError(94, 'Our replica set config is invalid or we are not a member of it');
      return replicaSetStatus(member, set.view(), request.now());
    case 'replSetGetConfig':
      return { config: replicaSetConfig(set.view()), ok: 1 };
    case 'replSetStepDown':
      return stepDownCommand(set.elections, member, request);
    case 'replSetFreeze':
      return freezeCommand(member, request);
  }
  if ((member.role === 'REMOVED' || member.role === 'ARBITER') && isCrudCommand(name)) {
    throw new CommandError(
      ServerErrorCode.NotPrimaryOrSecondary,
      'node is not in primary or recovering state',
    );
  }
  const node: DataNode = {
    engine: set.engine,
    cursors: member.cursors,
    readableStore: (req) => readableStore(member, req),
    write: (req, execute) => write(set, member, req, receivedEpoch, receivedAsPrimary, execute),
    writeViaPrimary: (req, execute) => {
      const primary = set.elections.primary;
      if (primary === member || !primary) return node.write(req, execute);
      return write(set, primary, req, primary.roleEpoch, true, execute);
    },
  };
  const transaction = transactionCommand(
    {
      catalog: member.transactions,
      records: member.txns,
      engine: set.engine,
      cursors: member.cursors,
      node,
      assertCanRun: () => assertWritablePrimary(member, receivedEpoch, receivedAsPrimary),
      awaitWriteConcern: () =>
        set.replication.awaitWriteConcern(member, request, receivedEpoch, member.applied),
    },
    request,
  );
  if (transaction) return transaction;
  const stream = changeStreamCommand(changeStreamNode(set, member), request);
  if (stream) return stream;
  const crud = crudCommand(node, request);
  if (crud) return crud;
  throw new CommandError(ServerErrorCode.CommandNotFound, `no such command: '${name}'`);
}

/**
 * `replSetFreeze: 0` (unfreeze) succeeds on a member that is not primary, as on mongod; nothing is
 * ever frozen, since a freeze for a positive number of seconds is not simulated.
 */
function freezeCommand(member: ReplicaSetMember, request: WireRequest): Document {
  const seconds: unknown = request.command['replSetFreeze'];
  if (typeof seconds !== 'number' || !Number.isFinite(seconds))
    throw new CommandError(ServerErrorCode.TypeMismatch, "'replSetFreeze' must be a number of seconds");
  if (member.role === 'PRIMARY') {
    throw new CommandError(
      ServerErrorCode.NotSecondary,
      'cannot freeze node when primary or running for election. state: Primary',
    );
  }
  if (seconds > 0) {
    throw new CommandError(
      ServerErrorCode.NotImplemented,
      'the simulator does not support replSetFreeze for a positive number of seconds (use priorities, reconfigure() or elect())',
    );
  }
  return { info: 'unfreezing', ok: 1 };
}

/** The member as change streams see it: the oplog it applied, up to the majority-committed point. */
function changeStreamNode(set: MemberCommandContext, member: ReplicaSetMember): ChangeStreamNode {
  const replication = set.replication;
  return {
    kind: 'replica-set member',
    engine: set.engine,
    cursors: member.cursors,
    progress: replication.progress,
    oplog: replication.oplog,
    // A member that must resync holds a history the oplog no longer has: it shows nothing new.
    visibleCount: () => (member.needsResync ? 0 : Math.min(member.applied, replication.majorityCount())),
    appliedCount: () => member.applied,
    readableStore: (request) => readableStore(member, request),
    store: () => member.store,
    failPoints: member.server.failPoints,
  };
}

function stepDownCommand(
  elections: ReplicaSetElections,
  member: ReplicaSetMember,
  request: WireRequest,
): Document {
  if (member !== elections.primary)
    throw new CommandError(ServerErrorCode.NotWritablePrimary, "not primary so can't step down");
  try {
    elections.assertSuccessorExists(member);
  } catch (error) {
    if (request.command['force'] !== true) {
      throw new CommandError(
        ServerErrorCode.ExceededTimeLimit,
        error instanceof Error ? error.message : String(error),
      );
    }
  }
  elections.stepDown(member);
  return { ok: 1 };
}

function readableStore(member: ReplicaSetMember, request: WireRequest): DocumentStore {
  if (member.role === 'PRIMARY') return member.store;
  if (member.role === 'SECONDARY') {
    const readPreference: unknown = request.command['$readPreference'];
    const mode = isPlainDocument(readPreference) ? readPreference['mode'] : undefined;
    if (typeof mode === 'string' && mode !== 'primary') return member.store;
    throw new CommandError(ServerErrorCode.NotPrimaryNoSecondaryOk, 'not primary and secondaryOk=false');
  }
  throw new CommandError(ServerErrorCode.NotPrimaryOrSecondary, 'node is not in primary or recovering state');
}

function assertWritablePrimary(
  member: ReplicaSetMember,
  receivedEpoch: number,
  receivedAsPrimary: boolean,
): void {
  if (member.role !== 'PRIMARY' || member.roleEpoch !== receivedEpoch) {
    if (receivedAsPrimary) {
      throw new CommandError(
        ServerErrorCode.InterruptedDueToReplStateChange,
        'operation was interrupted because a replica set state change occurred',
      );
    }
    throw new CommandError(ServerErrorCode.NotWritablePrimary, 'not primary');
  }
}

/**
 * The write path: a plain write (waiting for open transactions holding what it touches), a
 * retryable write (replayed from its record), or a transaction's commit (one oplog entry).
 */
async function write(
  set: MemberCommandContext,
  member: ReplicaSetMember,
  request: WireRequest,
  receivedEpoch: number,
  receivedAsPrimary: boolean,
  execute: (store: DocumentStore, apply: ApplyOp) => Document,
): Promise<Document> {
  assertWritablePrimary(member, receivedEpoch, receivedAsPrimary);
  const replication = set.replication;
  const retryable = retryableWriteOf(request.command);
  if (retryable) {
    const previous = previousReply(member.txns, retryable);
    if (previous) return previous;
  }
  const inTransaction = request.command['autocommit'] !== undefined;
  const failure = retryable && !inTransaction ? member.server.failPoints.onPrimaryTransactionalWrite() : null;
  failure?.beforeCommit();
  const result = await writeOutsideTransactions(
    member.transactions,
    request,
    set.timers,
    () => {
      assertWritablePrimary(member, receivedEpoch, receivedAsPrimary);
      return member.store;
    },
    // The oplog records what each replace and delete replaced (change streams' pre-images).
    (store, apply) => execute(store, (op) => apply(withPreImage(store, op))),
  );
  if (!result.ok) {
    if (result.ops.length > 0) replication.append(member, result.ops, null);
    throw result.error;
  }
  const { reply, ops } = result;
  if (request.commandName === 'commitTransaction') {
    if (ops.length > 0) {
      const { txn, transaction } = committedTransactionFields(request.command, reply);
      replication.append(member, ops, txn, transaction);
    }
  } else if (ops.length > 0 || retryable) {
    replication.append(member, ops, retryable ? { ...retryable, reply } : null);
  }
  failure?.afterCommit();
  const writeConcernError = await replication.awaitWriteConcern(
    member,
    request,
    receivedEpoch,
    member.applied,
  );
  return writeConcernError ? { ...reply, writeConcernError } : reply;
}
