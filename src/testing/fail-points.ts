/**
 * Fail points of one simulated server, as mongod keeps them: the `failCommand` fail point set by
 * `configureFailPoint` (one per process, replaced by each configure, gone when the process dies),
 * plus the ones set in code with `failCommand()` (which may span several servers and share one
 * counter). The wire server asks the table about every command before it reaches the handler.
 *
 * Also `onPrimaryTransactionalWrite`, which the retryable-writes spec tests use: it acts inside a
 * retryable write on the primary, which asks the table when it is about to commit; and
 * `failGetMoreAfterCursorCheckout` (the change-streams spec tests): a change stream's getMore
 * asks the table once it holds its cursor, so the error it raises is labelled as mongod labels it.
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
import { isPlainDocument } from './plain-document.js';
import { CloseConnectionError, CommandError, ServerErrorCode } from './server-errors.js';

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

/** Counts a fail point's activations against its mode. */
class ModeCounter {
  hits = 0;
  /** Matching commands seen, whether or not the mode let the fail point act (for `skip`). */
  #seen = 0;

  constructor(readonly mode: FailPointMode) {}

  get spent(): boolean {
    return this.mode.kind === 'off' || (this.mode.kind === 'times' && this.hits >= this.mode.n);
  }

  /** Decides, for a matching command, whether the fail point acts on it now (and counts it). */
  fire(): boolean {
    if (this.spent) return false;
    this.#seen++;
    const mode = this.mode;
    if (mode.kind === 'skip' && this.#seen <= mode.n) return false;
    if (mode.kind === 'activationProbability' && !(Math.random() < mode.p)) return false;
    this.hits++;
    return true;
  }
}

/** One fail point in force, possibly on several servers; the handle users hold. */
export class ActiveFailPoint implements FailCommandHandle {
  #counter: ModeCounter;
  #off = false;
  readonly triggered: Promise<FailPointEvent>;
  #resolveTriggered!: (event: FailPointEvent) => void;
  #tables = new Set<FailPointTable>();

