/**
 * Replication in a simulated replica set: the one global oplog, how each secondary applies it
 * (`lagMS` after the primary wrote it), the majority point, write-concern waits, and the
 * truncation an election performs when it rolls back entries no reachable member holds.
 */
import type { Document } from 'bson';
import { ClusterClock } from './cluster-clock.js';
import type { StoreOp } from './document-store.js';
import type { OplogEntry } from './oplog.js';
import { isPlainDocument } from './plain-document.js';
import type { OpTime, ReplicaSetMember } from './replica-set-member.js';
import { ServerErrorCode } from './server-errors.js';
import type { ReplicationEvent } from './simulated-deployment.js';
import { ProgressSignal } from './progress-signal.js';
import type { TimerRegistry } from './timer-registry.js';
import type { WireRequest } from './wire-server.js';

/** What replication needs to know about the set it runs in. */
export interface ReplicationHost {
  readonly timers: TimerRegistry;
  /** The members in the config (not removed ones). */
  members(): readonly ReplicaSetMember[];
  primary(): ReplicaSetMember | null;
  term(): number;
  /** A secondary applied entries. */
  replicated(event: ReplicationEvent): void;
}

export class ReplicaSetReplication {
  /** The set's oplog; `member.applied` counts its applied prefix. */
  readonly oplog: OplogEntry[] = [];
  readonly clusterClock: ClusterClock;
  /** Notified when the oplog grows, a secondary applies entries or a role changes. */
  readonly progress: ProgressSignal;
  #host: ReplicationHost;

  constructor(host: ReplicationHost) {
    this.#host = host;
    this.clusterClock = new ClusterClock(() => host.timers.now());
    this.progress = new ProgressSignal(host.timers);
  }

