import { describe, expect, it } from 'vitest';
import { Double, Int32, Long, ObjectId, Timestamp } from 'bson';
import {
  errorInfoOf,
  loadBalancerServerDescription,
  serverDescriptionFromError,
  serverDescriptionFromHello,
  serverDescriptionsEqual,
  unknownServerDescription,
} from '../../../src/description/server-description.js';
import { sameDescriptionValues } from '../../../src/description/server-description-equality.js';
import { addRttSample, emptyRttStats } from '../../../src/description/round-trip-time.js';
import { MAX_LIST_LENGTH } from '../../../src/description/hello-reply.js';
import { NetworkTimeoutError, ServerReplyError } from '../../../src/errors.js';
import type { ServerDescription } from '../../../src/description/types.js';

const now = 1_000;
const from = (reply: unknown) => serverDescriptionFromHello('a:27017', reply, { now });

function expectDeeplyFrozen(sd: ServerDescription): void {
  expect(Object.isFrozen(sd)).toBe(true);
  for (const value of [
    sd.hosts,
    sd.passives,
    sd.arbiters,
    sd.tags,
    sd.error,
    sd.topologyVersion,
    sd.opTime,
  ]) {
    if (value !== null) expect(Object.isFrozen(value)).toBe(true);
  }
}

describe('serverDescriptionFromHello: server types', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['standalone', { isWritablePrimary: true }, 'Standalone'],
    ['mongos', { isWritablePrimary: true, msg: 'isdbgrid' }, 'Mongos'],
    ['primary', { isWritablePrimary: true, setName: 'rs' }, 'RSPrimary'],
    ['legacy primary (ismaster)', { ismaster: true, setName: 'rs' }, 'RSPrimary'],
    [
      'isWritablePrimary wins over ismaster',
      { isWritablePrimary: false, ismaster: true, setName: 'rs' },
      'RSOther',
    ],
    ['secondary', { isWritablePrimary: false, secondary: true, setName: 'rs' }, 'RSSecondary'],
    ['arbiter', { isWritablePrimary: false, arbiterOnly: true, setName: 'rs' }, 'RSArbiter'],
    ['hidden secondary', { secondary: true, hidden: true, setName: 'rs' }, 'RSOther'],
    ['recovering member', { isWritablePrimary: false, setName: 'rs' }, 'RSOther'],
    ['ghost', { isWritablePrimary: false, isreplicaset: true }, 'RSGhost'],
  ];
  it.each(cases)('%s', (_name, fields, type) => {
    const sd = from({ ok: 1, ...fields });
    expect(sd.type).toBe(type);
    expect(sd.error).toBeNull();
    expectDeeplyFrozen(sd);
  });
});

