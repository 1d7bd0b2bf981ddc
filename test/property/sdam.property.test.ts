/**
 * Property tests of the pure SDAM core: random sequences of hello replies (every server type,
 * random set names, setVersions, electionIds, member lists, topologyVersions), network failures,
 * malformed replies and application errors over a 5-member deployment. Whatever the sequence,
 * nothing throws and every snapshot keeps the invariants the rest of waspnest relies on.
 */
import assert from 'node:assert/strict';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Long, ObjectId } from 'bson';
import { applyServerDescription } from '../../src/description/apply-server-description.js';
import { applyApplicationError } from '../../src/description/application-error.js';
import { sdamEventsBetween } from '../../src/description/sdam-events.js';
import {
  serverDescriptionFromError,
  serverDescriptionFromHello,
} from '../../src/description/server-description.js';
import {
  initialTopologyDescription,
  type TopologyOptions,
} from '../../src/description/topology-description.js';
import { ServerType, TopologyType } from '../../src/description/server-type.js';
import { NetworkError, NetworkTimeoutError, ServerReplyError } from '../../src/errors.js';
import type { Address, ServerDescription, TopologyDescription } from '../../src/description/types.js';
import { compareTopologyVersion } from '../../src/description/topology-version.js';

const ADDRESSES = ['a:27017', 'b:27017', 'c:27017', 'd:27017', 'e:27017'] as const;

// ---- generators ---------------------------------------------------------------------------

/** Which wire versions replies report: the (electionId, setVersion) rules differ at 17 (6.0). */
type Regime = 'modern' | 'legacy' | 'mixed';

const address = fc.constantFrom(...ADDRESSES);
/** Host names as servers might spell them: case varies, the default port may be left out. */
const spelled = address.chain((a) =>
  fc.constantFrom(a, a.toUpperCase(), a.replace(':27017', ''), a.replace(':27017', '').toUpperCase()),
);
const memberList = fc
  .subarray([...ADDRESSES])
  .chain((list) => fc.shuffledSubarray(list, { minLength: list.length }));
const hexId = (n: number) => n.toString(16).padStart(24, '0');
const electionId = fc.option(
  fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.boolean())
    .map(([n, asObjectId]) => (asObjectId ? new ObjectId(hexId(n)) : hexId(n))),
  { freq: 3 },
);
const topologyVersion = fc.option(
  fc.record({
    processId: fc.constantFrom(new ObjectId(hexId(1)), new ObjectId(hexId(2))),
    counter: fc.integer({ min: 0, max: 4 }).map((n) => new Long(n)),
  }),
  { freq: 3 },
);
const wireVersion = (regime: Regime) =>
  regime === 'modern'
    ? fc.integer({ min: 17, max: 25 })
    : regime === 'legacy'
      ? fc.integer({ min: 6, max: 16 })
      : fc.integer({ min: 0, max: 25 });

// Primaries and secondaries most often: elections and member lists are where the rules are subtle.
const role = fc.constantFrom(
  'primary',
  'primary',
  'primary',
  'primary',
  'secondary',
  'secondary',
  'secondary',
  'arbiter',
  'hidden',
  'other',
  'ghost',
  'standalone',
  'mongos',
);