  constructor(
    readonly address: Address | null,
    readonly rule: FailCommandRule,
    mode: FailPointMode,
  ) {
    this.#counter = new ModeCounter(mode);
    this.triggered = new Promise((resolve) => (this.#resolveTriggered = resolve));
  }

  get hits(): number {
    return this.#counter.hits;
  }

  get active(): boolean {
    return !this.#off && !this.#counter.spent;
  }

  /** Decides, for a matching command, whether the fail point acts on it now (and counts it). */
  fire(): boolean {
    if (this.#off || !this.#counter.fire()) return false;
    if (this.#counter.spent) this.off();
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

/**
 * What `onPrimaryTransactionalWrite` does to one retryable write: the primary calls
 * `beforeCommit()` before applying it and `afterCommit()` once it is applied and recorded.
 */
export class TransactionalWriteFailure {
  constructor(
    /** Close the connection without a reply (mongod's default for this fail point). */
    readonly closeConnection: boolean,
    /** Fail the write before it is applied, with this code. */
    readonly failBeforeCommitCode: number | null,
  ) {}

  /** Throws when the write must not be applied. */
  beforeCommit(): void {
    if (this.failBeforeCommitCode === null) return;
    if (this.closeConnection) throw new CloseConnectionError('onPrimaryTransactionalWrite fail point');
    throw new CommandError(
      this.failBeforeCommitCode,
      "Failing write due to 'onPrimaryTransactionalWrite' failpoint. The write must not be reflected.",
    );
  }

  /** Throws when the applied write must go without a reply. */
  afterCommit(): void {
    if (this.closeConnection) throw new CloseConnectionError('onPrimaryTransactionalWrite fail point');
  }
}

interface TransactionalWriteFailPoint {
  readonly counter: ModeCounter;
  readonly failure: TransactionalWriteFailure;
}

/** The fail points of one server. */
export class FailPointTable {
  /** The one `configureFailPoint` set (mongod has one `failCommand` per process). */
  #configured: ActiveFailPoint | null = null;
  #added: ActiveFailPoint[] = [];
  #transactionalWrite: TransactionalWriteFailPoint | null = null;
  #getMoreAfterCheckout: { readonly counter: ModeCounter; readonly code: number } | null = null;

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
    if (name === 'onPrimaryTransactionalWrite') return this.#configureTransactionalWrite(target.command);
    if (name === 'failGetMoreAfterCursorCheckout') return this.#configureGetMoreAfterCheckout(target.command);
    if (name !== 'failCommand') {
      throw new CommandError(
        ServerErrorCode.FailPointSetFailed,
        `${String(name)} not found: the simulator implements the failCommand, onPrimaryTransactionalWrite and failGetMoreAfterCursorCheckout fail points`,
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

  /**
   * `onPrimaryTransactionalWrite`: `data.closeConnection` (default true) and
   * `data.failBeforeCommitExceptionCode`. The simulator applies a command's statements at once, so
   * it acts once per retryable write command (mongod: once per statement).
   */
  #configureTransactionalWrite(command: Document): Document {
    const mode = parseFailPointMode(command['mode']);
    const data: unknown = command['data'] ?? {};
    if (!isPlainDocument(data))
      throw new CommandError(ServerErrorCode.TypeMismatch, "the 'data' option must be a JSON object");
    const close = data['closeConnection'] ?? true;
    if (typeof close !== 'boolean') {
      throw new CommandError(
        ServerErrorCode.TypeMismatch,
        "onPrimaryTransactionalWrite data field 'closeConnection' must be a boolean",
      );
    }
    const code = data['failBeforeCommitExceptionCode'] ?? null;
    if (code !== null && !(typeof code === 'number' && Number.isInteger(code))) {
      throw new CommandError(
        ServerErrorCode.TypeMismatch,
        "onPrimaryTransactionalWrite data field 'failBeforeCommitExceptionCode' must be an integer",
      );
    }
    const count = this.#transactionalWrite?.counter.hits ?? 0;
    this.#transactionalWrite =
      mode.kind === 'off'
        ? null
        : { counter: new ModeCounter(mode), failure: new TransactionalWriteFailure(close, code) };
    return { count, ok: 1 };
  }

  /**
   * `failGetMoreAfterCursorCheckout`: `data.errorCode` (required). It acts on change streams'
   * getMores only (mongod: every getMore), after the cursor is found.
   */
  #configureGetMoreAfterCheckout(command: Document): Document {
    const mode = parseFailPointMode(command['mode']);
    const count = this.#getMoreAfterCheckout?.counter.hits ?? 0;
    if (mode.kind === 'off') {
      this.#getMoreAfterCheckout = null;
      return { count, ok: 1 };
    }
    const data: unknown = command['data'];
    const code = isPlainDocument(data) ? data['errorCode'] : undefined;
    if (!(typeof code === 'number' && Number.isInteger(code) && code > 0)) {
      throw new CommandError(
        ServerErrorCode.TypeMismatch,
        'failGetMoreAfterCursorCheckout needs data.errorCode, a positive integer',
      );
    }
    this.#getMoreAfterCheckout = { counter: new ModeCounter(mode), code };
    return { count, ok: 1 };
  }

  /** For a getMore that holds its cursor: the error code the fail point raises, if it acts. */
  onGetMoreAfterCursorCheckout(): number | null {
    const failPoint = this.#getMoreAfterCheckout;
    if (failPoint === null || !failPoint.counter.fire()) return null;
    if (failPoint.counter.spent) this.#getMoreAfterCheckout = null;
    return failPoint.code;
  }

  /** For a retryable write the primary is about to apply: what the fail point does to it, if it acts. */
  onPrimaryTransactionalWrite(): TransactionalWriteFailure | null {
    const failPoint = this.#transactionalWrite;
    if (failPoint === null || !failPoint.counter.fire()) return null;
    if (failPoint.counter.spent) this.#transactionalWrite = null;
    return failPoint.failure;
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
    this.#transactionalWrite = null;
    this.#getMoreAfterCheckout = null;
  }

  /** The server closed for good: its configured fail point ends, the others no longer act here. */
  clear(): void {
    for (const failPoint of this.#added) failPoint.detach(this);
    this.#added = [];
    this.processDied();
  }
}
