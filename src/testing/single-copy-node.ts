/**
 * A server whose deployment keeps one copy of the data: a mongos router (all routers of a
 * simulated sharded cluster share one store, as if behind them sat one shard) or a standalone
 * mongod. Answers hello (awaitable), the basic commands and CRUD.
 */
import type { Document } from 'bson';
import { basicCommand, rejectTransactions } from './basic-commands.js';
import { changeStreamCommand, type ChangeStreamNode } from './change-streams.js';
import type { ClusterClock } from './cluster-clock.js';
import { CursorRegistry } from './cursor-registry.js';
import { crudCommand, WRITE_COMMANDS, type ApplyOp, type DataNode } from './crud-commands.js';
import { DocumentStore, type StoreOp } from './document-store.js';
import { isHelloCommand } from './faults.js';
import { previousReply, retryableWriteOf, withPreImage, type OplogEntry, type TxnTable } from './oplog.js';
import { ProgressSignal } from './progress-signal.js';
import type { QueryEngine } from './query-engine.js';
import { commonHelloFields, helloLimits } from './server-constants.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import type { TimerRegistry } from './timer-registry.js';
import { awaitTopologyChange, TopologyVersionClock } from './topology-version-clock.js';
import type { WireRequest, WireRequestHandler, WireServer } from './wire-server.js';

/**
 * The one copy of the data, the retryable-write records and, behind mongos routers, the oplog that
 * change streams read, shared by a deployment's servers.
 */
export class SharedData {
  readonly store = new DocumentStore();
  readonly txns: TxnTable = new Map();
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
  startedAt = Date.now();
  server: WireServer | null = null;
  #lastOpTime: ReturnType<ClusterClock['tick']> | null = null;

  constructor(
    readonly kind: 'mongos' | 'standalone',
    private readonly data: SharedData,
    private readonly engine: QueryEngine,
    private readonly timers: TimerRegistry,
  ) {}

  /** The process restarted: new processId, no cursors. */
  restarted(): void {
    this.clock.restart();
    this.cursors.clear();
    this.startedAt = Date.now();
  }

  async handle(request: WireRequest): Promise<Document> {
    await request.latency();
    let reply: Document;
    try {
      reply = await this.#dispatch(request);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      const retryableWrite =
        WRITE_COMMANDS.has(request.commandName) && retryableWriteOf(request.command) !== null;
      reply = error.toReply({ retryableWrite: this.kind === 'mongos' && retryableWrite });
    }
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
      return { ...reply, ...helloLimits(request.connectionId), ok: 1 };
    }
    rejectTransactions(request);
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
    const stream = changeStreamCommand(this.#changeStreamNode(), request);
    if (stream) return stream;
    const node: DataNode = {
      engine: this.engine,
      cursors: this.cursors,
      readableStore: () => this.data.store,
      write: (req, execute) => Promise.resolve(this.#write(req, execute)),
    };
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
    };
  }

  #write(request: WireRequest, execute: (store: DocumentStore, apply: ApplyOp) => Document): Document {
    const retryable = retryableWriteOf(request.command);
    if (retryable && this.kind === 'standalone') {
      throw new CommandError(
        ServerErrorCode.IllegalOperation,
        'Transaction numbers are only allowed on a replica set member or mongos',
      );
    }
    if (retryable) {
      const previous = previousReply(this.data.txns, retryable);
      if (previous) return previous;
    }
    const { store, clock, oplog } = this.data;
    const ops: StoreOp[] = [];
    let reply: Document;
    try {
      reply = execute(store, (op) => {
        if (clock) ops.push(withPreImage(store, op));
        store.apply(op);
      });
    } finally {
      if (clock) {
        this.#lastOpTime = clock.tick();
        if (ops.length > 0) {
          oplog.push({ ts: this.#lastOpTime, term: 1, wall: new Date(), ops, txn: null });
          this.data.progress.notify();
        }
      }
    }
    if (retryable) this.data.txns.set(retryable.sessionKey, { txnNumber: retryable.txnNumber, reply });
    return reply;
  }
}