function helloReply(regime: Regime) {
  return fc
    .record({
      role,
      setName: fc.constantFrom('rs', 'rs', 'rs', 'rs', 'rs', 'other'),
      hosts: memberList,
      passives: fc.option(memberList, { freq: 4 }),
      arbiters: fc.option(memberList, { freq: 4 }),
      setVersion: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 4 }),
      electionId,
      topologyVersion,
      me: fc.option(spelled, { freq: 2 }),
      primary: fc.option(spelled, { freq: 2 }),
      maxWireVersion: wireVersion(regime),
      logicalSessionTimeoutMinutes: fc.option(fc.integer({ min: 1, max: 60 })),
      tags: fc.option(fc.dictionary(fc.constantFrom('dc', 'rack'), fc.constantFrom('east', 'west'))),
    })
    .map((r) => {
      const reply: Record<string, unknown> = { ok: 1, minWireVersion: 0, maxWireVersion: r.maxWireVersion };
      const member = !['standalone', 'mongos', 'ghost'].includes(r.role);
      if (r.role === 'primary') reply['isWritablePrimary'] = true;
      if (r.role === 'secondary' || r.role === 'hidden') reply['secondary'] = true;
      if (r.role === 'hidden') reply['hidden'] = true;
      if (r.role === 'arbiter') reply['arbiterOnly'] = true;
      if (r.role === 'ghost') reply['isreplicaset'] = true;
      if (r.role === 'mongos') reply['msg'] = 'isdbgrid';
      if (member) {
        Object.assign(reply, { setName: r.setName, hosts: r.hosts });
        if (r.passives) reply['passives'] = r.passives;
        if (r.arbiters) reply['arbiters'] = r.arbiters;
        if (r.setVersion !== null) reply['setVersion'] = r.setVersion;
        if (r.electionId !== null) reply['electionId'] = r.electionId;
        if (r.me !== null) reply['me'] = r.me;
        if (r.primary !== null) reply['primary'] = r.primary;
        if (r.tags !== null) reply['tags'] = r.tags;
      }
      if (r.topologyVersion !== null) reply['topologyVersion'] = r.topologyVersion;
      if (r.logicalSessionTimeoutMinutes !== null)
        reply['logicalSessionTimeoutMinutes'] = r.logicalSessionTimeoutMinutes;
      return reply;
    });
}

/** Replies that are wrong in some way: garbage, or a good reply with one field replaced by garbage. */
const garbage = fc.anything({
  maxDepth: 3,
  maxKeys: 5,
  withBigInt: true,
  withDate: true,
  withNullPrototype: true,
});
function malformedReply(regime: Regime) {
  return fc.oneof(
    garbage,
    fc
      .tuple(
        helloReply(regime),
        fc.constantFrom(
          'ok',
          'hosts',
          'setName',
          'setVersion',
          'electionId',
          'me',
          'tags',
          'topologyVersion',
          'maxWireVersion',
          'lastWrite',
        ),
        garbage,
      )
      .map(([reply, field, value]) => ({ ...reply, [field]: value })),
  );
}

/** Values of a type each checked field cannot have. */
const wrongType: Record<string, fc.Arbitrary<unknown>> = {
  hosts: fc.oneof(fc.string(), fc.integer(), fc.boolean()),
  setName: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string())),
  setVersion: fc.oneof(fc.string(), fc.boolean(), fc.array(fc.integer())),
  electionId: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.integer())),
  me: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string())),
  tags: fc.oneof(fc.string(), fc.integer(), fc.boolean()),
  maxWireVersion: fc.oneof(fc.string(), fc.boolean(), fc.array(fc.integer())),
  lastWrite: fc.oneof(fc.string(), fc.integer(), fc.boolean()),
  topologyVersion: fc.oneof(fc.string(), fc.integer(), fc.boolean()),
};

function certainlyMalformedReply(regime: Regime): fc.Arbitrary<{ reply: unknown; field: string | null }> {
  return fc.oneof(
    fc
      .oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer()))
      .map((reply) => ({ reply, field: null })),
    fc.tuple(helloReply(regime), fc.constantFrom(...Object.keys(wrongType))).chain(([reply, field]) =>
      (wrongType[field] as fc.Arbitrary<unknown>).map((value) => ({
        reply: { ...reply, [field]: value },
        field,
      })),
    ),
  );
}

type Step =
  | { kind: 'reply'; address: Address; reply: unknown }
  | { kind: 'failure'; address: Address; timeout: boolean }
  | { kind: 'okZero'; address: Address; code: number }
  | {
      kind: 'appError';
      address: Address;
      error: 'network' | 'timeout' | 'command';
      code: number;
      when: 'beforeHandshakeCompletes' | 'afterHandshakeCompletes';
      maxWireVersion: number;
      counter: number | null;
      generationLag: number;
    };

const stateCodes = fc.constantFrom(10107, 13435, 10058, 11600, 11602, 13436, 189, 91, 11000, 18);