describe('serverDescriptionFromHello: fields', () => {
  it('reads every field the specification names, lower-casing every host name', () => {
    const lastWriteDate = new Date('2024-01-02T03:04:05Z');
    const sd = serverDescriptionFromHello(
      'A:27017',
      {
        ok: 1,
        isWritablePrimary: true,
        setName: 'rs',
        setVersion: new Long(7),
        electionId: new ObjectId('7fffffff000000000000000A'),
        hosts: ['A:27017', 'B.example.COM:27018'],
        passives: ['C'],
        arbiters: ['[::1]'],
        primary: 'A:27017',
        me: 'a:27017',
        tags: { dc: 'east' },
        minWireVersion: new Int32(0),
        maxWireVersion: new Double(21),
        logicalSessionTimeoutMinutes: 30n,
        topologyVersion: { processId: new ObjectId('000000000000000000000001'), counter: new Long(3) },
        lastWrite: { lastWriteDate, opTime: { ts: new Timestamp({ t: 1, i: 2 }), t: new Long(4) } },
        helloOk: true,
        maxBsonObjectSize: 16777216,
        maxMessageSizeBytes: 48000000,
        maxWriteBatchSize: 100000,
        someFutureField: { anything: [1, 2, 3] },
      },
      { now, roundTripTime: addRttSample(addRttSample(emptyRttStats, 10), 5) },
    );
    expect(sd).toMatchObject({
      address: 'a:27017',
      type: 'RSPrimary',
      setName: 'rs',
      setVersion: 7,
      electionId: '7fffffff000000000000000a',
      hosts: ['a:27017', 'b.example.com:27018'],
      passives: ['c:27017'],
      arbiters: ['[::1]:27017'],
      primary: 'a:27017',
      me: 'a:27017',
      tags: { dc: 'east' },
      minWireVersion: 0,
      maxWireVersion: 21,
      logicalSessionTimeoutMinutes: 30,
      topologyVersion: { processId: '000000000000000000000001', counter: 3 },
      lastWriteDate: lastWriteDate.getTime(),
      helloOk: true,
      maxBsonObjectSize: 16777216,
      maxMessageSizeBytes: 48000000,
      maxWriteBatchSize: 100000,
      lastUpdateTime: now,
      roundTripTime: 9,
      minRoundTripTime: 5,
    });
    expect(sd.opTime?.['t']).toEqual(new Long(4));
    expectDeeplyFrozen(sd);
  });

  it('takes ObjectIds as hex strings too, and keeps each host once', () => {
    const sd = from({
      ok: 1,
      ismaster: true,
      setName: 'rs',
      electionId: 'ABCDEF000000000000000001',
      hosts: ['a', 'A:27017'],
    });
    expect(sd.electionId).toBe('abcdef000000000000000001');
    expect(sd.hosts).toEqual(['a:27017']);
  });

  it('defaults what the reply leaves out', () => {
    const sd = from({ ok: 1 });
    expect(sd).toMatchObject({
      type: 'Standalone',
      minWireVersion: 0,
      maxWireVersion: 0,
      hosts: [],
      tags: {},
      setName: null,
      setVersion: null,
      electionId: null,
      topologyVersion: null,
      lastWriteDate: null,
      opTime: null,
      roundTripTime: null,
      helloOk: false,
    });
  });

  it('an ok: 0 reply gives an Unknown server with the server error and its topologyVersion', () => {
    const sd = from({
      ok: 0,
      errmsg: 'node is shutting down',
      code: 91,
      codeName: 'ShutdownInProgress',
      topologyVersion: { processId: new ObjectId('000000000000000000000002'), counter: 5 },
    });
    expect(sd.type).toBe('Unknown');
    expect(sd.error).toEqual({
      name: 'ServerReplyError',
      message: 'node is shutting down',
      code: 91,
      codeName: 'ShutdownInProgress',
    });
    expect(sd.topologyVersion).toEqual({ processId: '000000000000000000000002', counter: 5 });
    expect(sd.roundTripTime).toBeNull();
  });
});

