/**
 * The slow path of `Topology.selectServer` and `connect`, and the one shared wait behind it. A
 * caller whose snapshot has no suitable server fails at once when waiting cannot help (or the
 * opening failed); otherwise it requests a refresh and waits. Callers that wait are grouped by what they ask for (read preference, operation, deprioritized servers). On each new
 * snapshot every group is evaluated once, and all its waiters are answered from that one
 * selection: 10,000 waiters for the primary cost one selection per snapshot, not 10,000. Their
 * deadlines share one timer (DeadlineQueue).
 */
import type { Clock } from '../time/clock.js';
import { DeadlineQueue, type Deadline } from '../time/deadline-queue.js';
import type { ServerDescription, TopologyDescription } from '../description/types.js';
import { selectionKey, type SelectionCriteria } from '../selection/criteria.js';
import { failsFast, type SelectionResult } from '../selection/select-servers.js';
import type { SelectionFailure } from '../selection/selection-error.js';

interface WaitGroup {
  readonly key: string;
  readonly criteria: SelectionCriteria;
  readonly waiters: Set<SelectionWaiter>;
}

interface SelectionWaiter extends Deadline {
  deadline: number;
  heapIndex: number;
  /** The timeout the caller asked for (for the error message). */
  readonly timeoutMS: number;
  readonly group: WaitGroup;
  readonly resolve: (server: ServerDescription) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** The deadline was already pushed back once because the process had been paused. */
  extended: boolean;
}

export interface SelectionWaitOptions {
  readonly clock: Clock;
  /** The current snapshot (read when a deadline passes). */
  readonly snapshot: () => TopologyDescription;
  /** Runs the pure selection for one group. */
  readonly select: (snapshot: TopologyDescription, criteria: SelectionCriteria) => SelectionResult;
  /** Picks one server among the candidates in the latency window (power of two choices). */
  readonly pick: (candidates: readonly ServerDescription[]) => ServerDescription | undefined;
  /**
   * Builds the error of a selection that failed: at once (waiting cannot help), or for waiters
   * whose deadline passed (once per group and timeout).
   */
  readonly selectionError: (
    criteria: SelectionCriteria,
    snapshot: TopologyDescription,
    result: SelectionResult,
    failure: SelectionFailure,
  ) => Error;
  /** Why opening failed (an SRV lookup), if it did: every selection then rejects with it. */
  readonly startupError: () => Error | undefined;
  /**
   * Asks the monitors for a check round: a caller found no server, or the deadline timer fired
   * only after a pause of the whole process (the waiters then get one more `graceMS` while a
   * fresh check runs, instead of failing on knowledge from before the pause).
   */
  readonly refresh: () => void;
  readonly graceMS: number;
  /** Called when the first caller starts waiting (true) and when the last one is answered (false). */
  readonly busyChanged?: (busy: boolean) => void;
}

export class SelectionWait {
  readonly #options: SelectionWaitOptions;
  // The groups and the deadline queue exist only while callers wait: most topologies wait only
  // while connecting, and each of them cost about 200 B of heap for the topology's lifetime.
  #groups: Map<string, WaitGroup> | null = null;
  #deadlines: DeadlineQueue<SelectionWaiter> | null = null;
  #count = 0;

  constructor(options: SelectionWaitOptions) {
    this.#options = options;
  }

