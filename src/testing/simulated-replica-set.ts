/**
 * A replica set on loopback that any MongoDB client can use, with failover on command.
 *
 * Model, in short:
 * - Members are WireServers on 127.0.0.1. One global oplog; the primary applies a write at once and
 *   each secondary applies it `replicationLagMS` later (0 = at once). Arbiters hold no data.
 * - Elections are deterministic: among the running, reachable, electable members (priority > 0,
 *   not hidden, not an arbiter) of a set that still has a majority of votes, the highest priority
 *   wins, then the lowest address. The winner first catches up from the freshest reachable member;
 *   entries no reachable member holds are rolled back (their holders resync when they return).
 * - When the primary is killed or partitioned and `autoElect` is on (the default), a new election
 *   runs `electionDelayMS` later. stepDown() always elects another member.
 * - Every role or config change bumps the topologyVersion of every running member, which wakes
 *   awaitable hellos at once.
 * - Writes reach only the primary; a secondary answers NotWritablePrimary (10107), a write that
 *   was received by a primary that stepped down before running it fails with
 *   InterruptedDueToReplStateChange (11602), both labelled RetryableWriteError for retryable writes.
 *   Retryable writes are recorded per session in the oplog, so a retry on the new primary returns
 *   the first reply instead of writing twice.
 */
import { type Document, type ObjectId } from 'bson';
import type { Address } from '../description/types.js';
import { WaspnestError } from '../errors.js';
import { basicCommand } from './basic-commands.js';
import { ClusterClock } from './cluster-clock.js';
import { crudCommand, isCrudCommand, type ApplyOp, type DataNode } from './crud-commands.js';
import type { DocumentStore, StoreOp } from './document-store.js';
import { withErrorLabels } from './error-labels.js';
import { isHelloCommand } from './faults.js';
import { committedTransactionFields, previousReply, retryableWriteOf, type OplogEntry } from './oplog.js';
import { basicQueryEngine, isPlainDocument, loadQueryEngine, type QueryEngine } from './query-engine.js';
import {
  electionIdForTerm,
  memberHello,
  replicaSetConfig,
  replicaSetStatus,
  ReplicaSetMember,
  type MemberConfig,
  type MemberRole,
  type ReplicaSetView,
} from './replica-set-member.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import { SimulatedDeployment, type PrimaryLostEvent, type WaitForOptions } from './simulated-deployment.js';
import { WaitAbortedError } from './timer-registry.js';
import { awaitTopologyChange } from './topology-version-clock.js';
import type { SimulatedTlsOptions } from './tls-terminator.js';
import {
  runInTransaction,
  sessionCommand,
  transactionNode,
  writeOutsideTransactions,
} from './transactions.js';
import type { WireRequest } from './wire-server.js';

/** One member's configuration at start (all optional). */
export interface ReplicaSetMemberOptions {
  /** Election priority; default 1. 0 = never primary (reported as a passive). */
  readonly priority?: number;
  /** Votes in elections, 0 or 1; default 1. */
  readonly votes?: 0 | 1;
  /** Hidden from clients; requires priority 0 (set automatically when priority is absent). */
  readonly hidden?: boolean;
  /** An arbiter: votes, holds no data, never primary. */
  readonly arbiterOnly?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
  /** Fixed port; default 0 (the OS picks one). */
  readonly port?: number;
  /** Replication lag of this member in ms; default the set's `replicationLagMS`. */
  readonly replicationLagMS?: number;
  /** Latency of this member in ms; default the set's `latencyMS`. */
  readonly latencyMS?: number;
}

export interface SimulatedReplicaSetOptions {
  /** How many members (all default) or each member's options; default 3. */
  readonly members?: number | readonly ReplicaSetMemberOptions[];
  /** Default 'rs0'. */
  readonly setName?: string;
  /** Priorities by member index (shortcut for `members[i].priority`). */
  readonly priorities?: readonly number[];
  /** Tags by member index (shortcut for `members[i].tags`). */
  readonly tags?: readonly Readonly<Record<string, string>>[];
  /** Delay between losing a primary and electing the next; default 10 ms. */
  readonly electionDelayMS?: number;
  /** Elect a new primary by itself when the primary is killed or partitioned; default true. */
  readonly autoElect?: boolean;
  /** Default replication lag of secondaries, in ms; default 0 (writes replicate at once). */
  readonly replicationLagMS?: number;
  /** Default latency of every member, in ms; default 0. */
  readonly latencyMS?: number;
  /**
   * Query engine for CRUD: 'auto' (default) uses the `mingo` package when installed and a basic
   * engine (top-level equality filters, $set/$inc/$unset) otherwise; 'basic' forces the latter.
   */
  readonly queryEngine?: 'auto' | 'basic';
  /**
   * Every member speaks TLS only (default: plain TCP), with this key and certificate, from start
   * and after every restart; kill, partition and faults work as without TLS. The options are
   * checked at start: a key that does not match the certificate, or PEM that does not parse,
   * rejects `start()`. `uri` then carries `tls=true`; clients still need the certificate
   * authority (e.g. `tlsCAFile`). `connectionOpened` and `connectionClosed` report TCP
   * connections, so a failed handshake shows as a connection opened and closed.
   */
  readonly tls?: SimulatedTlsOptions;
}