describe('serverDescriptionFromHello: malformed replies give an Unknown server with a clear error', () => {
  const deep: Record<string, unknown> = {};
  let cursor = deep;
  for (let i = 0; i < 10_000; i++) {
    const next: Record<string, unknown> = {};
    cursor['x'] = next;
    cursor = next;
  }
  const throwing = Object.defineProperty({ ok: 1 }, 'hosts', {
    enumerable: true,
    get() {
      throw new Error('boom');
    },
  });
  const cases: [string, unknown, RegExp][] = [
    ['null', null, /not a document/],
    ['a string', 'hello', /not a document/],
    ['an array', [{ ok: 1 }], /not a document/],
    ['a number', 42, /not a document/],
    ['missing ok', { isWritablePrimary: true }, /no "ok" field/],
    ['ok of the wrong type', { ok: 'yes' }, /"ok" must be 1 or 0/],
    ['ok of 2', { ok: 2 }, /"ok" must be 1 or 0/],
    ['hosts not an array', { ok: 1, setName: 'rs', hosts: 'a:27017' }, /"hosts" must be an array/],
    [
      'a host that is not a string',
      { ok: 1, setName: 'rs', hosts: ['a:27017', 7] },
      /"hosts\[1\]" must be a "host:port" string/,
    ],
    [
      'a host with a bad port',
      { ok: 1, setName: 'rs', hosts: ['a:99999'] },
      /"hosts\[0\]" is not a server address/,
    ],
    ['an empty host', { ok: 1, setName: 'rs', passives: [''] }, /"passives\[0\]" is not a server address/],
    ['nested garbage in hosts', { ok: 1, setName: 'rs', arbiters: [{ a: [{ b: 1 }] }] }, /"arbiters\[0\]"/],
    [
      'a huge host list',
      { ok: 1, setName: 'rs', hosts: Array.from({ length: MAX_LIST_LENGTH + 1 }, (_, i) => `h${i}:27017`) },
      /more than the 1000 accepted/,
    ],
    ['setName not a string', { ok: 1, setName: 5 }, /"setName" must be a string/],
    ['empty setName', { ok: 1, setName: '' }, /"setName" must not be empty/],
    ['setVersion a string', { ok: 1, setName: 'rs', setVersion: '1' }, /"setVersion" must be an integer/],
    ['setVersion a fraction', { ok: 1, setName: 'rs', setVersion: 1.5 }, /"setVersion" must be an integer/],
    [
      'electionId not an ObjectId',
      { ok: 1, setName: 'rs', electionId: 'xyz' },
      /"electionId" must be an ObjectId/,
    ],
    ['maxWireVersion negative', { ok: 1, maxWireVersion: -1 }, /"maxWireVersion" must not be negative/],
    ['maxWireVersion NaN', { ok: 1, maxWireVersion: Number.NaN }, /"maxWireVersion" must be an integer/],
    ['a huge Long', { ok: 1, setName: 'rs', setVersion: Long.MAX_VALUE }, /"setVersion" must be an integer/],
    [
      'isWritablePrimary a string',
      { ok: 1, isWritablePrimary: 'true' },
      /"isWritablePrimary" must be a boolean/,
    ],
    ['tags an array', { ok: 1, setName: 'rs', tags: ['dc'] }, /"tags" must be a document/],
    [
      'a tag not a string',
      { ok: 1, setName: 'rs', tags: { dc: { nested: deep } } },
      /"tags.dc" must be a string/,
    ],
    ['me not a string', { ok: 1, setName: 'rs', me: ['a'] }, /"me" must be a "host:port" string/],
    [
      'topologyVersion without processId',
      { ok: 1, topologyVersion: { counter: 1 } },
      /topologyVersion.processId/,
    ],
    [
      'topologyVersion with a bad counter',
      { ok: 1, topologyVersion: { processId: new ObjectId(), counter: 'x' } },
      /topologyVersion.counter/,
    ],
    ['lastWrite not a document', { ok: 1, setName: 'rs', lastWrite: 5 }, /"lastWrite" must be a document/],
    [
      'lastWriteDate not a date',
      { ok: 1, setName: 'rs', lastWrite: { lastWriteDate: 'today' } },
      /lastWriteDate" must be a date/,
    ],
    [
      'an opTime with nested documents',
      { ok: 1, setName: 'rs', lastWrite: { opTime: { ts: deep } } },
      /opTime.ts" must be a BSON scalar/,
    ],
    ['a getter that throws', throwing, /reading the reply failed: boom/],
  ];
  it.each(cases)('%s', (_name, reply, message) => {
    let sd: ServerDescription | undefined;
    expect(() => (sd = serverDescriptionFromHello('a:27017', reply, { now }))).not.toThrow();
    expect(sd?.type).toBe('Unknown');
    expect(sd?.error?.name).toBe('MalformedReplyError');
    expect(sd?.error?.message).toMatch(/^Malformed hello reply from a:27017: /);
    expect(sd?.error?.message).toMatch(message);
    expect(sd?.roundTripTime).toBeNull();
    if (sd) expectDeeplyFrozen(sd);
  });

  it('accepts and ignores fields it does not know, however odd', () => {
    const sd = from({ ok: 1, isWritablePrimary: true, extra: deep, another: [null, undefined, () => 1] });
    expect(sd.type).toBe('Standalone');
    expect(sd.error).toBeNull();
  });
});

