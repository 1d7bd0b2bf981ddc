/**
 * The demo's fault schedule, as data: when to step the primary down, kill it and restart it,
 * partition it and heal it. One cycle makes three failovers in under five seconds; without a
 * duration the cycle repeats until Ctrl-C. Pure: the demo runs the steps on its own timers.
 */

export type FaultAction = 'stepDown' | 'kill' | 'restart' | 'partition' | 'heal';

export interface FaultStep {
  /** ms after the start of the demo. */
  readonly atMS: number;
  readonly action: FaultAction;
}

/** One cycle, relative to its start. `kill` and `partition` hit the primary of the moment. */
const cycle: readonly FaultStep[] = [
  { atMS: 800, action: 'stepDown' },
  { atMS: 2000, action: 'kill' },
  { atMS: 3000, action: 'restart' },
  { atMS: 3800, action: 'partition' },
  { atMS: 4800, action: 'heal' },
];
export const cycleLengthMS = 5500;

/**
 * The steps of a demo lasting `durationMS` (null: forever). A step is kept only when it leaves
 * `settleMS` before the end, so that the failover it causes is seen before the summary. (A
 * member still killed or partitioned at the end is closed with the rest of the set.)
 */
export function* faultSchedule(durationMS: number | null, settleMS = 1000): Generator<FaultStep> {
  for (let start = 0; ; start += cycleLengthMS) {
    for (const step of cycle) {
      const atMS = start + step.atMS;
      if (durationMS !== null && atMS > durationMS - settleMS) return;
      yield { atMS, action: step.action };
    }
  }
}