function step(regime: Regime, withGarbage: boolean): fc.Arbitrary<Step> {
  const steps: fc.WeightedArbitrary<Step>[] = [
    {
      weight: 8,
      arbitrary: fc.record({ kind: fc.constant('reply' as const), address, reply: helloReply(regime) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('failure' as const), address, timeout: fc.boolean() }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('okZero' as const), address, code: stateCodes }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('appError' as const),
        address,
        error: fc.constantFrom('network' as const, 'timeout' as const, 'command' as const),
        code: stateCodes,
        when: fc.constantFrom('beforeHandshakeCompletes' as const, 'afterHandshakeCompletes' as const),
        maxWireVersion: fc.integer({ min: 6, max: 21 }),
        counter: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
        generationLag: fc.constantFrom(0, 0, 0, 1),
      }),
    },
  ];
  if (withGarbage) {
    steps.push({
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('reply' as const), address, reply: malformedReply(regime) }),
    });
  }
  return fc.oneof(...steps);
}

const start: fc.Arbitrary<{ seeds: Address[]; options: TopologyOptions }> = fc.oneof(
  fc.record({ seeds: fc.subarray([...ADDRESSES], { minLength: 1 }), options: fc.constant({}) }),
  fc.record({
    seeds: fc.subarray([...ADDRESSES], { minLength: 1 }),
    options: fc.constant({ replicaSet: 'rs' }),
  }),
  fc.record({ seeds: address.map((a) => [a]), options: fc.constant({ directConnection: true }) }),
  fc.record({
    seeds: address.map((a) => [a]),
    options: fc.constant({ directConnection: true, replicaSet: 'rs' }),
  }),
);

// ---- running a sequence -------------------------------------------------------------------

function run(seeds: Address[], options: TopologyOptions, steps: Step[], regime: Regime): void {
  let now = 0;
  let snapshot = initialTopologyDescription(seeds, { ...options, now });
  checkInvariants(snapshot, seeds, options);
  const generations = new Map<Address, number>();
  for (const s of steps) {
    now += 1;
    const previous = snapshot;
    if (s.kind === 'appError') {
      const poolGeneration = generations.get(s.address) ?? 0;
      const error =
        s.error === 'network'
          ? new NetworkError('reset')
          : s.error === 'timeout'
            ? new NetworkTimeoutError('timeout')
            : new ServerReplyError(`error ${s.code}`, s.code, undefined, {
                ok: 0,
                code: s.code,
                ...(s.counter === null
                  ? {}
                  : { topologyVersion: { processId: new ObjectId(hexId(1)), counter: new Long(s.counter) } }),
              });
      const outcome = applyApplicationError(snapshot, s.address, error, {
        now,
        when: s.when,
        maxWireVersion: s.maxWireVersion,
        poolGeneration: poolGeneration + s.generationLag,
        errorGeneration: poolGeneration,
      });
      if (outcome.actions.clearPool) generations.set(s.address, poolGeneration + s.generationLag + 1);
      assert.ok(Object.isFrozen(outcome.actions), 'actions frozen');
      snapshot = outcome.snapshot;
    } else {
      const description =
        s.kind === 'reply'
          ? serverDescriptionFromHello(s.address, s.reply, { now })
          : s.kind === 'okZero'
            ? serverDescriptionFromHello(s.address, { ok: 0, code: s.code, errmsg: 'failed' }, { now })
            : serverDescriptionFromError(
                s.address,
                s.timeout ? new NetworkTimeoutError('t') : new NetworkError('n'),
                { now },
              );
      snapshot = applyServerDescription(snapshot, description);
      checkReplaced(previous, snapshot, description);
      // A repeated reply converges: it may act once more (a member's reply that turned the set
      // into ReplicaSetNoPrimary adds its hosts the next time), then changes nothing that counts.
      const twice = applyServerDescription(snapshot, description);
      checkConverged(twice, applyServerDescription(twice, description), description.address);
    }
    checkStep(previous, snapshot, regime);
    checkInvariants(snapshot, seeds, options);
  }
}