/** Changes for reconfigure(); each bumps setVersion. */
export interface MemberReconfig {
  readonly priority?: number;
  readonly votes?: 0 | 1;
  readonly hidden?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

/** A member's state as the simulator knows it (a snapshot). */
export interface MemberState {
  readonly address: Address;
  readonly role: MemberRole;
  /** The process is running (not killed). */
  readonly up: boolean;
  readonly partitioned: boolean;
  readonly priority: number;
  readonly votes: 0 | 1;
  readonly hidden: boolean;
  readonly arbiterOnly: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly latencyMS: number;
  readonly replicationLagMS: number;
  /** Oplog entries applied. */
  readonly applied: number;
  readonly lastWriteDate: Date | null;
  readonly topologyVersion: { readonly processId: string; readonly counter: number };
}

const STATE_CHANGE_CODES: ReadonlySet<number> = new Set([
  ServerErrorCode.NotWritablePrimary,
  ServerErrorCode.NotPrimaryNoSecondaryOk,
  ServerErrorCode.NotPrimaryOrSecondary,
  ServerErrorCode.InterruptedDueToReplStateChange,
  ServerErrorCode.PrimarySteppedDown,
  ServerErrorCode.ShutdownInProgress,
]);

function compareAddresses(a: Address, b: Address): number {
  const split = (address: Address): [string, number] => {
    const colon = address.lastIndexOf(':');
    return [address.slice(0, colon), Number(address.slice(colon + 1))];
  };
  const [hostA, portA] = split(a);
  const [hostB, portB] = split(b);
  return hostA === hostB ? portA - portB : hostA < hostB ? -1 : 1;
}

function checkMs(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0))
    throw new TypeError(`${name} must be a number of ms >= 0, got ${value}`);
  return value;
}

function memberConfig(id: number, options: ReplicaSetMemberOptions): MemberConfig {
  const arbiterOnly = options.arbiterOnly === true;
  const hidden = options.hidden === true;
  const priority = options.priority ?? (hidden || arbiterOnly ? 0 : 1);
  if (!(Number.isFinite(priority) && priority >= 0 && priority <= 1000)) {
    throw new TypeError(`member priority must be between 0 and 1000, got ${priority}`);
  }
  if (hidden && priority > 0) throw new TypeError('a hidden member must have priority 0');
  if (arbiterOnly && priority > 0) throw new TypeError('an arbiter must have priority 0');
  const votes = options.votes ?? 1;
  if (votes !== 0 && votes !== 1) throw new TypeError(`member votes must be 0 or 1, got ${String(votes)}`);
  if (votes === 0 && priority > 0) throw new TypeError('a member with 0 votes must have priority 0');
  return { id, priority, votes, hidden, arbiterOnly, tags: { ...(options.tags ?? {}) } };
}

/**
 * A simulated replica set. Start one with `await SimulatedReplicaSet.start()`; it resolves once
 * every member listens and a primary is elected. Always `await rs.close()`.
 */
export class SimulatedReplicaSet extends SimulatedDeployment {
  readonly setName: string;
  #members: ReplicaSetMember[] = [];
  /** Removed members kept running (they answer hello as REMOVED). */
  #ghosts: ReplicaSetMember[] = [];
  #primary: ReplicaSetMember | null = null;
  #term = 0;
  #setVersion = 1;
  #electionId: ObjectId | null = null;
  #oplog: OplogEntry[] = [];
  #clusterClock = new ClusterClock();
  #engine: QueryEngine;
  #electionDelayMS: number;
  #autoElect: boolean;
  #defaultLagMS: number;
  #defaultLatencyMS: number;
  #pendingElection: (() => void) | null = null;
  /** Members that just stepped down, not electable in the next election (mongod's stepdown period). */
  #ineligible = new Set<Address>();
  #replicationWaiters = new Set<() => void>();
  #nextMemberId = 0;

