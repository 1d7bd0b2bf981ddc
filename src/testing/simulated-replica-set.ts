/**
 * A replica set on loopback that any MongoDB client can use, with failover on command.
 *
 * This file holds the set's public controls and its members; the rest lives in one module each:
 * - replica-set-replication.ts: the one global oplog, lagged secondaries, majority, write concern;
 * - replica-set-elections.ts: deterministic elections, step-down, catch-up and rollback;
 * - replica-set-commands.ts: a member's command routing and write path;
 * - replica-set-member.ts: one member's state and the replies describing it.
 * When the primary is killed or partitioned and `autoElect` is on (the default), a new election
 * runs `electionDelayMS` later. stepDown() always elects another member.
 */
import type { Address } from '../description/types.js';
import { SimulatorOptionsError, WaspnestError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { basicQueryEngine, loadQueryEngine, type QueryEngine } from './query-engine.js';
import { handleMemberRequest, memberErrorReply, type MemberCommandContext } from './replica-set-commands.js';
import { ReplicaSetElections, versionEvent } from './replica-set-elections.js';
import {
  ReplicaSetMember,
  type MemberConfig,
  type MemberRole,
  type ReplicaSetView,
} from './replica-set-member.js';
import { ReplicaSetReplication } from './replica-set-replication.js';
import { SimulatedDeployment, type WaitForOptions } from './simulated-deployment.js';
import { WaitAbortedError } from './timer-registry.js';
import type { SimulatedTlsOptions } from './tls-terminator.js';

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
   * Query engine for CRUD: 'auto' (default) uses the `mingo` package (an optional peer
   * dependency of waspnest: `npm install --save-dev mingo`) when installed, and otherwise a basic
   * engine (empty filters, top-level equality, replacement updates, top-level $set/$inc/$unset,
   * countDocuments) that rejects anything else with an error naming the package; 'basic' forces
   * the basic engine. See "Install" in docs/testing-failover.md.
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
  /**
   * The set's time: elections after `electionDelayMS`, replication lag, latency, fail points'
   * `blockMS`, awaitable hellos' `maxAwaitTimeMS`, `waitFor` timeouts, and the dates it reports
   * (`localTime`, `lastWrite`, cluster time). Its `now()` is read as ms since the epoch. Default:
   * the wall clock. Pass a `VirtualClock` started at a date (`new VirtualClock(Date.UTC(2026, 0,
   * 1))`) and the set's time moves only when the test calls `advance`.
   */
  readonly clock?: Clock;
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

function checkMs(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0))
    throw new SimulatorOptionsError(`${name} must be a number of ms >= 0, got ${value}`);
  return value;
}

