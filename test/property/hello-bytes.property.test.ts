/**
 * The monitor's shortcut for a repeated hello reply (hello-reply-bytes.ts + describeRepeatedHello)
 * must give exactly what reading the reply in full gives. Random replies of every shape are
 * mutated (any field changed, removed or added, the volatile ones alone, the order of fields, the
 * type of a value); whenever the shortcut answers, its description must equal
 * serverDescriptionFromHello's for the new reply. A changed field the shortcut missed would show
 * here as a description that kept the old value. And the shortcut must answer when only volatile
 * fields changed, so that this test cannot pass by the shortcut never being taken.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Binary, deserialize, Long, ObjectId, serialize, Timestamp, type Document } from 'bson';
import {
  HelloBytesTemplate,
  sameHelloBytes,
  VOLATILE_HELLO_FIELDS,
} from '../../src/description/hello-reply-bytes.js';
import { addRttSample, emptyRttStats } from '../../src/description/round-trip-time.js';
import {
  describeRepeatedHello,
  serverDescriptionFromHello,
  type FromHelloOptions,
} from '../../src/description/server-description.js';
import type { ServerDescription } from '../../src/description/types.js';

const ADDRESS = 'a:27017';
const MEMBERS = ['a:27017', 'b:27017', 'c:27017', 'd:27017'];

const objectId = fc.constantFrom(
  new ObjectId('000000000000000000000001'),
  new ObjectId('000000000000000000000002'),
  new ObjectId('7fffffff0000000000000009'),
);
const long = fc.integer({ min: 0, max: 5 }).map((n) => Long.fromNumber(n));
const timestamp = fc.integer({ min: 1, max: 1_000 }).map((t) => new Timestamp({ t, i: 1 }));
const date = fc.integer({ min: 1_600_000_000_000, max: 1_600_000_100_000 }).map((ms) => new Date(ms));
const member = fc.constantFrom(...MEMBERS, 'A:27017', 'b');
const flag = fc.oneof(fc.boolean(), fc.constantFrom(1, 0));

/** A value of any kind, for a field given the wrong type (the full reading calls it malformed). */
const anything = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.integer({ min: -2, max: 3 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant({}),
  fc.constant([]),
  objectId,
);

/** Every field a hello reply may carry, each with the values it takes (and a few it should not). */
const fields: Record<string, fc.Arbitrary<unknown>> = {
  ok: fc.constantFrom(1, 1, 1, 0),
  isWritablePrimary: flag,
  ismaster: flag,
  secondary: flag,
  arbiterOnly: flag,
  hidden: flag,
  isreplicaset: flag,
  helloOk: flag,
  msg: fc.constantFrom('isdbgrid', 'other'),
  setName: fc.constantFrom('rs0', 'rs1', ''),
  setVersion: fc.oneof(fc.integer({ min: 1, max: 3 }), long),
  electionId: objectId,
  hosts: fc.uniqueArray(member, { maxLength: 4 }),
  passives: fc.uniqueArray(member, { maxLength: 2 }),
  arbiters: fc.uniqueArray(member, { maxLength: 2 }),
  primary: member,
  me: member,
  tags: fc.dictionary(fc.constantFrom('dc', 'rack'), fc.constantFrom('east', 'west')),
  topologyVersion: fc.record({ processId: objectId, counter: long }),
  minWireVersion: fc.integer({ min: 0, max: 8 }),
  maxWireVersion: fc.integer({ min: 17, max: 25 }),
  logicalSessionTimeoutMinutes: fc.integer({ min: 0, max: 30 }),
  maxBsonObjectSize: fc.constantFrom(16_777_216, 1_000),
  maxMessageSizeBytes: fc.constantFrom(48_000_000, 2_000),
  maxWriteBatchSize: fc.constantFrom(100_000, 10),
  connectionId: fc.integer({ min: 1, max: 3 }),
  readOnly: fc.boolean(),
  // The volatile ones.
  lastWrite: fc.oneof(
    fc.record(
      {
        opTime: fc.record({ ts: timestamp, t: long }),
        lastWriteDate: date,
        majorityOpTime: fc.record({ ts: timestamp, t: long }),
      },
      { requiredKeys: [] },
    ),
    fc.constant(null),
  ),
  localTime: date,
  operationTime: timestamp,
  $clusterTime: fc.record({
    clusterTime: timestamp,
    signature: fc.record({ hash: fc.constant(new Binary(new Uint8Array(20))), keyId: long }),
  }),
};
const names = Object.keys(fields);
const volatileNames = names.filter((n) => VOLATILE_HELLO_FIELDS.includes(n));

/** A reply: ok: 1 (so that the shortcut can apply) plus a random subset of the fields. */
const reply: fc.Arbitrary<Document> = fc.record(fields, { requiredKeys: [] }).map((r) => ({ ok: 1, ...r }));

/** Ways a later reply differs from the first. */
type Mutation =
  | { kind: 'set'; field: string; value: unknown }
  | { kind: 'remove'; field: string }
  | { kind: 'wrongType'; field: string; value: unknown }
  | { kind: 'reorder'; seed: number }
  | { kind: 'volatile'; values: Record<string, unknown> };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .constantFrom(...names)
    .chain((field) =>
      (fields[field] as fc.Arbitrary<unknown>).map((value): Mutation => ({ kind: 'set', field, value })),
    ),
  fc.constantFrom(...names).map((field): Mutation => ({ kind: 'remove', field })),
  fc.tuple(fc.constantFrom(...names), anything).map(([field, value]): Mutation => ({
    kind: 'wrongType',
    field,
    value,
  })),
  fc.integer({ min: 1, max: 1_000 }).map((seed): Mutation => ({ kind: 'reorder', seed })),
  fc
    .record(Object.fromEntries(volatileNames.map((n) => [n, fields[n] as fc.Arbitrary<unknown>])), {
      requiredKeys: [],
    })
    .map((values): Mutation => ({ kind: 'volatile', values })),
);

