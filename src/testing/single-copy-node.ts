/**
 * A server whose deployment keeps one copy of the data: a mongos router (all routers of a
 * simulated sharded cluster share one store, as if behind them sat one shard) or a standalone
 * mongod. Answers hello (awaitable), the basic commands and CRUD.
 */
import type { Document } from 'bson';
import { basicCommand } from './basic-commands.js';
import { changeStreamCommand, type ChangeStreamNode } from './change-streams.js';
import type { ClusterClock } from './cluster-clock.js';
import { CursorRegistry } from './cursor-registry.js';
import { crudCommand, type ApplyOp, type DataNode } from './crud-commands.js';
import { DocumentStore } from './document-store.js';
import { withErrorLabels } from './error-labels.js';
import { isHelloCommand } from './faults.js';
import {
  committedTransactionFields,
  previousReply,
  retryableWriteOf,
  sessionKeyOf,
  txnNumberOf,
  withPreImage,
  type OplogEntry,
  type TxnTable,
} from './oplog.js';
import { ProgressSignal } from './progress-signal.js';
import type { QueryEngine } from './query-engine.js';
import { commonHelloFields, helloLimits } from './server-constants.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import type { TimerRegistry } from './timer-registry.js';
import { awaitTopologyChange, TopologyVersionClock } from './topology-version-clock.js';
import {
  sessionCommand,
  TransactionCatalog,
  transactionCommand,
  withRecoveryToken,
  writeOutsideTransactions,
} from './transactions.js';
import type { WireRequest, WireRequestHandler, WireServer } from './wire-server.js';

/**
 * The one copy of the data, the retryable-write records, open transactions and, behind mongos
 * routers, the oplog that change streams read, shared by a deployment's servers.
 */
export class SharedData {
  readonly store = new DocumentStore();
  readonly txns: TxnTable = new Map();
  /**
   * Open transactions. Behind simulated routers they stand for the shard's and the router's state
   * at once: each belongs to the router it started on, which alone can continue or commit it.
   */
  readonly transactions = new TransactionCatalog(() => this.store);
  /** Every write's ops (mongos only: a standalone has no oplog). */
  readonly oplog: OplogEntry[] = [];
  readonly progress: ProgressSignal;
  /** Timestamps of writes (mongos replies' operationTime); null for a standalone. */
  constructor(
    readonly clock: ClusterClock | null,
    timers: TimerRegistry,
  ) {
    this.progress = new ProgressSignal(timers);
  }
}

export class SingleCopyNode implements WireRequestHandler {
  readonly clock = new TopologyVersionClock();
  readonly cursors = new CursorRegistry();
  /** When the process (re)started, on the deployment's clock (ms since the epoch). */
  startedAt: number;
  server: WireServer | null = null;
  #lastOpTime: ReturnType<ClusterClock['tick']> | null = null;

  constructor(
    readonly kind: 'mongos' | 'standalone',
    private readonly data: SharedData,
    private readonly engine: QueryEngine,
    private readonly timers: TimerRegistry,
  ) {
    this.startedAt = timers.now();
  }

  /** The process restarted: new processId, no cursors, its transactions aborted. */
  restarted(): void {
    this.killed();
    this.clock.restart();
    this.cursors.clear();
    this.startedAt = this.timers.now();
  }

  /** The process died: the transactions it (as a router) held are aborted. */
  killed(): void {
    this.cursors.clear();
    if (this.kind === 'standalone') this.data.transactions.abortAll();
    else this.data.transactions.abortOwnedBy(this.server?.address ?? '');
  }

  async handle(request: WireRequest): Promise<Document> {
    await request.latency();
    let reply: Document;
    try {
      reply = await this.#dispatch(request);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      return this.errorReply(request, error);
    }
    return this.#withClusterTime(withErrorLabels(request.commandName, request.command, reply));
  }

  /** An error reply as this server shapes it: labels and cluster time. */
  errorReply(request: WireRequest, error: CommandError): Document {
    return this.#withClusterTime(withErrorLabels(request.commandName, request.command, error.toReply()));
  }

