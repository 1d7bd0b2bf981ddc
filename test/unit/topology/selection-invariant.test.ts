/**
 * The waiting-selection invariant: a selectServer that rejects because its time ran out never had,
 * in any snapshot swapped in during its wait, a server suitable for its read preference.
 *
 * Seeded random scripts drive a three-member set whose members carry data-centre tags (one east,
 * two west, as in the demo) through elections, step-downs that turn a tagged primary into a
 * secondary, network errors and the passing of time, while callers with a mix of read
 * preferences and deadlines wait. Every time-out is checked against every snapshot the topology
 * swapped in between the call and its rejection.
 */
import { describe, expect, it } from 'vitest';
import { ServerSelectionError } from '../../../src/errors.js';
import type { ReadPreferenceLike } from '../../../src/selection/read-preference.js';
import { seededRandom } from '../../../src/cli/seeded-random.js';
import { ScriptedHello } from '../../../src/testing/scripted-topology.js';
import { InvariantViolation, SnapshotWitness } from '../../support/snapshot-witness.js';
import { A, B, C, electionId, flush, members, scripted } from './scripted.js';

const TAGS: Readonly<Record<string, Record<string, string>>> = {
  [A]: { dc: 'east' },
  [B]: { dc: 'west' },
  [C]: { dc: 'west' },
};
const HEARTBEAT_MS = 10_000;

const READ_PREFERENCES: readonly ReadPreferenceLike[] = [
  'primary',
  'secondary',
  'secondaryPreferred',
  { mode: 'secondary', tags: [{ dc: 'west' }] },
  { mode: 'secondary', tags: [{ dc: 'east' }] },
  { mode: 'nearest', tags: [{ dc: 'east' }] },
  { mode: 'primaryPreferred', tags: [{ dc: 'west' }] },
];

interface Tally {
  served: number;
  timedOutChecked: number;
  violations: string[];
}

/** One seeded scenario: `steps` random script steps, callers joining as it goes. */
async function runScenario(seed: number, steps: number, tally: Tally): Promise<void> {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const t = scripted({ heartbeatFrequencyMS: HEARTBEAT_MS }).start();
  const witness = new SnapshotWitness(t.topology);
  let term = 0;
  let primary: string | null = null;
  const primaryHello = (address: string): object =>
    ScriptedHello.primary('rs0', members, { electionId: electionId(term), tags: TAGS[address] });
  const secondaryHello = (address: string): object =>
    ScriptedHello.secondary('rs0', members, {
      tags: TAGS[address],
      ...(primary !== null && primary !== address ? { primary } : {}),
    });
  const calls: Promise<void>[] = [];

  const call = (): void => {
    const readPreference = pick(READ_PREFERENCES);
    const from = witness.sample();
    const timeoutMS = 50 + Math.floor(random() * 2000);
    calls.push(
      t.topology.selectServer(readPreference, { timeoutMS }).then(
        () => {
          tally.served++;
        },
        (error: unknown) => {
          if (!(error instanceof ServerSelectionError) || !error.timedOut) throw error;
          const to = error.snapshotVersion;
          if (to === null) throw new Error('a timed-out selection did not say its snapshot version');
          try {
            witness.assertTimeoutJustified(readPreference, from, to, { heartbeatFrequencyMS: HEARTBEAT_MS });
            tally.timedOutChecked++;
          } catch (violation) {
            if (!(violation instanceof InvariantViolation)) throw violation;
            tally.violations.push(`seed ${seed}: ${violation.message}`);
          }
        },
      ),
    );
  };

  for (let step = 0; step < steps; step++) {
    const roll = random();
    const member = pick(members);
    if (roll < 0.15) {
      // An election: the old primary steps down first (it is a secondary now), then `member` wins.
      if (primary !== null && primary !== member)
        t.reply(primary, ScriptedHello.secondary('rs0', members, { tags: TAGS[primary] }));
      term++;
      primary = member;
      t.reply(member, primaryHello(member));
    } else if (roll < 0.25) {
      // A step-down with no successor yet.
      if (primary !== null) {
        const old = primary;
        primary = null;
        t.reply(old, secondaryHello(old));
      }
    } else if (roll < 0.45) {
      if (member !== primary) t.reply(member, secondaryHello(member));
    } else if (roll < 0.55) {
      if (member === primary) primary = null;
      t.fail(member);
    } else if (roll < 0.8) {
      t.advance(1 + Math.floor(random() * 700));
    } else {
      const count = 1 + Math.floor(random() * 4);
      for (let i = 0; i < count; i++) call();
    }
    witness.sample();
    await flush();
  }
  // Let every remaining call end: by a new snapshot or by its deadline.
  t.advance(10 * HEARTBEAT_MS);
  witness.sample();
  await Promise.all(calls);
  witness.stop();
  await t.close();
}

describe('a waiting selectServer that times out', () => {
  it('never had a suitable server in any snapshot swapped in during its wait (200 seeded scripts)', async () => {
    const tally: Tally = { served: 0, timedOutChecked: 0, violations: [] };
    for (let seed = 1; seed <= 200; seed++) await runScenario(seed, 120, tally);
    expect(tally.violations).toEqual([]);
    // The scripts must exercise both outcomes, or the check above proves nothing.
    expect(tally.timedOutChecked).toBeGreaterThan(100);
    expect(tally.served).toBeGreaterThan(100);
  });

  it('is served by a tagged member that steps down while the call waits', async () => {
    const t = scripted({ heartbeatFrequencyMS: HEARTBEAT_MS }).start();
    const witness = new SnapshotWitness(t.topology);
    // B (west) is primary, C (west) is down, A (east) is a secondary: no west secondary.
    t.reply(B, ScriptedHello.primary('rs0', members, { electionId: electionId(1), tags: TAGS[B] }));
    t.reply(A, ScriptedHello.secondary('rs0', members, { tags: TAGS[A], primary: B }));
    t.fail(C);
    const west = { mode: 'secondary', tags: [{ dc: 'west' }] } as const;
    const waiting = t.topology.selectServer(west, { timeoutMS: 2000 });
    t.advance(500);
    // B steps down: it is a west secondary now, and the waiter must get it at once.
    t.reply(B, ScriptedHello.secondary('rs0', members, { tags: TAGS[B] }));
    await flush();
    // Answered by that snapshot, with no time passing and no further check.
    expect(t.topology.waiting.selections).toBe(0);
    const server = await waiting;
    expect(server.address).toBe(B);
    expect(witness.seen).toBeGreaterThan(1);
    witness.stop();
    await t.close();
  });

  it('is reported by the witness when a snapshot it skipped held a suitable server', async () => {
    // The witness itself must be able to fail: feed it a time-out that a snapshot contradicts.
    const t = scripted({ heartbeatFrequencyMS: HEARTBEAT_MS }).start();
    const witness = new SnapshotWitness(t.topology);
    const from = witness.sample();
    t.reply(B, ScriptedHello.secondary('rs0', members, { tags: TAGS[B] }));
    const to = witness.sample();
    expect(() =>
      witness.assertTimeoutJustified({ mode: 'secondary', tags: [{ dc: 'west' }] }, from, to, {
        heartbeatFrequencyMS: HEARTBEAT_MS,
      }),
    ).toThrow(/held a suitable server: b:27017/);
    // And it refuses to vouch for versions it never saw.
    expect(() =>
      witness.assertTimeoutJustified('primary', from, to + 5, { heartbeatFrequencyMS: 1 }),
    ).toThrow(/incomplete evidence/);
    witness.stop();
    await t.close();
  });
});