/** The events between two snapshots say exactly which servers came, went and changed. */
function checkEvents(previous: TopologyDescription, next: TopologyDescription): void {
  let opened = 0;
  let closed = 0;
  let topologyChanged = 0;
  for (const e of sdamEventsBetween(previous, next)) {
    if (e.type === 'serverOpening') {
      assert.ok(
        !previous.servers.has(e.address) && next.servers.has(e.address),
        'serverOpening: a new server',
      );
      opened += 1;
    } else if (e.type === 'serverClosed') {
      assert.ok(
        previous.servers.has(e.address) && !next.servers.has(e.address),
        'serverClosed: a removed one',
      );
      closed += 1;
    } else if (e.type === 'serverDescriptionChanged') {
      assert.equal(e.previousDescription, previous.servers.get(e.address), 'changed: previous description');
      assert.equal(e.newDescription, next.servers.get(e.address), 'changed: new description');
    } else if (e.type === 'topologyDescriptionChanged') {
      topologyChanged += 1;
    }
  }
  let added = 0;
  for (const address of next.servers.keys()) if (!previous.servers.has(address)) added += 1;
  const removed = previous.servers.size + added - next.servers.size;
  assert.equal(opened, added, 'serverOpening for each new server');
  assert.equal(closed, removed, 'serverClosed for each removed server');
  if (added + removed > 0 || previous.type !== next.type)
    assert.equal(topologyChanged, 1, 'topologyDescriptionChanged when servers or the type change');
}

/**
 * Every check's description replaces the one held (the specification: "even if the new server
 * description compares equal"), unless the server is no longer in the topology or the reply's
 * topologyVersion is older. The server then holds that very description, or an Unknown with an
 * error the core gave it (a stale primary, a set name that does not match).
 */
function checkReplaced(
  previous: TopologyDescription,
  next: TopologyDescription,
  description: ServerDescription,
): void {
  const before = previous.servers.get(description.address);
  if (
    before === undefined ||
    compareTopologyVersion(before.topologyVersion, description.topologyVersion) > 0
  ) {
    assert.equal(next, previous, 'an ignored outcome leaves the snapshot as it was');
    return;
  }
  if (before !== description) assert.notEqual(next, previous, 'every check makes a new snapshot');
  const held = next.servers.get(description.address);
  if (held !== undefined && held !== description) {
    assert.ok(held.type === ServerType.Unknown && held.error !== null, 'replaced by a core-made Unknown');
  }
}

/**
 * The third application of one description: no event is due (same members, every description
 * equal by the specification's (=) fields, same topology fields), and everything is shared but
 * the checked server's description. That one is the very description applied, so the snapshot is
 * the same object, unless the core rewrote it (a stale primary, a set name that does not match),
 * in which case it is replaced by a fresh, equal one.
 */
function checkConverged(twice: TopologyDescription, thrice: TopologyDescription, checked: Address): void {
  assert.deepEqual(sdamEventsBetween(twice, thrice), [], 'a repeated reply converges');
  assert.deepEqual([...thrice.servers.keys()], [...twice.servers.keys()], 'same members');
  for (const [address, server] of thrice.servers) {
    if (address !== checked) assert.equal(server, twice.servers.get(address), `${address} shared`);
  }
  if (thrice !== twice) {
    assert.equal(thrice.version, twice.version + 1, 'version + 1');
    assert.notEqual(thrice.servers.get(checked), twice.servers.get(checked), 'only a new description');
  }
}

