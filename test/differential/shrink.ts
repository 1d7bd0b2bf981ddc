/**
 * Shrinking a scenario to a minimal one that still shows the same divergence: greedy passes that
 * drop steps, seeds and selections and reset reply fields to their absent values, kept whenever
 * the divergence remains, until a whole pass changes nothing. The result is minimal in the sense
 * that no single such change keeps the divergence.
 */
import { classify } from './known-divergences.js';
import { runScenario, type Divergence } from './run-scenario.js';
import type { ReplySpec, Scenario, Step } from './scenario.js';

/** What a divergence is, for "the same divergence": its known class, or its kind when unknown. */
export function signatureOf(divergence: Divergence): string {
  return classify(divergence)?.id ?? `unclassified ${divergence.kind}`;
}

export function showsDivergence(scenario: Scenario, signature: string): boolean {
  return runScenario(scenario).divergences.some((d) => signatureOf(d) === signature);
}

/** Simpler versions of a reply: each optional field reset, each list one entry shorter. */
function simplerReplies(reply: ReplySpec): ReplySpec[] {
  const simpler: ReplySpec[] = [];
  const resets: Partial<ReplySpec>[] = [
    { tags: null },
    { lagMS: null },
    { topologyVersion: null },
    { logicalSessionTimeoutMinutes: null },
    { primary: null },
    { me: null },
    { setVersion: null },
    { electionId: null },
    { minWireVersion: 0 },
    { maxWireVersion: 21 },
  ];
  for (const reset of resets) {
    const key = Object.keys(reset)[0] as keyof ReplySpec;
    if (reply[key] !== reset[key]) simpler.push({ ...reply, ...reset });
  }
  for (const key of ['hosts', 'passives', 'arbiters'] as const) {
    const list = reply[key];
    for (let i = 0; i < list.length; i++) simpler.push({ ...reply, [key]: list.filter((_, j) => j !== i) });
    const lower = list.map((h) => h.toLowerCase());
    if (lower.some((h, i) => h !== list[i])) simpler.push({ ...reply, [key]: lower });
  }
  return simpler;
}

/** Candidate scenarios one change simpler than `scenario`. */
function* simplerScenarios(scenario: Scenario): Generator<Scenario> {
  const { start, steps } = scenario;
  for (let i = steps.length - 1; i >= 0; i--) {
    yield { start, steps: steps.filter((_, j) => j !== i) };
  }
  if (start.seeds.length > 1) {
    for (let i = 0; i < start.seeds.length; i++) {
      yield { start: { ...start, seeds: start.seeds.filter((_, j) => j !== i) }, steps };
    }
  }
  const withStep = (i: number, step: Step): Scenario => ({
    start,
    steps: steps.map((s, j) => (j === i ? step : s)),
  });
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as Step;
    for (let k = 0; k < step.select.length; k++) {
      yield withStep(i, { ...step, select: step.select.filter((_, j) => j !== k) });
    }
    const outcome = step.outcome;
    if (outcome.kind !== 'hello') continue;
    if (outcome.rttMS !== 1) yield withStep(i, { ...step, outcome: { ...outcome, rttMS: 1 } });
    for (const reply of simplerReplies(outcome.reply)) {
      yield withStep(i, { ...step, outcome: { ...outcome, reply } });
    }
  }
}

export function shrink(scenario: Scenario, signature: string): Scenario {
  let current = scenario;
  for (let changed = true; changed;) {
    changed = false;
    for (const candidate of simplerScenarios(current)) {
      if (showsDivergence(candidate, signature)) {
        current = candidate;
        changed = true;
        break;
      }
    }
  }
  return current;
}
