/**
 * Scenarios of the differential test: a starting topology and a sequence of check outcomes, as
 * plain JSON (so that a minimal reproduction can be printed, stored and replayed), drawn from a
 * seed. Every domain is small on purpose, so that collisions are frequent: four addresses, two
 * set names, three electionIds, two server processes, a handful of lags and wire ranges.
 */
import { seededRandom } from '../../src/cli/seeded-random.js';

export const POOL = ['a:27017', 'b:27017', 'c:27017', 'd:27017'] as const;

export type Role =
  'primary' | 'secondary' | 'arbiter' | 'hidden' | 'passive' | 'other' | 'mongos' | 'ghost' | 'standalone';

/** A hello reply, described by small values; `toHelloDocument` makes the BSON document. */
export interface ReplySpec {
  readonly role: Role;
  readonly setName: string | null;
  readonly hosts: readonly string[];
  readonly passives: readonly string[];
  readonly arbiters: readonly string[];
  readonly me: string | null;
  readonly primary: string | null;
  readonly setVersion: number | null;
  /** 1, 2 or 3: the electionId ObjectId 7fffffff000000000000000N. */
  readonly electionId: number | null;
  readonly minWireVersion: number;
  readonly maxWireVersion: number;
  /** processId 1 or 2 (ObjectIds), and a counter. */
  readonly topologyVersion: { readonly process: number; readonly counter: number } | null;
  /** How far (ms) the server's last write is behind the time of the check; null: no lastWrite. */
  readonly lagMS: number | null;
  readonly logicalSessionTimeoutMinutes: number | null;
  readonly tags: Readonly<Record<string, string>> | null;
}

export type Outcome =
  | { readonly kind: 'hello'; readonly reply: ReplySpec; readonly rttMS: number }
  | { readonly kind: 'networkError' };

export interface ReadPreferenceSpec {
  readonly mode: 'primary' | 'primaryPreferred' | 'secondary' | 'secondaryPreferred' | 'nearest';
  readonly tags: readonly Readonly<Record<string, string>>[];
  readonly maxStalenessSeconds: number | null;
  /** A write (the driver selects it with mode primary). */
  readonly write?: boolean;
}

export interface Step {
  /** The test clock when the outcome arrives (ms). */
  readonly at: number;
  readonly address: string;
  readonly outcome: Outcome;
  /** Selections compared on the state reached after this step. */
  readonly select: readonly ReadPreferenceSpec[];
}

export interface Scenario {
  readonly start: {
    readonly type: 'Unknown' | 'ReplicaSetNoPrimary' | 'Single';
    readonly seeds: readonly string[];
    readonly setName: string | null;
  };
  readonly steps: readonly Step[];
}

/** Every read preference compared: each mode, with tag sets and with valid maxStalenessSeconds. */
export const READ_PREFERENCES: readonly ReadPreferenceSpec[] = (() => {
  const list: ReadPreferenceSpec[] = [
    { mode: 'primary', tags: [], maxStalenessSeconds: null },
    { mode: 'primary', tags: [], maxStalenessSeconds: null, write: true },
  ];
  const modes = ['primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest'] as const;
  for (const mode of modes) {
    list.push({ mode, tags: [], maxStalenessSeconds: null });
    list.push({ mode, tags: [{ dc: 'east' }, {}], maxStalenessSeconds: null });
    list.push({ mode, tags: [{ dc: 'west' }], maxStalenessSeconds: null });
    list.push({ mode, tags: [], maxStalenessSeconds: 90 });
    list.push({ mode, tags: [{ dc: 'east' }], maxStalenessSeconds: 150 });
  }
  return list;
})();

const LAGS = [0, 1_000, 5_000, 20_000, 89_000, 95_000, 200_000] as const;
const RTTS = [1, 2, 5, 15.5, 16.5, 30, 45] as const;

