/**
 * Faults a simulated server injects on command. All but `refuse` act on replies: the command itself
 * still runs (a write is applied even when its reply is lost), as when a network fails after the
 * server did the work. Faults on `hello` also hit each reply of a streaming (exhaust) hello.
 */
import type { Document } from 'bson';
import type { Address } from '../description/types.js';
import { SimulatorOptionsError } from '../errors.js';

/** Which commands a fault applies to; absent = every command. Names compare case-insensitively, and
 * `'hello'` also matches the legacy `isMaster`. */
export interface FaultTarget {
  readonly commands?: readonly string[];
  /** How many replies the fault hits before it is spent; absent = until cleared. */
  readonly times?: number;
}

/**
 * What to break:
 * - `reset`: reset the connection (TCP RST) instead of replying.
 * - `refuse`: stop listening, so new connections are refused (ECONNREFUSED) until the fault is
 *   cleared; connections already open keep working.
 * - `hang`: never reply; the connection stays open.
 * - `slow`: reply after `delayMS`.
 * - `truncatedFrame`: send the first half of the reply's frame, then close the connection.
 * - `wrongLength`: send the reply with its header's messageLength replaced by `length` (default 12,
 *   less than the 16-byte header).
 * - `garbage`: send `bytes` (default an ASCII sentence) instead of a reply.
 * - `malformedHello`: reply with the real hello reply overwritten by `fields` (default
 *   `{ hosts: 42, setVersion: 'x' }`); applies to hello commands unless `commands` says otherwise.
 */
export type FaultSpec =
  | (FaultTarget & { readonly kind: 'reset' | 'hang' | 'truncatedFrame' })
  | (FaultTarget & { readonly kind: 'slow'; readonly delayMS: number })
  | (FaultTarget & { readonly kind: 'wrongLength'; readonly length?: number })
  | (FaultTarget & { readonly kind: 'garbage'; readonly bytes?: Uint8Array })
  | (FaultTarget & { readonly kind: 'malformedHello'; readonly fields?: Document })
  | { readonly kind: 'refuse' };

export type FaultKind = FaultSpec['kind'];

/** Emitted each time a fault hits. */
export interface FaultEvent {
  readonly address: Address;
  readonly kind: FaultKind;
  /** The command whose reply was broken; null for `refuse`. */
  readonly commandName: string | null;
}

/** A fault in force on one server. */
export interface FaultHandle {
  readonly address: Address;
  readonly spec: FaultSpec;
  /** How many times it has hit so far. */
  readonly hits: number;
  /** False once spent (`times` reached) or cleared. */
  readonly active: boolean;
  /** Resolves at the first hit. */
  readonly triggered: Promise<FaultEvent>;
  /** Resolves when `times` hits have happened (never for a fault without `times`). */
  readonly exhausted: Promise<void>;
  /** Removes the fault (a `refuse` fault starts listening again); idempotent. */
  clear(): Promise<void>;
}

/** Default bytes for a `garbage` fault: text, whose first four bytes read as an absurd length. */
export const DEFAULT_GARBAGE = Buffer.from('this is not a MongoDB wire protocol message\n', 'ascii');
export const DEFAULT_WRONG_LENGTH = 12;
export const DEFAULT_MALFORMED_HELLO_FIELDS: Readonly<Document> = Object.freeze({
  hosts: 42,
  setVersion: 'x',
});

const HELLO_NAMES = new Set(['hello', 'ismaster']);

/** True when `commandName` is hello or the legacy isMaster. */
export function isHelloCommand(commandName: string): boolean {
  return HELLO_NAMES.has(commandName.toLowerCase());
}

/** True when a command-name filter entry matches the name sent. */
export function commandMatches(filterName: string, commandName: string): boolean {
  const wanted = filterName.toLowerCase();
  const actual = commandName.toLowerCase();
  return wanted === actual || (wanted === 'hello' && actual === 'ismaster');
}

export function validateFaultSpec(spec: FaultSpec): void {
  if (spec.kind === 'refuse') {
    if ('times' in spec || 'commands' in spec) {
      throw new SimulatorOptionsError(
        "a 'refuse' fault applies to new connections until cleared: it takes no times or commands",
      );
    }
    return;
  }
  const known = ['reset', 'hang', 'slow', 'truncatedFrame', 'wrongLength', 'garbage', 'malformedHello'];
  if (!known.includes(spec.kind))
    throw new SimulatorOptionsError(`unknown fault kind ${JSON.stringify(spec.kind)}`);
  if (spec.times !== undefined && (!Number.isInteger(spec.times) || spec.times < 1)) {
    throw new SimulatorOptionsError(`fault times must be a positive integer, got ${String(spec.times)}`);
  }
  if (spec.kind === 'slow' && !(Number.isFinite(spec.delayMS) && spec.delayMS >= 0)) {
    throw new SimulatorOptionsError(`a 'slow' fault needs delayMS >= 0, got ${String(spec.delayMS)}`);
  }
  if (spec.kind === 'wrongLength' && spec.length !== undefined && !Number.isInteger(spec.length)) {
    throw new SimulatorOptionsError(
      `a 'wrongLength' fault needs an integer length, got ${String(spec.length)}`,
    );
  }
}

type ReplyFaultSpec = Exclude<FaultSpec, { kind: 'refuse' }>;

/** One fault in force, with its counters; the handle users hold. */
export class ActiveFault implements FaultHandle {
  hits = 0;
  active = true;
  readonly triggered: Promise<FaultEvent>;
  readonly exhausted: Promise<void>;
  #resolveTriggered!: (event: FaultEvent) => void;
  #resolveExhausted!: () => void;

  constructor(
    readonly address: Address,
    readonly spec: FaultSpec,
    private readonly onClear: (fault: ActiveFault) => Promise<void>,
  ) {
    this.triggered = new Promise((resolve) => (this.#resolveTriggered = resolve));
    this.exhausted = new Promise((resolve) => (this.#resolveExhausted = resolve));
  }

  /** Records a hit; returns the event to emit. */
  hit(commandName: string | null): FaultEvent {
    this.hits++;
    const event: FaultEvent = { address: this.address, kind: this.spec.kind, commandName };
    this.#resolveTriggered(event);
    if (this.spec.kind !== 'refuse' && this.spec.times !== undefined && this.hits >= this.spec.times) {
      this.active = false;
      this.#resolveExhausted();
    }
    return event;
  }

  matches(commandName: string): this is ActiveFault & { spec: ReplyFaultSpec } {
    const spec = this.spec;
    if (!this.active || spec.kind === 'refuse') return false;
    if (spec.commands !== undefined) return spec.commands.some((name) => commandMatches(name, commandName));
    if (spec.kind === 'malformedHello') return isHelloCommand(commandName);
    return true;
  }

  clear(): Promise<void> {
    if (!this.active) return Promise.resolve();
    this.active = false;
    return this.onClear(this);
  }
}

/** The reply-time faults of one server, first added first applied. */
export class FaultTable {
  #faults: ActiveFault[] = [];

  add(fault: ActiveFault): void {
    this.#faults.push(fault);
  }

  remove(fault: ActiveFault): void {
    this.#faults = this.#faults.filter((f) => f !== fault);
  }

  /** The fault to apply to this reply, if any (its hit is not yet counted). */
  find(commandName: string): (ActiveFault & { spec: ReplyFaultSpec }) | undefined {
    this.#faults = this.#faults.filter((f) => f.active);
    for (const fault of this.#faults) if (fault.matches(commandName)) return fault;
    return undefined;
  }

  clear(): void {
    for (const fault of this.#faults) fault.active = false;
    this.#faults = [];
  }
}