  #withClusterTime(reply: Document): Document {
    const clock = this.data.clock;
    if (!clock) return reply;
    return {
      ...reply,
      $clusterTime: clock.clusterTimeDocument(),
      operationTime: this.#lastOpTime ?? clock.current(),
    };
  }

  async #dispatch(request: WireRequest): Promise<Document> {
    const name = request.commandName;
    if (isHelloCommand(name)) {
      await awaitTopologyChange(this.clock, request, this.timers);
      const reply = commonHelloFields(request, true, this.clock.toDocument());
      if (this.kind === 'mongos') reply['msg'] = 'isdbgrid';
      return { ...reply, ...helloLimits(request.connectionId, request.now()), ok: 1 };
    }
    const sessions = sessionCommand(this.data.transactions, request);
    if (sessions) return sessions;
    const basic = basicCommand(request, {
      process: this.kind === 'mongos' ? 'mongos' : 'mongod',
      address: this.server?.address ?? '',
      startedAt: this.startedAt,
      connections: this.server?.connectionCount ?? 0,
    });
    if (basic) return basic;
    if (name.startsWith('replSet')) {
      if (this.kind === 'standalone')
        throw new CommandError(ServerErrorCode.NoReplicationEnabled, 'not running with --replSet');
      throw new CommandError(ServerErrorCode.CommandNotFound, `no such cmd: ${name}`);
    }
    const node: DataNode = {
      engine: this.engine,
      cursors: this.cursors,
      readableStore: () => this.data.store,
      write: (req, execute) => this.#write(req, execute),
    };
    const transaction = transactionCommand(
      {
        catalog: this.data.transactions,
        records: this.data.txns,
        engine: this.engine,
        cursors: this.cursors,
        node,
        ...(this.server ? { owner: this.server.address } : {}),
        assertCanRun: () => this.#assertSessionsAllowed(),
        awaitWriteConcern: () => Promise.resolve(null),
      },
      request,
    );
    if (transaction) return this.#routed(await transaction);
    const stream = changeStreamCommand(this.#changeStreamNode(), request);
    if (stream) return stream;
    const crud = crudCommand(node, request);
    if (crud) return crud;
    throw new CommandError(ServerErrorCode.CommandNotFound, `no such command: '${name}'`);
  }

  #changeStreamNode(): ChangeStreamNode {
    const data = this.data;
    return {
      kind: this.kind,
      engine: this.engine,
      cursors: this.cursors,
      progress: data.progress,
      oplog: data.oplog,
      visibleCount: () => data.oplog.length,
      appliedCount: () => data.oplog.length,
      readableStore: () => data.store,
      store: () => data.store,
      ...(this.server ? { failPoints: this.server.failPoints } : {}),
    };
  }

  #assertSessionsAllowed(): void {
    if (this.kind === 'standalone') {
      throw new CommandError(
        ServerErrorCode.IllegalOperation,
        'Transaction numbers are only allowed on a replica set member or mongos',
      );
    }
  }

  /** A reply of a router to a transaction's command carries the recovery token drivers send back. */
  #routed(reply: Document): Document {
    return this.kind === 'mongos' ? withRecoveryToken(reply, 'shard0') : reply;
  }

  async #write(
    request: WireRequest,
    execute: (store: DocumentStore, apply: ApplyOp) => Document,
  ): Promise<Document> {
    const retryable = retryableWriteOf(request.command);
    if (retryable) {
      this.#assertSessionsAllowed();
      const previous = previousReply(this.data.txns, retryable);
      if (previous) return previous;
    }
    const result = await writeOutsideTransactions(
      this.data.transactions,
      request,
      this.timers,
      () => this.data.store,
      // The oplog records what each replace and delete replaced (change streams' pre-images).
      (store, apply) => execute(store, (op) => apply(withPreImage(store, op))),
    );
    const { clock, oplog } = this.data;
    if (clock && result.ops.length > 0) {
      this.#lastOpTime = clock.tick();
      const committed =
        result.ok && request.commandName === 'commitTransaction'
          ? committedTransactionFields(request.command, result.reply)
          : { txn: null };
      oplog.push({
        ts: this.#lastOpTime,
        term: 1,
        wall: new Date(this.timers.now()),
        ops: result.ops,
        ...committed,
      });
      this.data.progress.notify();
    }
    if (!result.ok) throw result.error;
    const reply = result.reply;
    if (retryable) this.data.txns.set(retryable.sessionKey, { txnNumber: retryable.txnNumber, reply });
    if (request.commandName === 'commitTransaction') {
      const sessionKey = sessionKeyOf(request.command);
      const txnNumber = txnNumberOf(request.command);
      if (sessionKey !== null && txnNumber !== null)
        this.data.txns.set(sessionKey, { txnNumber, reply, committedTransaction: true });
    }
    return reply;
  }
}
