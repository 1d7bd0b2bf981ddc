/**
 * One member of a simulated replica set: its configuration, its role, its data and how far it has
 * replicated, and the replies that describe it (hello, replSetGetStatus). The set coordinates the
 * members (elections, replication, the write path); a member only holds and reports its own state.
 */
import { Long, ObjectId, type Document, type Timestamp } from 'bson';
import type { Address } from '../description/types.js';
import { CursorRegistry } from './cursor-registry.js';
import { DocumentStore } from './document-store.js';
import type { OplogEntry, TxnTable } from './oplog.js';
import { commonHelloFields, helloLimits } from './server-constants.js';
import { TopologyVersionClock } from './topology-version-clock.js';
import { TransactionCatalog } from './transactions.js';
import type { WireRequest, WireServer } from './wire-server.js';

/** A member's role, as its hello reports it. `REMOVED`: no longer in the config but still running. */
export type MemberRole = 'PRIMARY' | 'SECONDARY' | 'ARBITER' | 'REMOVED';

/** A member's replica-set configuration (replSetGetConfig's members[i]). */
export interface MemberConfig {
  readonly id: number;
  /** 0 = never primary (a "passive" unless hidden). */
  readonly priority: number;
  readonly votes: 0 | 1;
  /** Invisible to clients (not in hosts lists); hidden members have priority 0. */
  readonly hidden: boolean;
  readonly arbiterOnly: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

export interface OpTime {
  readonly ts: Timestamp;
  readonly t: number;
}

export class ReplicaSetMember {
  role: MemberRole;
  /** Rises at each role change: an operation received under another epoch was interrupted. */
  roleEpoch = 0;
  readonly clock = new TopologyVersionClock();
  readonly cursors = new CursorRegistry();
  store = new DocumentStore();
  txns: TxnTable = new Map();
  /** Sessions' open transactions (only a primary has any: losing that role aborts them). */
  readonly transactions = new TransactionCatalog(() => this.store);
  /** How many oplog entries this member has applied. */
  applied = 0;
  lastOpTime: OpTime | null = null;
  lastWriteDate: Date | null = null;
  /** How long after a write on the primary this member applies it. */
  lagMS = 0;
  /** Holds entries the current oplog no longer has (rolled back): must start over. */
  needsResync = false;
  cancelReplication: (() => void) | null = null;
  /** When the process (re)started, on the deployment's clock (ms since the epoch). */
  startedAt: number;

  constructor(
    readonly server: WireServer,
    public config: MemberConfig,
    startedAt: number,
  ) {
    this.startedAt = startedAt;
    this.role = config.arbiterOnly ? 'ARBITER' : 'SECONDARY';
  }

  get address(): Address {
    return this.server.address;
  }

  get dataBearing(): boolean {
    return !this.config.arbiterOnly;
  }

  get electable(): boolean {
    return this.config.priority > 0 && !this.config.arbiterOnly && !this.config.hidden;
  }

  /** Running and reachable from the rest of the set. */
  get reachable(): boolean {
    return this.server.up && !this.server.partitioned;
  }

  /** Cancels this member's scheduled replication, if any. */
  stopReplication(): void {
    this.cancelReplication?.();
    this.cancelReplication = null;
  }

  setRole(role: MemberRole): void {
    if (this.role === role) return;
    if (this.role === 'PRIMARY') this.transactions.abortAll();
    this.role = role;
    this.roleEpoch++;
  }

  /** Applies a replicated entry; `alreadyInStore` for the primary, whose write changed the store directly. */
  applyEntry(entry: OplogEntry, alreadyInStore = false): void {
    if (!alreadyInStore) for (const op of entry.ops) this.store.apply(op);
    if (entry.txn) {
      const { sessionKey, ...record } = entry.txn;
      this.txns.set(sessionKey, record);
    }
    this.applied++;
    this.lastOpTime = { ts: entry.ts, t: entry.term };
    this.lastWriteDate = entry.wall;
  }

  /** Forgets all data, to replay the oplog from the start (a rollback or initial sync). */
  resetData(): void {
    this.store = new DocumentStore();
    this.txns = new Map();
    this.applied = 0;
    this.lastOpTime = null;
    this.lastWriteDate = null;
    this.needsResync = false;
  }