function mutate(original: Document, mutations: readonly Mutation[]): Document {
  let next: Document = { ...original };
  for (const m of mutations) {
    switch (m.kind) {
      case 'set':
      case 'wrongType':
        next[m.field] = m.value;
        break;
      case 'remove':
        delete next[m.field];
        break;
      case 'reorder': {
        const keys = Object.keys(next);
        const rotated = [
          ...keys.slice(m.seed % Math.max(1, keys.length)),
          ...keys.slice(0, m.seed % Math.max(1, keys.length)),
        ];
        next = Object.fromEntries(rotated.map((k) => [k, next[k]]));
        break;
      }
      case 'volatile':
        next = { ...next, ...m.values };
        break;
    }
  }
  return next;
}

const bytes = (document: Document): Buffer => Buffer.from(serialize(document));
const read = (body: Buffer): Document => deserialize(body, { promoteLongs: true, promoteValues: true });

/** What the monitor does with the new bytes, given the previous bytes and their description. */
function shortcut(
  previous: { body: Buffer; description: ServerDescription },
  body: Buffer,
  options: FromHelloOptions,
): ServerDescription | undefined {
  const same = sameHelloBytes(previous.body, body);
  // The monitor's one-pass comparison agrees with the general walk.
  const template = HelloBytesTemplate.of(previous.body);
  expect(template?.match(body) ?? null).toEqual(same);
  if (same === null) return undefined;
  if (!same.lastWriteChanged) return describeRepeatedHello(previous.description, options);
  const value =
    same.lastWriteStart < 0 ? undefined : read(body.subarray(same.lastWriteStart, same.lastWriteEnd));
  return describeRepeatedHello(previous.description, options, { value });
}

describe('the repeated-hello shortcut', () => {
  it('gives what the full reading gives, for any change to any field', () => {
    let taken = 0;
    fc.assert(
      fc.property(reply, fc.array(mutation, { minLength: 1, maxLength: 3 }), (first, mutations) => {
        const firstBody = bytes(first);
        const previous = serverDescriptionFromHello(ADDRESS, read(firstBody), {
          now: 1_000,
          roundTripTime: addRttSample(emptyRttStats, 3),
        });
        const nextBody = bytes(mutate(first, mutations));
        const options = { now: 2_000, roundTripTime: addRttSample(addRttSample(emptyRttStats, 3), 5) };
        const fast = shortcut({ body: firstBody, description: previous }, nextBody, options);
        if (fast === undefined) return;
        taken++;
        expect(fast).toEqual(serverDescriptionFromHello(ADDRESS, read(nextBody), options));
        expect(Object.isFrozen(fast)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
    expect(taken).toBeGreaterThan(0);
  });

  it('is taken whenever only volatile fields changed (of a reply read without error)', () => {
    fc.assert(
      fc.property(
        reply,
        fc.array(
          mutation.filter((m) => m.kind === 'volatile'),
          { minLength: 1, maxLength: 3 },
        ),
        (first, mutations) => {
          const firstBody = bytes(first);
          const previous = serverDescriptionFromHello(ADDRESS, read(firstBody), { now: 1_000 });
          const nextBody = bytes(mutate(first, mutations));
          const full = serverDescriptionFromHello(ADDRESS, read(nextBody), { now: 2_000 });
          const fast = shortcut({ body: firstBody, description: previous }, nextBody, {
            now: 2_000,
            roundTripTime: null,
          });
          // A previous reply that was malformed or failed is never a base; a malformed new
          // lastWrite (or one turned null) goes to the full reading; anything else is taken.
          const lastWrite: unknown = read(nextBody)['lastWrite'];
          if (previous.error !== null || full.error !== null || lastWrite === null) return;
          expect(fast).toEqual(full);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('never takes a reply whose other bytes changed, even by one byte', () => {
    const first = bytes({
      ok: 1,
      isWritablePrimary: true,
      setName: 'rs0',
      hosts: MEMBERS,
      localTime: new Date(1),
    });
    for (let i = 4; i < first.length - 1; i++) {
      const changed = Buffer.from(first);
      changed[i] = (changed[i] as number) ^ 0x01;
      const same = sameHelloBytes(first, changed);
      const where = first.indexOf('localTime');
      // Only the bytes of localTime's value (8 bytes after its name) may change unnoticed.
      if (same !== null) expect(i).toBeGreaterThan(where + 'localTime'.length);
    }
  });
});