/** The scenario of one seed. */
export function generateScenario(seed: number): Scenario {
  const random = seededRandom(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const chance = (p: number): boolean => random() < p;
  const subset = (min = 0): string[] => {
    const list = POOL.filter(() => chance(0.6));
    while (list.length < min) {
      const extra = pick(POOL);
      if (!list.includes(extra)) list.push(extra);
    }
    return list;
  };
  /** Host lists are spelled as servers might: now and then in upper case. */
  const spell = (list: readonly string[]): string[] => list.map((h) => (chance(0.1) ? h.toUpperCase() : h));

  const type = pick(['Unknown', 'Unknown', 'ReplicaSetNoPrimary', 'Single'] as const);
  const seeds = type === 'Single' ? [pick(POOL)] : subset(1);
  const setName = type === 'ReplicaSetNoPrimary' ? 'rs0' : type === 'Single' && chance(0.5) ? 'rs0' : null;
  const modern = chance(0.5);

  const steps: Step[] = [];
  /** Each server's last reply and RTT: most heartbeats repeat them, with a new lag and RTT. */
  const last = new Map<string, { reply: ReplySpec; rttMS: number }>();
  let at = 1_000_000;
  const length = 1 + int(30);
  for (let i = 0; i < length; i++) {
    at += pick([0, 500, 5_000, 10_000, 10_000, 60_000, 200_000]);
    const address = pick(POOL);
    const select = chance(0.5) ? [pick(READ_PREFERENCES)] : [];
    if (chance(0.1)) {
      last.delete(address);
      steps.push({ at, address, outcome: { kind: 'networkError' }, select });
      continue;
    }
    const previous = last.get(address);
    if (previous !== undefined && chance(0.6)) {
      // A heartbeat whose (=) fields are unchanged: only the lag and the round-trip time move.
      const reply = { ...previous.reply, lagMS: pick(LAGS) };
      const rttMS = chance(0.5) ? pick(RTTS) : Math.max(0, previous.rttMS + pick([-1.5, -0.5, 0.5, 1, 1.5]));
      last.set(address, { reply, rttMS });
      steps.push({ at, address, outcome: { kind: 'hello', reply, rttMS }, select });
      continue;
    }
    const role = pick([
      'primary',
      'primary',
      'secondary',
      'secondary',
      'secondary',
      'arbiter',
      'hidden',
      'passive',
      'other',
      'mongos',
      'ghost',
      'standalone',
    ] as const);
    const member = !['mongos', 'ghost', 'standalone'].includes(role);
    const hosts = member ? subset() : [];
    const passives = member && (role === 'passive' || chance(0.2)) ? subset() : [];
    if (role === 'passive' && !passives.includes(address)) passives.push(address);
    const arbiters = member && chance(0.15) ? subset() : [];
    const incompatible = chance(0.02);
    const reply: ReplySpec = {
      role,
      setName: member ? pick(['rs0', 'rs0', 'rs0', 'rs1']) : role === 'mongos' && chance(0.1) ? 'rs0' : null,
      hosts: spell(hosts),
      passives: spell(passives),
      arbiters: spell(arbiters),
      me: member ? pick([address, address, address, address.toUpperCase(), pick(POOL), null]) : null,
      primary: member && chance(0.4) ? pick(POOL) : null,
      setVersion: role === 'primary' || chance(0.2) ? pick([null, 1, 2, 2, 3]) : null,
      electionId: role === 'primary' ? pick([null, 1, 2, 2, 3]) : null,
      minWireVersion: incompatible && chance(0.5) ? 30 : 0,
      maxWireVersion: incompatible ? pick([3, 31]) : modern ? pick([17, 21, 25]) : pick([13, 17, 21]),
      topologyVersion: chance(0.6) ? { process: pick([1, 2]), counter: int(4) } : null,
      lagMS: chance(0.85) ? pick(LAGS) : null,
      logicalSessionTimeoutMinutes: chance(0.9) ? pick([30, 30, 20]) : null,
      tags: chance(0.7) ? { dc: pick(['east', 'west']) } : null,
    };
    const rttMS = pick(RTTS);
    last.set(address, { reply, rttMS });
    steps.push({ at, address, outcome: { kind: 'hello', reply, rttMS }, select });
  }
  return { start: { type, seeds, setName }, steps };
}
