/**
 * The demo's call load counts what really happened to each call, by outcome and by kind of call:
 * driven against a real Topology with scripted monitors on the virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { CallLoad, type CallKind, type CallOutcome } from '../../src/cli/call-load.js';
import { seededRandom } from '../../src/cli/seeded-random.js';
import { ScriptedHello } from '../../src/testing/scripted-topology.js';
import { A, B, C, electionId, flush, members, scripted } from '../unit/topology/scripted.js';

const west = { mode: 'secondary', tags: [{ dc: 'west' }] } as const;
const mix: readonly CallKind[] = [
  { label: 'write', readPreference: 'primary', failFast: false, weight: 1 },
  { label: 'west', readPreference: west, failFast: false, weight: 1 },
  { label: 'west (fail fast)', readPreference: west, failFast: true, weight: 1 },
];

/** Moves the virtual clock in small steps, letting the callers run between them. */
async function run(t: ReturnType<typeof scripted>, ms: number): Promise<void> {
  for (let passed = 0; passed < ms; passed += 10) {
    t.advance(10);
    await flush();
  }
}

describe('CallLoad', () => {
  it('counts served, waited, failed-fast and timed-out calls per kind of call', async () => {
    const t = scripted({ heartbeatFrequencyMS: 60_000 }).start();
    // A (east) is primary; B and C (west) are down: no west secondary at first.
    t.reply(A, ScriptedHello.primary('rs0', members, { electionId: electionId(1), tags: { dc: 'east' } }));
    t.fail(B).fail(C);
    const outcomes: CallOutcome[] = [];
    const load = new CallLoad(t.topology, {
      callers: 6,
      clock: t.clock,
      selectionTimeoutMS: 500,
      thinkTimeMS: [10, 20],
      mix,
      random: seededRandom(7),
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    load.start();
    await run(t, 1500);
    // B comes back as a west secondary: the calls waiting for one are served.
    const waitingForWest = t.topology.waiting.selections;
    t.reply(B, ScriptedHello.secondary('rs0', members, { tags: { dc: 'west' }, primary: A }));
    await run(t, 200);
    await load.stop();
    const stats = load.stats();
    const byLabel = new Map(stats.byKind.map((k) => [k.label, k]));
    const write = byLabel.get('write');
    const waiting = byLabel.get('west');
    const fast = byLabel.get('west (fail fast)');

    expect(write?.immediate).toBeGreaterThan(0);
    expect(write?.timedOut).toBe(0);
    expect(waiting?.timedOut).toBeGreaterThan(0);
    expect(waitingForWest).toBeGreaterThan(0);
    expect(waiting?.waited).toBe(waitingForWest);
    expect(fast?.failedFast).toBeGreaterThan(0);
    expect(fast?.timedOut).toBe(0);
    // Totals are the sums of the kinds, and every failure reached onOutcome with its class.
    expect(stats.timedOut).toBe(waiting?.timedOut);
    expect(stats.failedFast).toBe(fast?.failedFast);
    expect(stats.otherErrors).toBe(0);
    expect(outcomes.filter((o) => o.outcome === 'timedOut').length).toBe(stats.timedOut);
    expect(outcomes.filter((o) => o.outcome === 'timedOut').every((o) => o.kind.label === 'west')).toBe(true);
    await t.close();
  });

  it('counts calls ended by a closed topology, not as time-outs', async () => {
    const t = scripted({ heartbeatFrequencyMS: 60_000 }).start();
    const load = new CallLoad(t.topology, {
      callers: 3,
      clock: t.clock,
      selectionTimeoutMS: 10_000,
      thinkTimeMS: [10, 20],
      mix: [{ label: 'write', readPreference: 'primary', failFast: false, weight: 1 }],
    });
    load.start();
    await flush();
    expect(t.topology.waiting.selections).toBe(3);
    await t.close();
    await flush();
    await load.stop();
    const stats = load.stats();
    expect(stats.topologyClosed).toBe(3);
    expect(stats.timedOut).toBe(0);
    expect(stats.otherErrors).toBe(0);
  });
});
