/**
 * Elections in a simulated replica set. Deterministic: among the running, reachable, electable
 * members (priority > 0, not hidden, not an arbiter) of a set that still has a majority of votes,
 * the highest priority wins, then the lowest address. The winner first catches up from the freshest
 * reachable member; entries no reachable member holds are rolled back (their holders resync when
 * they return). Every role change bumps the topologyVersion of every running member, which wakes
 * awaitable hellos at once.
 */
import type { ObjectId } from 'bson';
import type { Address } from '../description/types.js';
import { compareAddresses } from '../description/address.js';
import { WaspnestError } from '../errors.js';
import { electionIdForTerm, type ReplicaSetMember } from './replica-set-member.js';
import type { ReplicaSetReplication } from './replica-set-replication.js';
import type { PrimaryLostEvent, SimulatorEventMap, SimulatorEventName } from './simulated-deployment.js';
import type { TimerRegistry } from './timer-registry.js';

/** Emits a deployment event (SimulatedDeployment's notify). */
export type NotifyFn = <K extends SimulatorEventName>(event: K, ...args: SimulatorEventMap[K]) => void;

/** What elections need to know about the set they run in. */
export interface ElectionHost {
  readonly timers: TimerRegistry;
  readonly replication: ReplicaSetReplication;
  readonly notify: NotifyFn;
  /** Delay between losing a primary and electing the next. */
  readonly electionDelayMS: number;
  /** Elect by itself when the primary is killed or partitioned. */
  readonly autoElect: boolean;
  /** The members in the config. */
  members(): readonly ReplicaSetMember[];
  /** The members in the config and removed ones still running. */
  allMembers(): readonly ReplicaSetMember[];
}

export class ReplicaSetElections {
  primary: ReplicaSetMember | null = null;
  term = 0;
  electionId: ObjectId | null = null;
  #pending: (() => void) | null = null;
  /** Members that just stepped down, not electable in the next election (mongod's stepdown period). */
  #ineligible = new Set<Address>();
  #host: ElectionHost;

  constructor(host: ElectionHost) {
    this.#host = host;
  }

  get autoElect(): boolean {
    return this.#host.autoElect;
  }

  /** Bumps every running member's topologyVersion (wakes awaitable hellos). */
  bumpAll(): void {
    const running = this.#host.allMembers().filter((member) => member.server.up);
    for (const member of running) member.clock.bump();
    for (const member of running) this.#host.notify('topologyVersionChanged', versionEvent(member));
  }

  /** The primary steps down; it cannot win the next election. */
  stepDown(primary: ReplicaSetMember): void {
    this.#ineligible.add(primary.address);
    this.losePrimary('stepDown', true);
  }

  losePrimary(reason: PrimaryLostEvent['reason'], electNext: boolean): void {
    const old = this.primary;
    if (!old) return;
    this.primary = null;
    old.setRole('SECONDARY');
    this.bumpAll();
    this.#host.replication.notifyProgress();
    if (electNext) this.schedule(true);
    this.#host.notify('primaryLost', { address: old.address, reason });
  }

  /** Elects `electionDelayMS` from now, when the set has no primary (and `autoElect` or `force`). */
  schedule(force = false): void {
    if (this.primary || this.#pending || this.#host.timers.closed) return;
    if (!force && !this.#host.autoElect) return;
    this.#pending = this.#host.timers.setTimeout(() => {
      this.#pending = null;
      this.run();
    }, this.#host.electionDelayMS);
  }

  cancelPending(): void {
    this.#pending?.();
    this.#pending = null;
  }

  hasMajority(): boolean {
    const reachableVotes = this.#host
      .members()
      .filter((m) => m.reachable)
      .reduce((sum, m) => sum + m.config.votes, 0);
    return reachableVotes * 2 > this.#host.replication.totalVotes();
  }

  /** @throws WaspnestError when no other member could take over from `primary`. */
  assertSuccessorExists(primary: ReplicaSetMember): void {
    if (!this.#host.members().some((m) => m !== primary && m.electable && m.reachable && !m.needsResync)) {
      throw new WaspnestError(`no electable secondary can take over from ${primary.address}`);
    }
    if (!this.hasMajority()) throw new WaspnestError('a majority of the votes is down or partitioned');
  }

  whyNoElection(): string {
    if (!this.hasMajority()) return 'a majority of the votes is down or partitioned';
    return 'no running, reachable member with priority > 0';
  }

  /** Elects a primary now, if the set can; returns it (or null). */
  run(forced?: ReplicaSetMember): ReplicaSetMember | null {
    if (this.primary) return this.primary;
    if (this.#host.timers.closed || !this.hasMajority()) return null;
    const winner = forced ?? this.#candidates()[0];
    if (!winner) return null;
    const replication = this.#host.replication;
    // Catch up from the freshest reachable member; what none of them has is rolled back.
    const reachableData = this.#host.members().filter((m) => m.reachable && m.dataBearing && !m.needsResync);
    const freshest = Math.max(0, ...reachableData.map((m) => m.applied));
    replication.catchUp(winner, freshest);
    replication.truncate(freshest, this.#host.allMembers());
    this.term++;
    this.electionId = electionIdForTerm(this.term);
    this.primary = winner;
    winner.stopReplication();
    winner.setRole('PRIMARY');
    this.#ineligible.clear();
    // A new primary writes a no-op first, so its lastWrite moves into the new term.
    replication.append(winner, [], null);
    this.bumpAll();
    this.#host.notify('primaryElected', {
      address: winner.address,
      term: this.term,
      electionId: this.electionId.toHexString(),
    });
    return winner;
  }

  #candidates(): ReplicaSetMember[] {
    const eligible = this.#host.members().filter((m) => m.electable && m.reachable && !m.needsResync);
    const fresh = eligible.filter((m) => !this.#ineligible.has(m.address));
    const pool = fresh.length > 0 ? fresh : eligible;
    return pool.sort(
      (a, b) => b.config.priority - a.config.priority || compareAddresses(a.address, b.address),
    );
  }
}

/** The payload of a member's topologyVersionChanged event. */
export function versionEvent(member: ReplicaSetMember): {
  address: Address;
  processId: string;
  counter: number;
} {
  return {
    address: member.address,
    processId: member.clock.processId.toHexString(),
    counter: member.clock.counter,
  };
}
