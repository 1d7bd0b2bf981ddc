/**
 * The demo's application load: concurrent callers, each picking a server by read preference in a
 * loop, as a client would before each operation. Some fail fast (selectServerNow: a server now
 * or nothing), the others wait for a refresh up to a deadline (selectServer). Counting what
 * happened to them shows the herd staying home: however many wait, the servers are not
 * checked more often.
 */
import { setMaxListeners } from 'node:events';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { ServerDescription } from '../description/types.js';
import { ServerSelectionError, TopologyClosedError } from '../errors.js';
import { seededRandom } from './seeded-random.js';
import type { CallKindOutcomes, CallStats } from './live-view.js';

/** A read preference as the Topology accepts it. */
export type DemoReadPreference =
  | 'primary'
  | 'primaryPreferred'
  | 'secondary'
  | 'secondaryPreferred'
  | 'nearest'
  | { readonly mode: string; readonly tags?: readonly Readonly<Record<string, string>>[] };

/** The part of a Topology the load uses. */
export interface SelectingTopology {
  selectServerNow(readPreference?: DemoReadPreference): ServerDescription | undefined;
  selectServer(
    readPreference?: DemoReadPreference,
    options?: { timeoutMS?: number; signal?: AbortSignal },
  ): Promise<ServerDescription>;
}

export interface CallKind {
  readonly label: string;
  readonly readPreference: DemoReadPreference;
  /** Fail at once when the snapshot has no suitable server, instead of waiting for a refresh. */
  readonly failFast: boolean;
  readonly weight: number;
}

/** Writes go to the primary; reads use a mix of read preferences, one with a tag set. */
export const demoCallMix: readonly CallKind[] = [
  { label: 'write', readPreference: 'primary', failFast: false, weight: 35 },
  { label: 'write (fail fast)', readPreference: 'primary', failFast: true, weight: 15 },
  { label: 'read secondaryPreferred', readPreference: 'secondaryPreferred', failFast: false, weight: 20 },
  {
    label: 'read secondary dc=west',
    readPreference: { mode: 'secondary', tags: [{ dc: 'west' }] },
    failFast: false,
    weight: 10,
  },
  { label: 'read nearest (fail fast)', readPreference: 'nearest', failFast: true, weight: 10 },
  { label: 'read primaryPreferred', readPreference: 'primaryPreferred', failFast: false, weight: 10 },
];

export interface CallLoadOptions {
  readonly callers: number;
  readonly clock: Clock;
  /** Deadline of a waiting call. */
  readonly selectionTimeoutMS: number;
  /** Pause between two calls of one caller: a random time in [min, max) ms (the "operation"). */
  readonly thinkTimeMS: readonly [number, number];
  readonly mix?: readonly CallKind[];
  readonly random?: () => number;
  /** Told about every call that waited or failed, for the event log. */
  readonly onOutcome?: (outcome: CallOutcome) => void;
}

/** What happened to one call that did not find a server at once. */
export interface CallOutcome {
  readonly kind: CallKind;
  readonly outcome: 'waited' | 'failedFast' | 'timedOut' | 'topologyClosed' | 'otherError';
  /** How long the call waited, ms (0 for a call that failed fast). */
  readonly waitedMS: number;
  /** The error the call ended with, if any. */
  readonly error?: unknown;
}

type MutableOutcomes = { -readonly [K in keyof CallKindOutcomes]: CallKindOutcomes[K] };

function emptyOutcomes(label: string): MutableOutcomes {
  return {
    label,
    immediate: 0,
    waited: 0,
    maxWaitMS: 0,
    failedFast: 0,
    timedOut: 0,
    topologyClosed: 0,
    otherErrors: 0,
  };
}

/** Which count an error of a waiting call belongs to. */
function classifyFailure(error: unknown): 'failedFast' | 'timedOut' | 'topologyClosed' | 'otherError' {
  if (error instanceof ServerSelectionError) return error.timedOut ? 'timedOut' : 'failedFast';
  if (error instanceof TopologyClosedError) return 'topologyClosed';
  return 'otherError';
}

