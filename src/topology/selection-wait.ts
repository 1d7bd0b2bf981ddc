/**
 * The one shared wait behind `Topology.selectServer`. Callers that found no suitable server are
 * grouped by what they ask for (read preference, operation, deprioritized servers). On each new
 * snapshot every group is evaluated once, and all its waiters are answered from that one
 * selection: 10,000 waiters for the primary cost one selection per snapshot, not 10,000. Their
 * deadlines share one timer (DeadlineQueue).
 */
import type { Clock } from '../time/clock.js';
import { DeadlineQueue, type Deadline } from '../time/deadline-queue.js';
import type { ServerDescription, TopologyDescription } from '../description/types.js';
import { selectionKey, type SelectionCriteria } from '../selection/criteria.js';
import type { SelectionResult } from '../selection/select-servers.js';

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
  /** Builds the error for waiters whose deadline passed (once per group and timeout). */
  readonly timeoutError: (
    criteria: SelectionCriteria,
    snapshot: TopologyDescription,
    result: SelectionResult,
    timeoutMS: number,
  ) => Error;
  /**
   * The deadline timer fired only after a pause of the whole process: the waiters get one more
   * `graceMS` while a fresh check runs, instead of failing on knowledge from before the pause.
   */
  readonly stalled: () => void;
  readonly graceMS: number;
  /** Called when the first caller starts waiting (true) and when the last one is answered (false). */
  readonly busyChanged?: (busy: boolean) => void;
}

export class SelectionWait {
  readonly #options: SelectionWaitOptions;
  readonly #groups = new Map<string, WaitGroup>();
  readonly #deadlines: DeadlineQueue<SelectionWaiter>;
  #count = 0;

  constructor(options: SelectionWaitOptions) {
    this.#options = options;
    this.#deadlines = new DeadlineQueue<SelectionWaiter>({
      clock: options.clock,
      expire: (expired, stalled) => this.#expire(expired, stalled),
    });
  }

  /** How many callers are waiting. */
  get size(): number {
    return this.#count;
  }

  /** How many distinct groups are waiting (each costs one selection per snapshot). */
  get groups(): number {
    return this.#groups.size;
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
      let group = this.#groups.get(key);
      if (group === undefined) {
        group = { key, criteria, waiters: new Set() };
        this.#groups.set(key, group);
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
      this.#deadlines.add(waiter);
    });
  }

  /** A new snapshot: evaluate each group once and answer all its waiters when it matches. */
  snapshotChanged(snapshot: TopologyDescription): void {
    if (this.#count === 0) return;
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
    for (const waiter of this.#deadlines.drain()) waiter.heapIndex = -1;
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
    this.#count -= 1;
    if (this.#count === 0) this.#options.busyChanged?.(false);
    if (group.waiters.size === 0) this.#groups.delete(group.key);
    this.#deadlines.remove(waiter);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
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
        this.#deadlines.add(waiter);
        extended = true;
      } else {
        failing.push(waiter);
      }
    }
    if (extended) this.#options.stalled();
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
          errors.get(key) ?? this.#options.timeoutError(group.criteria, snapshot, result, waiter.timeoutMS);
        errors.set(key, outcome);
      }
      if (!this.#settle(waiter)) continue;
      const server = outcome instanceof Error ? undefined : this.#options.pick(outcome.inLatencyWindow);
      if (server !== undefined) waiter.resolve(server);
      else waiter.reject(outcome);
    }
  }
}