  #deadlineQueue(): DeadlineQueue<SelectionWaiter> {
    return (this.#deadlines ??= new DeadlineQueue<SelectionWaiter>({
      clock: this.#options.clock,
      expire: (expired, stalled) => this.#expire(expired, stalled),
    }));
  }

  /** How many callers are waiting. */
  get size(): number {
    return this.#count;
  }

  /** How many distinct groups are waiting (each costs one selection per snapshot). */
  get groups(): number {
    return this.#groups?.size ?? 0;
  }

  /** A server for `criteria` from the current snapshot, or (see {@link afterMiss}) a wait for one. */
  select(criteria: SelectionCriteria, timeoutMS: number, signal?: AbortSignal): Promise<ServerDescription> {
    const result = this.#options.select(this.#options.snapshot(), criteria);
    const server = this.#options.pick(result.inLatencyWindow);
    if (server !== undefined) return Promise.resolve(server);
    return this.afterMiss(criteria, result, timeoutMS, signal);
  }

  /**
   * `result` (of the current snapshot) has no server for `criteria`. Rejects at once with the
   * startup error, or a selection error when waiting cannot help or `timeoutMS` is not positive;
   * otherwise requests a refresh and waits (see {@link wait}) for `timeoutMS` (Infinity: no limit).
   */
  afterMiss(
    criteria: SelectionCriteria,
    result: SelectionResult,
    timeoutMS: number,
    signal?: AbortSignal,
  ): Promise<ServerDescription> {
    const options = this.#options;
    const startupError = options.startupError();
    if (startupError !== undefined) return Promise.reject(startupError);
    if (failsFast(result.reason)) {
      return Promise.reject(
        options.selectionError(criteria, options.snapshot(), result, { kind: 'immediate' }),
      );
    }
    options.refresh();
    if (!(timeoutMS > 0)) {
      const failure = { kind: 'timeout', timeoutMS } as const;
      return Promise.reject(options.selectionError(criteria, options.snapshot(), result, failure));
    }
    const deadline = timeoutMS === Infinity ? Infinity : options.clock.now() + timeoutMS;
    return this.wait(criteria, timeoutMS, deadline, signal);
  }

  /**
   * Waits for a snapshot in which `criteria` select a server, until `deadline` (clock ms, from
   * the caller's `timeoutMS`; Infinity for none) or until `signal` aborts (rejecting with the
   * signal's reason).
   */
  wait(
    criteria: SelectionCriteria,
    timeoutMS: number,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<ServerDescription> {
    return new Promise<ServerDescription>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const key = selectionKey(criteria);
      const groups = (this.#groups ??= new Map());
      let group = groups.get(key);
      if (group === undefined) {
        group = { key, criteria, waiters: new Set() };
        groups.set(key, group);
      }
      const waiter: SelectionWaiter = {
        deadline,
        heapIndex: -1,
        timeoutMS,
        group,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        extended: false,
      };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (this.#settle(waiter)) reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      group.waiters.add(waiter);
      this.#count += 1;
      if (this.#count === 1) this.#options.busyChanged?.(true);
      this.#deadlineQueue().add(waiter);
    });
  }

  /** A new snapshot: evaluate each group once and answer all its waiters when it matches. */
  snapshotChanged(snapshot: TopologyDescription): void {
    if (this.#count === 0 || this.#groups === null) return;
    for (const group of [...this.#groups.values()]) {
      const result = this.#options.select(snapshot, group.criteria);
      if (result.inLatencyWindow.length === 0) continue;
      for (const waiter of [...group.waiters]) {
        const server = this.#options.pick(result.inLatencyWindow);
        if (server !== undefined && this.#settle(waiter)) waiter.resolve(server);
      }
    }
  }

  /** Rejects every waiter with `error` (the topology closed). */
  rejectAll(error: Error): void {
    if (this.#deadlines !== null) for (const waiter of this.#deadlines.drain()) waiter.heapIndex = -1;
    if (this.#groups === null) return;
    for (const group of [...this.#groups.values()]) {
      for (const waiter of [...group.waiters]) {
        if (this.#settle(waiter)) waiter.reject(error);
      }
    }
  }

  /** Removes a waiter from its group, the deadline queue and its signal; false when already settled. */
  #settle(waiter: SelectionWaiter): boolean {
    const { group } = waiter;
    if (!group.waiters.delete(waiter)) return false;
    this.#deadlines?.remove(waiter);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    if (group.waiters.size === 0) this.#groups?.delete(group.key);
    this.#count -= 1;
    if (this.#count === 0) {
      // Nobody waits: the (empty) groups and deadline queue go until somebody waits again.
      this.#groups = null;
      this.#deadlines = null;
      this.#options.busyChanged?.(false);
    }
    return true;
  }

  #expire(expired: SelectionWaiter[], stalled: boolean): void {
    const now = this.#options.clock.now();
    const failing: SelectionWaiter[] = [];
    let extended = false;
    for (const waiter of expired) {
      if (stalled && !waiter.extended) {
        waiter.extended = true;
        waiter.deadline = now + this.#options.graceMS;
        this.#deadlineQueue().add(waiter);
        extended = true;
      } else {
        failing.push(waiter);
      }
    }
    if (extended) this.#options.refresh();
    if (failing.length === 0) return;
    const snapshot = this.#options.snapshot();
    // One selection per group, one error per group and timeout.
    const results = new Map<WaitGroup, SelectionResult>();
    const errors = new Map<string, Error>();
    for (const waiter of failing) {
      const { group } = waiter;
      let result = results.get(group);
      if (result === undefined) {
        result = this.#options.select(snapshot, group.criteria);
        results.set(group, result);
      }
      // A last look: a server may have become suitable with time alone (staleness, say).
      let outcome: SelectionResult | Error = result;
      if (result.inLatencyWindow.length === 0) {
        const key = `${group.key} ${waiter.timeoutMS}`;
        outcome =
          errors.get(key) ??
          this.#options.selectionError(group.criteria, snapshot, result, {
            kind: 'timeout',
            timeoutMS: waiter.timeoutMS,
          });
        errors.set(key, outcome);
      }
      if (!this.#settle(waiter)) continue;
      const server = outcome instanceof Error ? undefined : this.#options.pick(outcome.inLatencyWindow);
      if (server !== undefined) waiter.resolve(server);
      else waiter.reject(outcome);
    }
  }
}