export class CallLoad {
  private readonly byKind: Map<CallKind, MutableOutcomes>;
  private readonly abort = new AbortController();
  private readonly timers = new Set<{ handle: TimerHandle; resolve: () => void }>();
  private workers: Promise<void>[] = [];
  private readonly random: () => number;
  private readonly mix: readonly CallKind[];
  private readonly totalWeight: number;

  constructor(
    private readonly topology: SelectingTopology,
    private readonly options: CallLoadOptions,
  ) {
    this.random = options.random ?? seededRandom(42);
    this.mix = options.mix ?? demoCallMix;
    this.totalWeight = this.mix.reduce((sum, k) => sum + k.weight, 0);
    this.byKind = new Map(this.mix.map((kind) => [kind, emptyOutcomes(kind.label)]));
  }

  start(): void {
    // Every waiting caller listens to the one stop signal: that many listeners are expected.
    setMaxListeners(this.options.callers + 10, this.abort.signal);
    for (let i = 0; i < this.options.callers; i++) this.workers.push(this.worker());
  }

  stats(): CallStats {
    const byKind = [...this.byKind.values()].map((outcomes) => ({ ...outcomes }));
    const total = emptyOutcomes('all');
    for (const kind of byKind) {
      total.immediate += kind.immediate;
      total.waited += kind.waited;
      total.maxWaitMS = Math.max(total.maxWaitMS, kind.maxWaitMS);
      total.failedFast += kind.failedFast;
      total.timedOut += kind.timedOut;
      total.topologyClosed += kind.topologyClosed;
      total.otherErrors += kind.otherErrors;
    }
    const { label: _all, ...totals } = total;
    return { callers: this.options.callers, ...totals, byKind };
  }

  /** Stops every caller: pending waits are aborted, pauses cut short. Resolves when all ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const timer of this.timers) {
      timer.handle.cancel();
      timer.resolve();
    }
    this.timers.clear();
    await Promise.all(this.workers);
  }

  private pick(): CallKind {
    let r = this.random() * this.totalWeight;
    for (const kind of this.mix) {
      r -= kind.weight;
      if (r < 0) return kind;
    }
    return this.mix[this.mix.length - 1] as CallKind;
  }

  private pause(): Promise<void> {
    const [min, max] = this.options.thinkTimeMS;
    const ms = min + this.random() * (max - min);
    return new Promise((resolve) => {
      const entry = {
        resolve,
        handle: this.options.clock.setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
      };
      this.timers.add(entry);
    });
  }

  private async worker(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      const ended = await this.call(this.pick(), signal);
      // A closed topology does not reopen: this caller has nothing more to do.
      if (ended === 'aborted' || ended === 'topologyClosed' || signal.aborted) break;
      await this.pause();
    }
  }

  /** One call, counted under its kind; says how it ended. */
  private async call(
    kind: CallKind,
    signal: AbortSignal,
  ): Promise<CallOutcome['outcome'] | 'immediate' | 'aborted'> {
    const counts = this.byKind.get(kind) as MutableOutcomes;
    const started = this.options.clock.now();
    let outcome: CallOutcome['outcome'];
    let error: unknown;
    try {
      if (this.topology.selectServerNow(kind.readPreference) !== undefined) {
        counts.immediate++;
        return 'immediate';
      }
      if (kind.failFast) {
        outcome = 'failedFast';
      } else {
        await this.topology.selectServer(kind.readPreference, {
          timeoutMS: this.options.selectionTimeoutMS,
          signal,
        });
        outcome = 'waited';
      }
    } catch (caught) {
      // Aborted by stop(): not an outcome of the demo.
      if (signal.aborted) return 'aborted';
      outcome = classifyFailure(caught);
      error = caught;
    }
    const waitedMS = outcome === 'failedFast' && error === undefined ? 0 : this.options.clock.now() - started;
    if (outcome === 'waited') counts.maxWaitMS = Math.max(counts.maxWaitMS, waitedMS);
    if (outcome === 'otherError') counts.otherErrors++;
    else counts[outcome]++;
    this.options.onOutcome?.({ kind, outcome, waitedMS, ...(error === undefined ? {} : { error }) });
    return outcome;
  }
}