  /** The set's first oplog entry (replSetInitiate), applied by every data-bearing member. */
  initiate(): void {
    const initiate: OplogEntry = {
      ts: this.clusterClock.tick(),
      term: 0,
      wall: new Date(this.#host.timers.now()),
      ops: [],
      txn: null,
    };
    this.oplog.push(initiate);
    for (const member of this.#host.members()) if (member.dataBearing) member.applyEntry(initiate);
  }

  /**
   * Appends an entry written on `primary` (whose store already has the ops) and replicates it;
   * `transaction` marks a committed transaction's entry (see oplog.ts).
   */
  append(
    primary: ReplicaSetMember,
    ops: readonly StoreOp[],
    txn: OplogEntry['txn'],
    transaction?: OplogEntry['transaction'],
  ): OplogEntry {
    const entry: OplogEntry = {
      ts: this.clusterClock.tick(),
      term: this.#host.term(),
      wall: new Date(this.#host.timers.now()),
      ops,
      txn,
      ...(transaction ? { transaction } : {}),
    };
    this.oplog.push(entry);
    primary.applyEntry(entry, true);
    for (const member of this.#host.members()) if (member !== primary) this.replicate(member);
    this.notifyProgress();
    return entry;
  }

  /** Applies what is due on one secondary and schedules the rest. */
  replicate(member: ReplicaSetMember): void {
    member.stopReplication();
    if (
      member === this.#host.primary() ||
      !member.dataBearing ||
      !member.reachable ||
      member.role === 'REMOVED'
    )
      return;
    const timers = this.#host.timers;
    if (timers.closed || member.needsResync) return;
    const now = timers.now();
    let appliedAny = false;
    while (member.applied < this.oplog.length) {
      const entry = this.oplog[member.applied];
      if (!entry) break;
      const due = entry.wall.getTime() + member.lagMS;
      if (due > now) {
        member.cancelReplication = timers.setTimeout(() => {
          member.cancelReplication = null;
          this.replicate(member);
        }, due - now);
        break;
      }
      member.applyEntry(entry);
      appliedAny = true;
    }
    if (appliedAny && member.lastWriteDate) {
      this.notifyProgress();
      this.#host.replicated({
        address: member.address,
        applied: member.applied,
        lastWriteDate: member.lastWriteDate,
      });
    }
  }

  /** Brings `member` up to the first `count` entries at once (an election winner's catch-up). */
  catchUp(member: ReplicaSetMember, count: number): void {
    while (member.applied < count) {
      const entry = this.oplog[member.applied];
      if (!entry) break;
      member.applyEntry(entry);
    }
  }

  /**
   * Drops the entries after the first `length` (a rollback); members that applied them must resync
   * before they serve data again.
   */
  truncate(length: number, members: readonly ReplicaSetMember[]): void {
    if (this.oplog.length <= length) return;
    this.oplog.length = length;
    for (const member of members) {
      if (member.applied > length) {
        member.needsResync = true;
        member.stopReplication();
      }
    }
  }

  /**
   * How many oplog entries a majority of votes' data-bearing members has applied (majority-committed).
   * A member that must resync holds a history the oplog no longer has: it counts for nothing.
   */
  majorityCount(): number {
    const needed = Math.floor(this.totalVotes() / 2) + 1;
    const applied = this.#host
      .members()
      .filter((m) => m.dataBearing && m.config.votes === 1 && !m.needsResync)
      .map((m) => m.applied)
      .sort((a, b) => b - a);
    return Math.min(applied[needed - 1] ?? 0, this.oplog.length);
  }

  /** The newest entry a majority of votes' data-bearing members has applied. */
  majorityPoint(): { opTime: OpTime; wall: Date } | null {
    const count = this.majorityCount();
    if (count === 0) return null;
    const entry = this.oplog[count - 1];
    return entry ? { opTime: { ts: entry.ts, t: entry.term }, wall: entry.wall } : null;
  }

  totalVotes(): number {
    return this.#host.members().reduce((sum, m) => sum + m.config.votes, 0);
  }

  /** Wakes every write-concern wait and awaiting change stream (replication progressed, or a role changed). */
  notifyProgress(): void {
    this.progress.notify();
  }

  /** Waits for the request's write concern; returns a writeConcernError document, or null when satisfied. */
  async awaitWriteConcern(
    primary: ReplicaSetMember,
    request: WireRequest,
    epoch: number,
    index: number,
  ): Promise<Document | null> {
    const concern = request.command['writeConcern'];
    if (!isPlainDocument(concern)) return null;
    const w: unknown = concern['w'];
    const timeout = concern['wtimeout'] ?? concern['wtimeoutMS'];
    const deadline = typeof timeout === 'number' && timeout > 0 ? this.#host.timers.now() + timeout : null;
    const members = this.#host.members();
    let needed: number;
    let voters: boolean;
    if (w === 'majority') {
      needed = Math.floor(this.totalVotes() / 2) + 1;
      voters = true;
    } else if (typeof w === 'number') {
      if (w <= 1) return null;
      needed = w;
      voters = false;
      if (w > members.filter((m) => m.dataBearing).length) {
        return { code: 100, codeName: 'UnsatisfiableWriteConcern', errmsg: 'Not enough data-bearing nodes' };
      }
    } else if (w === undefined || w === null) {
      return null;
    } else {
      return {
        code: 79,
        codeName: 'UnknownReplWriteConcern',
        errmsg: `the simulator does not support w: ${JSON.stringify(w)}`,
      };
    }
    for (;;) {
      const acknowledged = this.#host
        .members()
        .filter(
          (m) => m.dataBearing && !m.needsResync && (!voters || m.config.votes === 1) && m.applied >= index,
        ).length;
      if (acknowledged >= needed) return null;
      if (primary.role !== 'PRIMARY' || primary.roleEpoch !== epoch) {
        return {
          code: ServerErrorCode.PrimarySteppedDown,
          codeName: 'PrimarySteppedDown',
          errmsg: 'Primary stepped down while waiting for replication',
        };
      }
      if (!(await this.progress.wait(deadline, request.signal))) {
        return {
          code: 64,
          codeName: 'WriteConcernFailed',
          errmsg: 'waiting for replication timed out',
          errInfo: { wtimeout: true },
        };
      }
    }
  }
}