  private constructor(options: SimulatedReplicaSetOptions, engine: QueryEngine) {
    super('replica set', options.tls);
    this.setName = options.setName ?? 'rs0';
    if (this.setName === '' || /[/\s,]/.test(this.setName))
      throw new TypeError(`invalid setName ${JSON.stringify(this.setName)}`);
    this.#engine = engine;
    this.#electionDelayMS = checkMs('electionDelayMS', options.electionDelayMS ?? 10);
    this.#autoElect = options.autoElect ?? true;
    this.#defaultLagMS = checkMs('replicationLagMS', options.replicationLagMS ?? 0);
    this.#defaultLatencyMS = checkMs('latencyMS', options.latencyMS ?? 0);
  }

  /**
   * Starts the members and elects a primary at once (no election delay), then resolves. A set with
   * no electable member (all priority 0) starts without a primary.
   */
  static async start(options: SimulatedReplicaSetOptions = {}): Promise<SimulatedReplicaSet> {
    const engine = options.queryEngine === 'basic' ? basicQueryEngine : await loadQueryEngine();
    const memberOptions = SimulatedReplicaSet.#memberOptions(options);
    const rs = new SimulatedReplicaSet(options, engine);
    try {
      const configs = memberOptions.map((member) => memberConfig(rs.#nextMemberId++, member));
      await Promise.all(configs.map((config, index) => rs.#startMember(config, memberOptions[index] ?? {})));
      // The set's first oplog entry (replSetInitiate), applied everywhere.
      const initiate: OplogEntry = {
        ts: rs.#clusterClock.tick(),
        term: 0,
        wall: new Date(),
        ops: [],
        txn: null,
      };
      rs.#oplog.push(initiate);
      for (const member of rs.#members) if (member.dataBearing) member.applyEntry(initiate);
      rs.#runElection();
    } catch (error) {
      await rs.close();
      throw error;
    }
    return rs;
  }

  static #memberOptions(options: SimulatedReplicaSetOptions): ReplicaSetMemberOptions[] {
    const members = options.members ?? 3;
    let list: ReplicaSetMemberOptions[];
    if (typeof members === 'number') {
      if (!Number.isInteger(members) || members < 1 || members > 50) {
        throw new TypeError(`members must be an integer from 1 to 50, got ${members}`);
      }
      list = Array.from({ length: members }, () => ({}));
    } else {
      if (members.length < 1 || members.length > 50) throw new TypeError('a replica set has 1 to 50 members');
      list = [...members];
    }
    return list.map((member, index) => ({
      ...member,
      ...(options.priorities?.[index] !== undefined && member.priority === undefined
        ? { priority: options.priorities[index] }
        : {}),
      ...(options.tags?.[index] !== undefined && member.tags === undefined
        ? { tags: options.tags[index] }
        : {}),
    }));
  }

  // ---- what tests read ---------------------------------------------------------------------

  /** `mongodb://<every member>/?replicaSet=<setName>` (and `&tls=true` when started with TLS). */
  get uri(): string {
    const members = this.#members.map((m) => m.address).join(',');
    return `mongodb://${members}/${this.uriQuery(`replicaSet=${encodeURIComponent(this.setName)}`)}`;
  }

  /** Every member's address, in config order. */
  get members(): Address[] {
    return this.#members.map((m) => m.address);
  }

  /** The primary's address, or undefined while there is none. */
  get primary(): Address | undefined {
    return this.#primary?.address;
  }

  /** Running secondaries' addresses. */
  get secondaries(): Address[] {
    return this.#members.filter((m) => m.role === 'SECONDARY' && m.server.up).map((m) => m.address);
  }

  get setVersion(): number {
    return this.#setVersion;
  }

  get term(): number {
    return this.#term;
  }

  /** A URI for one member alone (`directConnection=true`, and `tls=true` when started with TLS). */
  directUri(address: Address): string {
    this.#member(address);
    return `mongodb://${address}/${this.uriQuery('directConnection=true')}`;
  }

  /** A snapshot of one member's state. */
  memberState(address: Address): MemberState {
    const m = this.#member(address, true);
    return {
      address: m.address,
      role: m.role,
      up: m.server.up,
      partitioned: m.server.partitioned,
      priority: m.config.priority,
      votes: m.config.votes,
      hidden: m.config.hidden,
      arbiterOnly: m.config.arbiterOnly,
      tags: { ...m.config.tags },
      latencyMS: m.server.latencyMS,
      replicationLagMS: m.lagMS,
      applied: m.applied,
      lastWriteDate: m.lastWriteDate,
      topologyVersion: { processId: m.clock.processId.toHexString(), counter: m.clock.counter },
    };
  }

  // ---- controls ----------------------------------------------------------------------------

  /** Resolves with the primary's address, at once or when one is elected. */
  async waitForPrimary(options: WaitForOptions = {}): Promise<Address> {
    this.assertOpen();
    if (this.#primary) return this.#primary.address;
    return (await this.waitFor('primaryElected', undefined, options)).address;
  }

  /**
   * The primary steps down and, `electionDelayMS` later, another member is elected (the old
   * primary cannot win this election). Resolves with the new primary's address.
   * @throws WaspnestError when there is no primary or no other member could win.
   */
  async stepDown(options: WaitForOptions = {}): Promise<Address> {
    this.assertOpen();
    const old = this.#primary;
    if (!old) throw new WaspnestError('there is no primary to step down');
    this.#assertSuccessorExists(old);
    const elected = this.waitFor('primaryElected', undefined, options);
    this.#ineligible.add(old.address);
    this.#losePrimary('stepDown', true);
    return (await elected).address;
  }

  /**
   * Runs an election now (no delay), stepping the current primary down first; with `address`,
   * that member wins (it must be running, reachable and electable). Resolves with the new primary.
   */
  async elect(address?: Address): Promise<Address> {
    this.assertOpen();
    const forced = address === undefined ? undefined : this.#member(address);
    if (forced) {
      if (!forced.electable)
        throw new WaspnestError(`${forced.address} cannot be primary (priority 0, hidden or arbiter)`);
      if (!forced.reachable) throw new WaspnestError(`${forced.address} is down or partitioned`);
      if (this.#primary === forced) return forced.address;
    }
    this.#losePrimary('elect', false);
    this.#cancelPendingElection();
    const winner = this.#runElection(forced);
    if (!winner) throw new WaspnestError(`no member can be elected: ${this.#whyNoElection()}`);
    return winner.address;
  }

  /** Sets how long after the primary a member applies writes (ms). */
  setReplicationLag(address: Address, ms: number): void {
    const member = this.#member(address);
    member.lagMS = checkMs('replication lag', ms);
    this.#replicate(member);
  }

  /** Adds a member (a new process, synced from the oplog); setVersion rises. Resolves with its address. */
  async addMember(options: ReplicaSetMemberOptions = {}): Promise<Address> {
    this.assertOpen();
    const member = await this.#startMember(memberConfig(this.#nextMemberId++, options), options);
    this.#setVersion++;
    this.#replicate(member);
    this.#bumpAll();
    this.#scheduleElection();
    this.notify('memberAdded', { address: member.address });
    this.notify('reconfigured', { setVersion: this.#setVersion, members: this.members });
    return member.address;
  }

  /**
   * Removes a member from the config; setVersion rises. The member's process stops unless
   * `keepRunning`, in which case it answers hello as a REMOVED member (no setName).
   * @throws WaspnestError for the primary (step it down first).
   */
  async removeMember(address: Address, options: { keepRunning?: boolean } = {}): Promise<void> {
    const member = this.#member(address);
    if (member === this.#primary)
      throw new WaspnestError(`${address} is the primary: step it down before removing it`);
    this.#members = this.#members.filter((m) => m !== member);
    this.#setVersion++;
    member.cancelReplication?.();
    member.cancelReplication = null;
    if (options.keepRunning === true) {
      member.setRole('REMOVED');
      this.#ghosts.push(member);
    } else {
      this.servers.delete(address);
      await member.server.close();
    }
    this.#bumpAll();
    this.#notifyReplication();
    this.#scheduleElection();
    this.notify('memberRemoved', { address });
    this.notify('reconfigured', { setVersion: this.#setVersion, members: this.members });
  }

  /** Changes a member's priority, votes, hidden flag or tags; setVersion rises. */
  reconfigure(address: Address, changes: MemberReconfig): void {
    const member = this.#member(address);
    const next = memberConfig(member.config.id, {
      arbiterOnly: member.config.arbiterOnly,
      priority: changes.priority ?? member.config.priority,
      votes: changes.votes ?? member.config.votes,
      hidden: changes.hidden ?? member.config.hidden,
      tags: changes.tags ?? member.config.tags,
    });
    member.config = next;
    this.#setVersion++;
    this.#bumpAll();
    // A primary that can no longer be primary steps down, as mongod does on such a reconfig.
    if (member === this.#primary && !member.electable) this.#losePrimary('stepDown', true);
    this.notify('reconfigured', { setVersion: this.#setVersion, members: this.members });
  }

  // ---- hooks from the network controls -----------------------------------------------------

  protected override beforeKill(address: Address): void {
    const member = this.#member(address, true);
    member.cancelReplication?.();
    member.cancelReplication = null;
  }

  protected override afterKill(address: Address): void {
    const member = this.#member(address, true);
    member.cursors.clear();
    if (member === this.#primary && this.#autoElect) this.#losePrimary('killed', true);
    this.#notifyReplication();
  }

  protected override afterRestart(address: Address): void {
    const member = this.#member(address, true);
    member.restarted();
    // A restarted mongod comes back as a secondary, whatever it was.
    if (member === this.#primary) this.#losePrimary('restarted', this.#autoElect);
    if (member.needsResync) member.resetData();
    this.#replicate(member);
    this.#scheduleElection();
    // State first, events last: a listener that throws cannot leave the set half-changed.
    this.notify('topologyVersionChanged', this.#versionEvent(member));
  }

  protected override afterPartition(address: Address): void {
    const member = this.#member(address, true);
    member.cancelReplication?.();
    member.cancelReplication = null;
    if (member === this.#primary && this.#autoElect) this.#losePrimary('partitioned', true);
    this.#notifyReplication();
  }

  protected override afterHeal(address: Address): void {
    const member = this.#member(address, true);
    if (member.needsResync) member.resetData();
    this.#replicate(member);
    this.#scheduleElection();
  }

  protected override beforeClose(): void {
    this.#cancelPendingElection();
    for (const member of [...this.#members, ...this.#ghosts]) {
      member.cancelReplication = null;
      member.cursors.clear();
    }
    this.#notifyReplication();
  }

  // ---- members and requests ----------------------------------------------------------------

  #member(address: Address, includeGhosts = false): ReplicaSetMember {
    this.server(address);
    const member =
      this.#members.find((m) => m.address === address) ??
      (includeGhosts ? this.#ghosts.find((m) => m.address === address) : undefined);
    if (!member) throw new WaspnestError(`${address} is no longer a member of the replica set`);
    return member;
  }

  async #startMember(config: MemberConfig, options: ReplicaSetMemberOptions): Promise<ReplicaSetMember> {
    let member: ReplicaSetMember | null = null;
    const server = this.createServer(
      {
        handle: (request) => {
          if (!member) throw new WaitAbortedError('member not ready');
          return this.#handle(member, request);
        },
      },
      options.port ?? 0,
    );
    member = new ReplicaSetMember(server, config);
    member.lagMS = checkMs('replicationLagMS', options.replicationLagMS ?? this.#defaultLagMS);
    server.latencyMS = checkMs('latencyMS', options.latencyMS ?? this.#defaultLatencyMS);
    await server.start();
    this.register(server);
    this.#members.push(member);
    return member;
  }

  #view(): ReplicaSetView {
    return {
      setName: this.setName,
      setVersion: this.#setVersion,
      term: this.#term,
      primary: this.#primary,
      electionId: this.#electionId,
      members: this.#members,
      majority: this.#majorityPoint(),
    };
  }

  async #handle(member: ReplicaSetMember, request: WireRequest): Promise<Document> {
    const receivedEpoch = member.roleEpoch;
    const receivedAsPrimary = member.role === 'PRIMARY';
    await request.latency();
    let reply: Document;
    try {
      reply = await this.#dispatch(member, request, receivedEpoch, receivedAsPrimary);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      reply = error.toReply();
      if (STATE_CHANGE_CODES.has(error.code)) reply['topologyVersion'] = member.clock.toDocument();
    }
    reply = withErrorLabels(request.commandName, request.command, reply);
    if (member.role === 'REMOVED') return reply;
    return {
      ...reply,
      $clusterTime: this.#clusterClock.clusterTimeDocument(),
      operationTime: member.lastOpTime?.ts ?? this.#clusterClock.current(),
    };
  }

  async #dispatch(
    member: ReplicaSetMember,
    request: WireRequest,
    receivedEpoch: number,
    receivedAsPrimary: boolean,
  ): Promise<Document> {
    const name = request.commandName;
    if (isHelloCommand(name)) return this.#hello(member, request);
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
        return replicaSetStatus(member, this.#view());
      case 'replSetGetConfig':
        return { config: replicaSetConfig(this.#view()), ok: 1 };
      case 'replSetStepDown':
        return this.#stepDownCommand(member, request);
    }
    if ((member.role === 'REMOVED' || member.role === 'ARBITER') && isCrudCommand(name)) {
      throw new CommandError(
        ServerErrorCode.NotPrimaryOrSecondary,
        'node is not in primary or recovering state',
      );
    }
    const node: DataNode = {
      engine: this.#engine,
      cursors: member.cursors,
      readableStore: (req) => this.#readableStore(member, req),
      write: (req, execute) => this.#write(member, req, receivedEpoch, receivedAsPrimary, execute),
    };
    if (
      name === 'commitTransaction' ||
      name === 'abortTransaction' ||
      request.command['autocommit'] !== undefined
    ) {
      this.#assertWritablePrimary(member, receivedEpoch, receivedAsPrimary);
    }
    if (name === 'abortTransaction') return member.transactions.abortCommand(request, member.txns);
    if (name === 'commitTransaction') return this.#commit(member, request, receivedEpoch, node);
    const transaction = member.transactions.transactionFor(request, member.txns);
    if (transaction) {
      const statement = crudCommand(transactionNode(transaction, this.#engine, member.cursors), request);
      if (statement) return runInTransaction(transaction, () => statement);
    }
    const crud = crudCommand(node, request);
    if (crud) return crud;
    throw new CommandError(ServerErrorCode.CommandNotFound, `no such command: '${name}'`);
  }

  async #hello(member: ReplicaSetMember, request: WireRequest): Promise<Document> {
    await awaitTopologyChange(member.clock, request, this.timers);
    return memberHello(member, this.#view(), request);
  }

  #stepDownCommand(member: ReplicaSetMember, request: WireRequest): Document {
    if (member !== this.#primary)
      throw new CommandError(ServerErrorCode.NotWritablePrimary, "not primary so can't step down");
    try {
      this.#assertSuccessorExists(member);
    } catch (error) {
      if (request.command['force'] !== true) {
        throw new CommandError(
          ServerErrorCode.ExceededTimeLimit,
          error instanceof Error ? error.message : String(error),
        );
      }
    }
    this.#ineligible.add(member.address);
    this.#losePrimary('stepDown', true);
    return { ok: 1 };
  }

  #readableStore(member: ReplicaSetMember, request: WireRequest): DocumentStore {
    if (member.role === 'PRIMARY') return member.store;
    if (member.role === 'SECONDARY') {
      const readPreference: unknown = request.command['$readPreference'];
      const mode = isPlainDocument(readPreference) ? readPreference['mode'] : undefined;
      if (typeof mode === 'string' && mode !== 'primary') return member.store;
      throw new CommandError(ServerErrorCode.NotPrimaryNoSecondaryOk, 'not primary and secondaryOk=false');
    }
    throw new CommandError(
      ServerErrorCode.NotPrimaryOrSecondary,
      'node is not in primary or recovering state',
    );
  }

  #assertWritablePrimary(member: ReplicaSetMember, receivedEpoch: number, receivedAsPrimary: boolean): void {
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

  /** commitTransaction: one oplog entry with all the transaction's ops, then its write concern. */
  async #commit(
    member: ReplicaSetMember,
    request: WireRequest,
    epoch: number,
    node: DataNode,
  ): Promise<Document> {
    const decision = member.transactions.commitDecision(request, member.txns);
    if (decision.kind === 'alreadyCommitted') {
      const writeConcernError = await this.#awaitWriteConcern(member, request, epoch, member.applied);
      return writeConcernError ? { ok: 1, writeConcernError } : { ok: 1 };
    }
    const transaction = decision.transaction;
    return node.write(request, (store, apply) => {
      member.transactions.finish(transaction, 'committed');
      for (const op of transaction.ops) apply(op);
      return { ok: 1 };
    });
  }

  async #write(
    member: ReplicaSetMember,
    request: WireRequest,
    receivedEpoch: number,
    receivedAsPrimary: boolean,
    execute: (store: DocumentStore, apply: ApplyOp) => Document,
  ): Promise<Document> {
    this.#assertWritablePrimary(member, receivedEpoch, receivedAsPrimary);
    const retryable = retryableWriteOf(request.command);
    if (retryable) {
      const previous = previousReply(member.txns, retryable);
      if (previous) return previous;
    }
    const committing = request.commandName === 'commitTransaction';
    const result = await writeOutsideTransactions(
      member.transactions,
      request,
      this.timers,
      () => {
        this.#assertWritablePrimary(member, receivedEpoch, receivedAsPrimary);
        return member.store;
      },
      execute,
    );
    if (!result.ok) {
      if (result.ops.length > 0) this.#append(member, result.ops, null);
      throw result.error;
    }
    const { reply, ops } = result;
    if (committing && ops.length > 0) this.#appendTransaction(member, request, ops, reply);
    else if (ops.length > 0 || retryable)
      this.#append(member, ops, retryable ? { ...retryable, reply } : null);
    const writeConcernError = await this.#awaitWriteConcern(member, request, receivedEpoch, member.applied);
    return writeConcernError ? { ...reply, writeConcernError } : reply;
  }

  // ---- replication ---------------------------------------------------------------------------

  /** Appends a committed transaction's entry (see oplog.ts). */
  #appendTransaction(
    primary: ReplicaSetMember,
    request: WireRequest,
    ops: readonly StoreOp[],
    reply: Document,
  ): void {
    const { txn, transaction } = committedTransactionFields(request.command, reply);
    this.#append(primary, ops, txn, transaction);
  }

  /** Appends an entry written on `primary` (whose store already has the ops) and replicates it. */
  #append(
    primary: ReplicaSetMember,
    ops: readonly StoreOp[],
    txn: OplogEntry['txn'],
    transaction?: OplogEntry['transaction'],
  ): OplogEntry {
    const entry: OplogEntry = {
      ts: this.#clusterClock.tick(),
      term: this.#term,
      wall: new Date(),
      ops,
      txn,
      ...(transaction ? { transaction } : {}),
    };
    this.#oplog.push(entry);
    primary.applyEntry(entry, true);
    for (const member of this.#members) if (member !== primary) this.#replicate(member);
    this.#notifyReplication();
    return entry;
  }

  /** Applies what is due on one secondary and schedules the rest. */
  #replicate(member: ReplicaSetMember): void {
    member.cancelReplication?.();
    member.cancelReplication = null;
    if (member === this.#primary || !member.dataBearing || !member.reachable || member.role === 'REMOVED')
      return;
    if (this.timers.closed || member.needsResync) return;
    const now = Date.now();
    let appliedAny = false;
    while (member.applied < this.#oplog.length) {
      const entry = this.#oplog[member.applied];
      if (!entry) break;
      const due = entry.wall.getTime() + member.lagMS;
      if (due > now) {
        member.cancelReplication = this.timers.setTimeout(() => {
          member.cancelReplication = null;
          this.#replicate(member);
        }, due - now);
        break;
      }
      member.applyEntry(entry);
      appliedAny = true;
    }
    if (appliedAny && member.lastWriteDate) {
      this.#notifyReplication();
      this.notify('replicated', {
        address: member.address,
        applied: member.applied,
        lastWriteDate: member.lastWriteDate,
      });
    }
  }

  /** The newest entry a majority of votes' data-bearing members has applied. */
  #majorityPoint(): { opTime: { ts: OplogEntry['ts']; t: number }; wall: Date } | null {
    const needed = Math.floor(this.#totalVotes() / 2) + 1;
    const applied = this.#members
      .filter((m) => m.dataBearing && m.config.votes === 1)
      .map((m) => m.applied)
      .sort((a, b) => b - a);
    const count = applied[needed - 1];
    if (count === undefined || count === 0) return null;
    const entry = this.#oplog[Math.min(count, this.#oplog.length) - 1];
    return entry ? { opTime: { ts: entry.ts, t: entry.term }, wall: entry.wall } : null;
  }

  #totalVotes(): number {
    return this.#members.reduce((sum, m) => sum + m.config.votes, 0);
  }

  #notifyReplication(): void {
    const waiters = [...this.#replicationWaiters];
    this.#replicationWaiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves at the next replication progress or role change; false when `deadline` passed first. */
  #replicationProgress(deadline: number | null, signal: AbortSignal): Promise<boolean> {
    if (this.timers.closed || signal.aborted) return Promise.reject(new WaitAbortedError('wait aborted'));
    return new Promise((resolve, reject) => {
      let cancel = (): void => undefined;
      const done = (value: boolean | Error): void => {
        this.#replicationWaiters.delete(wake);
        cancel();
        forget();
        signal.removeEventListener('abort', onAbort);
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      const wake = (): void => done(true);
      const onAbort = (): void => done(new WaitAbortedError('wait aborted'));
      let forget = (): void => undefined;
      this.#replicationWaiters.add(wake);
      if (deadline !== null) cancel = this.timers.setTimeout(() => done(false), deadline - Date.now());
      forget = this.timers.onClose(onAbort);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Waits for the request's write concern; returns a writeConcernError document, or null when satisfied. */
  async #awaitWriteConcern(
    primary: ReplicaSetMember,
    request: WireRequest,
    epoch: number,
    index: number,
  ): Promise<Document | null> {
    const concern = request.command['writeConcern'];
    if (!isPlainDocument(concern)) return null;
    const w: unknown = concern['w'];
    const timeout = concern['wtimeout'] ?? concern['wtimeoutMS'];
    const deadline = typeof timeout === 'number' && timeout > 0 ? Date.now() + timeout : null;
    let needed: number;
    let voters: boolean;
    if (w === 'majority') {
      needed = Math.floor(this.#totalVotes() / 2) + 1;
      voters = true;
    } else if (typeof w === 'number') {
      if (w <= 1) return null;
      needed = w;
      voters = false;
      if (w > this.#members.filter((m) => m.dataBearing).length) {
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
      const acknowledged = this.#members.filter(
        (m) => m.dataBearing && (!voters || m.config.votes === 1) && m.applied >= index,
      ).length;
      if (acknowledged >= needed) return null;
      if (primary.role !== 'PRIMARY' || primary.roleEpoch !== epoch) {
        return {
          code: ServerErrorCode.PrimarySteppedDown,
          codeName: 'PrimarySteppedDown',
          errmsg: 'Primary stepped down while waiting for replication',
        };
      }
      if (!(await this.#replicationProgress(deadline, request.signal))) {
        return {
          code: 64,
          codeName: 'WriteConcernFailed',
          errmsg: 'waiting for replication timed out',
          errInfo: { wtimeout: true },
        };
      }
    }
  }

  // ---- elections -----------------------------------------------------------------------------

  #bumpAll(): void {
    const running = [...this.#members, ...this.#ghosts].filter((member) => member.server.up);
    for (const member of running) member.clock.bump();
    for (const member of running) this.notify('topologyVersionChanged', this.#versionEvent(member));
  }

  #versionEvent(member: ReplicaSetMember): { address: Address; processId: string; counter: number } {
    return {
      address: member.address,
      processId: member.clock.processId.toHexString(),
      counter: member.clock.counter,
    };
  }

  #losePrimary(reason: PrimaryLostEvent['reason'], electNext: boolean): void {
    const old = this.#primary;
    if (!old) return;
    this.#primary = null;
    old.setRole('SECONDARY');
    this.#bumpAll();
    this.#notifyReplication();
    if (electNext) this.#scheduleElection(true);
    this.notify('primaryLost', { address: old.address, reason });
  }

  #scheduleElection(force = false): void {
    if (this.#primary || this.#pendingElection || this.timers.closed) return;
    if (!force && !this.#autoElect) return;
    this.#pendingElection = this.timers.setTimeout(() => {
      this.#pendingElection = null;
      this.#runElection();
    }, this.#electionDelayMS);
  }

  #cancelPendingElection(): void {
    this.#pendingElection?.();
    this.#pendingElection = null;
  }

  #hasMajority(): boolean {
    const reachableVotes = this.#members
      .filter((m) => m.reachable)
      .reduce((sum, m) => sum + m.config.votes, 0);
    return reachableVotes * 2 > this.#totalVotes();
  }

  #candidates(): ReplicaSetMember[] {
    const eligible = this.#members.filter((m) => m.electable && m.reachable && !m.needsResync);
    const fresh = eligible.filter((m) => !this.#ineligible.has(m.address));
    const pool = fresh.length > 0 ? fresh : eligible;
    return pool.sort(
      (a, b) => b.config.priority - a.config.priority || compareAddresses(a.address, b.address),
    );
  }

  #assertSuccessorExists(primary: ReplicaSetMember): void {
    if (!this.#members.some((m) => m !== primary && m.electable && m.reachable && !m.needsResync)) {
      throw new WaspnestError(`no electable secondary can take over from ${primary.address}`);
    }
    if (!this.#hasMajority()) throw new WaspnestError('a majority of the votes is down or partitioned');
  }

  #whyNoElection(): string {
    if (!this.#hasMajority()) return 'a majority of the votes is down or partitioned';
    return 'no running, reachable member with priority > 0';
  }

  /** Elects a primary now, if the set can; returns it (or null). */
  #runElection(forced?: ReplicaSetMember): ReplicaSetMember | null {
    if (this.#primary) return this.#primary;
    if (this.timers.closed || !this.#hasMajority()) return null;
    const winner = forced ?? this.#candidates()[0];
    if (!winner) return null;
    // Catch up from the freshest reachable member; what none of them has is rolled back.
    const reachableData = this.#members.filter((m) => m.reachable && m.dataBearing && !m.needsResync);
    const freshest = Math.max(0, ...reachableData.map((m) => m.applied));
    while (winner.applied < freshest) {
      const entry = this.#oplog[winner.applied];
      if (!entry) break;
      winner.applyEntry(entry);
    }
    if (this.#oplog.length > freshest) {
      this.#oplog.length = freshest;
      for (const member of [...this.#members, ...this.#ghosts]) {
        if (member.applied > freshest) {
          member.needsResync = true;
          member.cancelReplication?.();
          member.cancelReplication = null;
        }
      }
    }
    this.#term++;
    this.#electionId = electionIdForTerm(this.#term);
    this.#primary = winner;
    winner.cancelReplication?.();
    winner.cancelReplication = null;
    winner.setRole('PRIMARY');
    this.#ineligible.clear();
    // A new primary writes a no-op first, so its lastWrite moves into the new term.
    this.#append(winner, [], null);
    this.#bumpAll();
    this.notify('primaryElected', {
      address: winner.address,
      term: this.#term,
      electionId: this.#electionId.toHexString(),
    });
    return winner;
  }
}