function checkStep(previous: TopologyDescription, next: TopologyDescription, regime: Regime): void {
  if (next === previous) {
    assert.deepEqual(sdamEventsBetween(previous, next), [], 'no events without a new snapshot');
    return;
  }
  assert.equal(next.version, previous.version + 1, 'version + 1');
  checkEvents(previous, next);
  if (regime === 'modern') {
    // 6.0+: primaries are ordered by (electionId, setVersion); the greatest pair never goes back,
    // although maxSetVersion alone may (a newer election resets it).
    assert.ok(compareNullable(next.maxElectionId, previous.maxElectionId) >= 0, 'maxElectionId went back');
    if (next.maxElectionId === previous.maxElectionId) {
      assert.ok(compareNullable(next.maxSetVersion, previous.maxSetVersion) >= 0, 'maxSetVersion went back');
    }
  } else if (regime === 'legacy') {
    // Before 6.0, setVersion comes first and maxSetVersion only grows.
    assert.ok(compareNullable(next.maxSetVersion, previous.maxSetVersion) >= 0, 'maxSetVersion went back');
  }
  // A primary just accepted into a replica set is not stale against what was known before it.
  const primary = [...next.servers.values()].find((s) => s.type === ServerType.RSPrimary);
  if (next.type !== TopologyType.ReplicaSetWithPrimary || primary === undefined) return;
  if (previous.servers.get(primary.address) === primary) return;
  if (regime === 'modern') {
    assert.deepEqual([primary.electionId, primary.setVersion], [next.maxElectionId, next.maxSetVersion]);
    const byElection = compareNullable(primary.electionId, previous.maxElectionId);
    assert.ok(
      byElection > 0 ||
        (byElection === 0 && compareNullable(primary.setVersion, previous.maxSetVersion) >= 0),
      'stale primary accepted',
    );
  } else if (regime === 'legacy') {
    const { setVersion, electionId } = primary;
    if (setVersion === null || electionId === null) return;
    assert.equal(next.maxElectionId, electionId);
    if (previous.maxSetVersion === null || previous.maxElectionId === null) return;
    const bySetVersion = compareNullable(setVersion, previous.maxSetVersion);
    assert.ok(
      bySetVersion > 0 || (bySetVersion === 0 && compareNullable(electionId, previous.maxElectionId) >= 0),
      'stale primary accepted',
    );
  }
}