describe('descriptions from errors and defaults', () => {
  it('an error gives an Unknown server describing it', () => {
    const sd = serverDescriptionFromError('B:1', new NetworkTimeoutError('timed out after 10000 ms'), {
      now,
    });
    expect(sd).toMatchObject({
      address: 'b:1',
      type: 'Unknown',
      error: { name: 'NetworkTimeoutError', message: 'timed out after 10000 ms' },
    });
    expect(Object.isFrozen(sd)).toBe(true);
  });

  it('a server reply error keeps its code and the topologyVersion given', () => {
    const error = new ServerReplyError('not primary', 10107, 'NotWritablePrimary', { ok: 0 });
    const topologyVersion = { processId: '000000000000000000000001', counter: 2 };
    const sd = serverDescriptionFromError('a:27017', error, { now, topologyVersion });
    expect(sd.error).toEqual({
      name: 'ServerReplyError',
      message: 'not primary',
      code: 10107,
      codeName: 'NotWritablePrimary',
    });
    expect(sd.topologyVersion).toEqual(topologyVersion);
  });

  it('describes anything thrown without throwing', () => {
    expect(errorInfoOf('plain string')).toEqual({ name: 'Error', message: 'plain string' });
    expect(errorInfoOf(undefined)).toEqual({ name: 'Error', message: 'undefined' });
    expect(errorInfoOf({ errmsg: 'from a reply', code: new Int32(13435) })).toEqual({
      name: 'Error',
      message: 'from a reply',
      code: 13435,
    });
    const hostile = {
      [Symbol.toPrimitive]: () => {
        throw new Error('no');
      },
    };
    expect(() => errorInfoOf(Object.create(hostile))).not.toThrow();
  });

  it('defaults: Unknown and LoadBalancer descriptions', () => {
    expect(unknownServerDescription('a', now)).toMatchObject({
      address: 'a:27017',
      type: 'Unknown',
      error: null,
      lastUpdateTime: now,
    });
    expect(loadBalancerServerDescription('lb:27017', now).type).toBe('LoadBalancer');
  });
});

describe('serverDescriptionsEqual and sameDescriptionValues', () => {
  const reply = {
    ok: 1,
    isWritablePrimary: false,
    secondary: true,
    setName: 'rs',
    hosts: ['a:27017', 'b:27017'],
  };
  const base = serverDescriptionFromHello('a:27017', reply, {
    now,
    roundTripTime: addRttSample(emptyRttStats, 10),
  });

  it('ignores lastUpdateTime, round-trip times and lastWrite', () => {
    const later = serverDescriptionFromHello(
      'a:27017',
      { ...reply, lastWrite: { lastWriteDate: new Date() } },
      { now: now + 10_000, roundTripTime: addRttSample(emptyRttStats, 50) },
    );
    expect(serverDescriptionsEqual(base, later)).toBe(true);
  });

  it('compares host lists as sets', () => {
    const reordered = from({ ...reply, hosts: ['b:27017', 'a:27017'] });
    expect(serverDescriptionsEqual(base, reordered)).toBe(true);
    expect(serverDescriptionsEqual(base, from({ ...reply, hosts: ['a:27017', 'c:27017'] }))).toBe(false);
  });

  it.each([
    ['type', { secondary: false, arbiterOnly: true }],
    ['setVersion', { setVersion: 2 }],
    ['electionId', { electionId: new ObjectId() }],
    ['primary', { primary: 'b:27017' }],
    ['tags', { tags: { dc: 'west' } }],
    ['wire version', { maxWireVersion: 17 }],
    ['logicalSessionTimeoutMinutes', { logicalSessionTimeoutMinutes: 30 }],
    ['topologyVersion', { topologyVersion: { processId: new ObjectId(), counter: 1 } }],
    ['me', { me: 'a:27017' }],
  ])('a different %s makes them different', (_field, change) => {
    expect(serverDescriptionsEqual(base, from({ ...reply, ...change }))).toBe(false);
  });

  it('sameDescriptionValues also compares what is measured: round-trip times, check time, lastWrite', () => {
    const again = (now2: number, ms: number, lastWrite?: Date) =>
      serverDescriptionFromHello(
        'a:27017',
        lastWrite === undefined ? reply : { ...reply, lastWrite: { lastWriteDate: lastWrite } },
        { now: now2, roundTripTime: addRttSample(emptyRttStats, ms) },
      );
    expect(sameDescriptionValues(base, again(now, 10))).toBe(true);
    for (const other of [again(now, 10.1), again(now + 1, 10), again(now, 10, new Date(5))]) {
      expect(serverDescriptionsEqual(base, other)).toBe(true);
      expect(sameDescriptionValues(base, other)).toBe(false);
    }
    expect(sameDescriptionValues(base, from({ ...reply, tags: { dc: 'west' } }))).toBe(false);
  });
});