function memberConfig(id: number, options: ReplicaSetMemberOptions): MemberConfig {
  const arbiterOnly = options.arbiterOnly === true;
  const hidden = options.hidden === true;
  const priority = options.priority ?? (hidden || arbiterOnly ? 0 : 1);
  if (!(Number.isFinite(priority) && priority >= 0 && priority <= 1000)) {
    throw new SimulatorOptionsError(`member priority must be between 0 and 1000, got ${priority}`);
  }
  if (hidden && priority > 0) throw new SimulatorOptionsError('a hidden member must have priority 0');
  if (arbiterOnly && priority > 0) throw new SimulatorOptionsError('an arbiter must have priority 0');
  const votes = options.votes ?? 1;
  if (votes !== 0 && votes !== 1)
    throw new SimulatorOptionsError(`member votes must be 0 or 1, got ${String(votes)}`);
  if (votes === 0 && priority > 0)
    throw new SimulatorOptionsError('a member with 0 votes must have priority 0');
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
  #setVersion = 1;
  #replication: ReplicaSetReplication;
  #elections: ReplicaSetElections;
  #commands: MemberCommandContext;
  #defaultLagMS: number;
  #defaultLatencyMS: number;
  #nextMemberId = 0;

  private constructor(options: SimulatedReplicaSetOptions, engine: QueryEngine) {
    super('replica set', options.tls, options.clock);
    this.setName = options.setName ?? 'rs0';
    if (this.setName === '' || /[/\s,]/.test(this.setName))
      throw new SimulatorOptionsError(`invalid setName ${JSON.stringify(this.setName)}`);
    const electionDelayMS = checkMs('electionDelayMS', options.electionDelayMS ?? 10);
    const autoElect = options.autoElect ?? true;
    const members = (): readonly ReplicaSetMember[] => this.#members;
    this.#replication = new ReplicaSetReplication({
      timers: this.timers,
      members,
      primary: () => this.#elections.primary,
      term: () => this.#elections.term,
      replicated: (event) => this.notify('replicated', event),
    });
    this.#elections = new ReplicaSetElections({
      timers: this.timers,
      replication: this.#replication,
      notify: this.notify.bind(this),
      electionDelayMS,
      autoElect,
      members,
      allMembers: () => [...this.#members, ...this.#ghosts],
    });
    this.#commands = {
      engine,
      timers: this.timers,
      replication: this.#replication,
      elections: this.#elections,
      view: () => this.#view(),
    };
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
      rs.#replication.initiate();
      rs.#elections.run();
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
        throw new SimulatorOptionsError(`members must be an integer from 1 to 50, got ${members}`);
      }
      list = Array.from({ length: members }, () => ({}));
    } else {
      if (members.length < 1 || members.length > 50)
        throw new SimulatorOptionsError('a replica set has 1 to 50 members');
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
    return this.#elections.primary?.address;
  }

  /** Running secondaries' addresses. */
  get secondaries(): Address[] {
    return this.#members.filter((m) => m.role === 'SECONDARY' && m.server.up).map((m) => m.address);
  }

  get setVersion(): number {
    return this.#setVersion;
  }

  get term(): number {
    return this.#elections.term;
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
    if (this.#elections.primary) return this.#elections.primary.address;
    return (await this.waitFor('primaryElected', undefined, options)).address;
  }

  /**
   * The primary steps down and, `electionDelayMS` later, another member is elected (the old
   * primary cannot win this election). Resolves with the new primary's address.
   * @throws WaspnestError when there is no primary or no other member could win.
   */
  async stepDown(options: WaitForOptions = {}): Promise<Address> {
    this.assertOpen();
    const old = this.#elections.primary;
    if (!old) throw new WaspnestError('there is no primary to step down');
    this.#elections.assertSuccessorExists(old);
    const elected = this.waitFor('primaryElected', undefined, options);
    this.#elections.stepDown(old);
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
      if (this.#elections.primary === forced) return forced.address;
    }
    this.#elections.losePrimary('elect', false);
    this.#elections.cancelPending();
    const winner = this.#elections.run(forced);
    if (!winner) throw new WaspnestError(`no member can be elected: ${this.#elections.whyNoElection()}`);
    return winner.address;
  }

  /** Sets how long after the primary a member applies writes (ms). */
  setReplicationLag(address: Address, ms: number): void {
    const member = this.#member(address);
    member.lagMS = checkMs('replication lag', ms);
    this.#replication.replicate(member);
  }

  /** Adds a member (a new process, synced from the oplog); setVersion rises. Resolves with its address. */
  async addMember(options: ReplicaSetMemberOptions = {}): Promise<Address> {
    this.assertOpen();
    const member = await this.#startMember(memberConfig(this.#nextMemberId++, options), options);
    this.#setVersion++;
    this.#replication.replicate(member);
    this.#elections.bumpAll();
    this.#elections.schedule();
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
    if (member === this.#elections.primary)
      throw new WaspnestError(`${address} is the primary: step it down before removing it`);
    this.#members = this.#members.filter((m) => m !== member);
    this.#setVersion++;
    member.stopReplication();
    if (options.keepRunning === true) {
      member.setRole('REMOVED');
      this.#ghosts.push(member);
    } else {
      this.servers.delete(address);
      await member.server.close();
    }
    this.#elections.bumpAll();
    this.#replication.notifyProgress();
    this.#elections.schedule();
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
    this.#elections.bumpAll();
    // A primary that can no longer be primary steps down, as mongod does on such a reconfig.
    if (member === this.#elections.primary && !member.electable)
      this.#elections.losePrimary('stepDown', true);
    this.notify('reconfigured', { setVersion: this.#setVersion, members: this.members });
  }

  // ---- hooks from the network controls -----------------------------------------------------

  protected override beforeKill(address: Address): void {
    const member = this.#member(address, true);
    member.stopReplication();
  }

  protected override afterKill(address: Address): void {
    const member = this.#member(address, true);
    member.cursors.clear();
    if (member === this.#elections.primary && this.#elections.autoElect)
      this.#elections.losePrimary('killed', true);
    this.#replication.notifyProgress();
  }

  protected override afterRestart(address: Address): void {
    const member = this.#member(address, true);
    member.restarted(this.timers.now());
    // A restarted mongod comes back as a secondary, whatever it was.
    if (member === this.#elections.primary)
      this.#elections.losePrimary('restarted', this.#elections.autoElect);
    if (member.needsResync) member.resetData();
    this.#replication.replicate(member);
    this.#elections.schedule();
    // State first, events last: a listener that throws cannot leave the set half-changed.
    this.notify('topologyVersionChanged', versionEvent(member));
  }

  protected override afterPartition(address: Address): void {
    const member = this.#member(address, true);
    member.stopReplication();
    if (member === this.#elections.primary && this.#elections.autoElect)
      this.#elections.losePrimary('partitioned', true);
    this.#replication.notifyProgress();
  }

  protected override afterHeal(address: Address): void {
    const member = this.#member(address, true);
    if (member.needsResync) member.resetData();
    this.#replication.replicate(member);
    this.#elections.schedule();
  }

  protected override beforeClose(): void {
    this.#elections.cancelPending();
    for (const member of [...this.#members, ...this.#ghosts]) {
      member.cancelReplication = null;
      member.cursors.clear();
    }
    this.#replication.notifyProgress();
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
          return handleMemberRequest(this.#commands, member, request);
        },
        errorReply: (request, error) =>
          member ? memberErrorReply(this.#commands, member, request, error) : error.toReply(),
      },
      options.port ?? 0,
    );
    member = new ReplicaSetMember(server, config, this.timers.now());
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
      term: this.#elections.term,
      primary: this.#elections.primary,
      electionId: this.#elections.electionId,
      members: this.#members,
      majority: this.#replication.majorityPoint(),
    };
  }
}