function compareNullable(a: number | string | null, b: number | string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

const typesIn = (...types: ServerType[]): ReadonlySet<ServerType> => new Set(types);

const memberTypes = new Set<ServerType>([
  ServerType.RSPrimary,
  ServerType.RSSecondary,
  ServerType.RSArbiter,
  ServerType.RSOther,
]);

function checkInvariants(
  snapshot: TopologyDescription,
  seeds: readonly Address[],
  options: TopologyOptions,
): void {
  // Deeply frozen, the map included.
  assert.ok(Object.isFrozen(snapshot), 'snapshot frozen');
  assert.ok(Object.isFrozen(snapshot.servers), 'servers frozen');
  assert.throws(() => (snapshot.servers as Map<Address, unknown>).delete('not-a-server:1'));
  for (const [key, server] of snapshot.servers) {
    assert.equal(server.address, key);
    for (const part of [
      server,
      server.hosts,
      server.passives,
      server.arbiters,
      server.tags,
      server.error,
      server.topologyVersion,
    ]) {
      if (part !== null) assert.ok(Object.isFrozen(part), `part of ${key} frozen`);
    }
    if (server.type === ServerType.Unknown) assert.equal(server.roundTripTime, null);
  }

  const servers = [...snapshot.servers.values()];
  const primaries = servers.filter((s) => s.type === ServerType.RSPrimary);
  assert.ok(primaries.length <= 1, 'at most one primary');
  assert.equal(snapshot.compatible, snapshot.compatibilityError === null);

  switch (snapshot.type) {
    case TopologyType.ReplicaSetWithPrimary:
    case TopologyType.ReplicaSetNoPrimary:
      assert.equal(
        snapshot.type === TopologyType.ReplicaSetWithPrimary,
        primaries.length === 1,
        'type agrees with the primary',
      );
      assert.notEqual(snapshot.setName, null);
      for (const server of servers) {
        assert.ok(
          !typesIn(ServerType.Standalone, ServerType.Mongos, ServerType.LoadBalancer).has(server.type),
          server.type,
        );
        // Members of another set are removed (a ghost's set name, if any, is not looked at).
        if (memberTypes.has(server.type)) assert.equal(server.setName, snapshot.setName);
        // A member configured under another name is removed; a primary is judged by its own list.
        if (memberTypes.has(server.type) && server.type !== ServerType.RSPrimary && server.me !== null) {
          assert.equal(server.me, server.address, 'a member whose "me" differs stays');
        }
      }
      if (options.replicaSet !== undefined) assert.equal(snapshot.setName, options.replicaSet);
      // With a primary, its member lists are authoritative: nothing else is in the topology.
      for (const primary of primaries) {
        const members = new Set([...primary.hosts, ...primary.passives, ...primary.arbiters]);
        for (const server of servers)
          assert.ok(members.has(server.address), `${server.address} listed by the primary`);
      }
      break;
    case TopologyType.Unknown:
      assert.equal(options.replicaSet, undefined);
      for (const server of servers)
        assert.ok(typesIn(ServerType.Unknown, ServerType.RSGhost).has(server.type), server.type);
      break;
    case TopologyType.Sharded:
      // A ghost found while the type was still Unknown stays until it answers as something else.
      for (const server of servers)
        assert.ok(
          typesIn(ServerType.Unknown, ServerType.Mongos, ServerType.RSGhost).has(server.type),
          server.type,
        );
      break;
    case TopologyType.Single:
      // The one seed, whatever it now is (a lone standalone seed makes an Unknown topology Single).
      assert.equal(servers.length, 1);
      assert.ok(seeds.includes(servers[0]?.address ?? ''));
      break;
    default:
      throw new Error(`unexpected topology type ${snapshot.type}`);
  }
}

// ---- the properties -----------------------------------------------------------------------

/**
 * `npm run fuzz` runs these properties at depth: WASPNEST_PROPERTY_SCALE multiplies every run
 * count (50 gives 1,000,000 sequences), WASPNEST_PROPERTY_SEED fixes fast-check's seed.
 */
const scale = Number(process.env['WASPNEST_PROPERTY_SCALE'] ?? '1');
const seedOption =
  process.env['WASPNEST_PROPERTY_SEED'] === undefined
    ? {}
    : { seed: Number(process.env['WASPNEST_PROPERTY_SEED']) };
/** CPU-bound, not waiting: on a busy 2-core machine a run of thousands of sequences takes a while. */
const PROPERTY_TIMEOUT_MS = scale > 1 ? 0 : 300_000;
const runs = (n: number) => ({ numRuns: Math.max(1, Math.round(n * scale)), ...seedOption });

describe('SDAM core properties (5-member deployment)', () => {
  const sequence = (regime: Regime, withGarbage: boolean) =>
    fc.tuple(start, fc.array(step(regime, withGarbage), { minLength: 1, maxLength: 30 }));

  it.each([
    ['6.0+ servers: (electionId, setVersion) order', 'modern' as const, 6000],
    ['pre-6.0 servers: (setVersion, electionId) order', 'legacy' as const, 6000],
    ['any wire version', 'mixed' as const, 5000],
  ])(
    '%s',
    (_name, regime, numRuns) => {
      fc.assert(
        fc.property(sequence(regime, false), ([{ seeds, options }, steps]) =>
          run(seeds, options, steps, regime),
        ),
        runs(numRuns),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'malformed replies never throw and give Unknown servers with an error naming the field',
    () => {
      fc.assert(
        fc.property(sequence('mixed', true), ([{ seeds, options }, steps]) =>
          run(seeds, options, steps, 'mixed'),
        ),
        runs(3000),
      );
      fc.assert(
        fc.property(malformedReply('mixed'), (reply) => {
          const sd = serverDescriptionFromHello('a:27017', reply, { now: 1 });
          expect(Object.isFrozen(sd)).toBe(true);
          if (sd.type === ServerType.Unknown) expect(sd.error).not.toBeNull();
        }),
        runs(2000),
      );
      // Replies that are certainly malformed (anything above may happen to be valid): not a
      // document, or one checked field of a good reply given a value of the wrong type.
      fc.assert(
        fc.property(certainlyMalformedReply('mixed'), ({ reply, field }) => {
          const sd = serverDescriptionFromHello('a:27017', reply, { now: 1 });
          expect(sd.type).toBe(ServerType.Unknown);
          expect(sd.error?.message).toContain(field === null ? 'not a document' : `"${field}`);
        }),
        runs(2000),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
