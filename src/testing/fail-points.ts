/**
 * Fail points of one simulated server, as mongod keeps them: the `failCommand` fail point set by
 * `configureFailPoint` (one per process, replaced by each configure, gone when the process dies),
 * plus the ones set in code with `failCommand()` (which may span several servers and share one
 * counter). The wire server asks the table about every command before it reaches the handler.
 */
import type { Document } from 'bson';
import type { Address } from '../description/types.js';
import {
  parseFailCommandData,
  parseFailPointMode,
  ruleMatches,
  type FailCommandRule,
  type FailCommandTarget,
  type FailPointMode,
} from './fail-command.js';
import { CommandError, ServerErrorCode } from './server-errors.js';

/** Emitted when a fail point acts on a command (before any block, so a test can see it is held). */
export interface FailPointEvent {
  readonly address: Address;
  readonly connectionId: number;
  readonly commandName: string;
  /** The command is held this long before it fails or runs; 0 when not blocked. */
  readonly blockMS: number;
  /** The connection is closed without a reply. */
  readonly closeConnection: boolean;
  /** The command fails with this code without running; null when it runs. */
  readonly errorCode: number | null;
  /** The command runs and its reply gets a writeConcernError. */
  readonly writeConcernError: boolean;
}

/** A fail point set with `failCommand()`. */
export interface FailCommandHandle {
  /** The server it is set on; null when set on every server of the deployment. */
  readonly address: Address | null;
  /** How many commands it has acted on. */
  readonly hits: number;
  /** False once `off()` was called or `times` commands were hit. */
  readonly active: boolean;
  /** Resolves at the first hit. */
  readonly triggered: Promise<FailPointEvent>;
  /** Turns it off; idempotent. */
  off(): void;
}

/** One fail point in force, possibly on several servers; the handle users hold. */
export class ActiveFailPoint implements FailCommandHandle {
  hits = 0;
  /** Matching commands seen, whether or not the mode let the fail point act (for `skip`). */
  #seen = 0;
  #off = false;
  readonly triggered: Promise<FailPointEvent>;
  #resolveTriggered!: (event: FailPointEvent) => void;
  #tables = new Set<FailPointTable>();

  constructor(
    readonly address: Address | null,
    readonly rule: FailCommandRule,
    readonly mode: FailPointMode,
  ) {
    this.triggered = new Promise((resolve) => (this.#resolveTriggered = resolve));
  }

  get active(): boolean {
    if (this.#off || this.mode.kind === 'off') return false;
    return this.mode.kind !== 'times' || this.hits < this.mode.n;
  }

  /** Decides, for a matching command, whether the fail point acts on it now (and counts it). */
  fire(): boolean {
    if (!this.active) return false;
    this.#seen++;
    const mode = this.mode;
    if (mode.kind === 'skip' && this.#seen <= mode.n) return false;
    if (mode.kind === 'activationProbability' && !(Math.random() < mode.p)) return false;
    this.hits++;
    if (!this.active) this.off();
    return true;
  }

  /** Reports a hit that acted (the event the deployment emits). */
  acted(event: FailPointEvent): void {
    this.#resolveTriggered(event);
  }

  attach(table: FailPointTable): void {
    this.#tables.add(table);
  }

  detach(table: FailPointTable): void {
    this.#tables.delete(table);
  }

  off(): void {
    this.#off = true;
    for (const table of this.#tables) table.remove(this);
    this.#tables.clear();
  }
}

/** The fail points of one server. */
export class FailPointTable {
  /** The one `configureFailPoint` set (mongod has one `failCommand` per process). */
  #configured: ActiveFailPoint | null = null;
  #added: ActiveFailPoint[] = [];

  constructor(private readonly address: () => Address) {}

  /** Adds a fail point set in code; it acts until turned off or spent. */
  add(failPoint: ActiveFailPoint): void {
    this.#added.push(failPoint);
    failPoint.attach(this);
  }

  remove(failPoint: ActiveFailPoint): void {
    if (this.#configured === failPoint) this.#configured = null;
    this.#added = this.#added.filter((f) => f !== failPoint);
  }

  /**
   * Answers `configureFailPoint` (admin only). Replaces the server's `failCommand` fail point;
   * replies `count`, how many times the previous one acted, as mongod does.
   */
  configure(target: FailCommandTarget): Document {
    if (target.db !== 'admin') {
      throw new CommandError(
        ServerErrorCode.Unauthorized,
        'configureFailPoint may only be run against the admin database.',
      );
    }
    const name: unknown = target.command['configureFailPoint'];
    if (name !== 'failCommand') {
      throw new CommandError(
        ServerErrorCode.FailPointSetFailed,
        `${String(name)} not found: the simulator implements only the failCommand fail point`,
      );
    }
    const mode = parseFailPointMode(target.command['mode']);
    const rule = mode.kind === 'off' ? null : parseFailCommandData(target.command['data']);
    const previous = this.#configured;
    const count = previous?.hits ?? 0;
    previous?.off();
    if (rule !== null) {
      const failPoint = new ActiveFailPoint(this.address(), rule, mode);
      this.#configured = failPoint;
      failPoint.attach(this);
    }
    return { count, ok: 1 };
  }

  /** The fail point that acts on this command, if any; counts the hit. Configured first, then added ones. */
  evaluate(target: FailCommandTarget): ActiveFailPoint | null {
    const candidates = this.#configured ? [this.#configured, ...this.#added] : this.#added;
    for (const failPoint of candidates) {
      if (ruleMatches(failPoint.rule, target) && failPoint.fire()) return failPoint;
    }
    return null;
  }

  /** The process died: what `configureFailPoint` set is gone (fail points set in code stay). */
  processDied(): void {
    this.#configured?.off();
    this.#configured = null;
  }

  /** The server closed for good: its configured fail point ends, the others no longer act here. */
  clear(): void {
    for (const failPoint of this.#added) failPoint.detach(this);
    this.#added = [];
    this.processDied();
  }
}