  /** The process restarted: new processId, no cursors. */
  restarted(now: number): void {
    this.transactions.reset();
    this.clock.restart();
    this.cursors.clear();
    this.startedAt = now;
  }
}

/** What a member's replies say about the whole set. */
export interface ReplicaSetView {
  readonly setName: string;
  readonly setVersion: number;
  readonly term: number;
  readonly primary: ReplicaSetMember | null;
  readonly electionId: ObjectId | null;
  readonly members: readonly ReplicaSetMember[];
  /** The newest entry a majority has applied, or null. */
  readonly majority: { readonly opTime: OpTime; readonly wall: Date } | null;
}

/** mongod's electionId: 0x7fffffff then the term as a big-endian int64. */
export function electionIdForTerm(term: number): ObjectId {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(0x7fffffff, 0);
  bytes.writeBigUInt64BE(BigInt(term), 4);
  return new ObjectId(bytes);
}

function opTimeDocument(opTime: OpTime): Document {
  return { ts: opTime.ts, t: Long.fromNumber(opTime.t) };
}

/** The member's hello (or legacy isMaster) reply. */
export function memberHello(member: ReplicaSetMember, view: ReplicaSetView, request: WireRequest): Document {
  const isPrimary = member.role === 'PRIMARY';
  const reply = commonHelloFields(request, isPrimary, member.clock.toDocument());
  if (member.role === 'REMOVED') {
    return {
      ...reply,
      secondary: false,
      isreplicaset: true,
      info: 'Does not have a valid replica set config',
      ...helloLimits(request.connectionId, request.now()),
      ok: 1,
    };
  }
  const visible = view.members.filter((m) => !m.config.hidden);
  const hosts = visible.filter((m) => !m.config.arbiterOnly && m.config.priority > 0).map((m) => m.address);
  const passives = visible
    .filter((m) => !m.config.arbiterOnly && m.config.priority === 0)
    .map((m) => m.address);
  const arbiters = visible.filter((m) => m.config.arbiterOnly).map((m) => m.address);
  reply['hosts'] = hosts;
  if (passives.length > 0) reply['passives'] = passives;
  if (arbiters.length > 0) reply['arbiters'] = arbiters;
  reply['setName'] = view.setName;
  reply['setVersion'] = view.setVersion;
  reply['secondary'] = member.role === 'SECONDARY';
  if (member.config.arbiterOnly) reply['arbiterOnly'] = true;
  if (member.config.priority === 0 && !member.config.arbiterOnly) reply['passive'] = true;
  if (member.config.hidden) reply['hidden'] = true;
  if (view.primary) reply['primary'] = view.primary.address;
  reply['me'] = member.address;
  if (isPrimary && view.electionId) reply['electionId'] = view.electionId;
  if (Object.keys(member.config.tags).length > 0) reply['tags'] = { ...member.config.tags };
  if (member.dataBearing && member.lastOpTime && member.lastWriteDate) {
    const majority = view.majority ?? { opTime: member.lastOpTime, wall: member.lastWriteDate };
    reply['lastWrite'] = {
      opTime: opTimeDocument(member.lastOpTime),
      lastWriteDate: member.lastWriteDate,
      majorityOpTime: opTimeDocument(majority.opTime),
      majorityWriteDate: majority.wall,
    };
  }
  return { ...reply, ...helloLimits(request.connectionId, request.now()), ok: 1 };
}

const STATE_CODES: Readonly<Record<MemberRole, number>> = {
  PRIMARY: 1,
  SECONDARY: 2,
  ARBITER: 7,
  REMOVED: 10,
};

/** replSetGetStatus as `member` reports it. */
export function replicaSetStatus(member: ReplicaSetMember, view: ReplicaSetView, now: number): Document {
  return {
    set: view.setName,
    date: new Date(now),
    myState: STATE_CODES[member.role],
    term: Long.fromNumber(view.term),
    heartbeatIntervalMillis: Long.fromNumber(2000),
    members: view.members.map((m) => {
      const healthy = m === member || m.reachable;
      const state = healthy ? STATE_CODES[m.role] : 8;
      return {
        _id: m.config.id,
        name: m.address,
        health: healthy ? 1 : 0,
        state,
        stateStr: healthy ? m.role : '(not reachable/healthy)',
        uptime: healthy ? Math.floor((now - m.startedAt) / 1000) : 0,
        ...(m.lastOpTime ? { optime: opTimeDocument(m.lastOpTime), optimeDate: m.lastWriteDate } : {}),
        configVersion: view.setVersion,
        self: m === member,
      };
    }),
    ok: 1,
  };
}

/** replSetGetConfig's `config`. */
export function replicaSetConfig(view: ReplicaSetView): Document {
  return {
    _id: view.setName,
    version: view.setVersion,
    term: view.term,
    members: view.members.map((m) => ({
      _id: m.config.id,
      host: m.address,
      arbiterOnly: m.config.arbiterOnly,
      buildIndexes: true,
      hidden: m.config.hidden,
      priority: m.config.priority,
      tags: { ...m.config.tags },
      secondaryDelaySecs: Long.fromNumber(0),
      votes: m.config.votes,
    })),
    settings: { chainingAllowed: true, electionTimeoutMillis: 10000 },
  };
}
