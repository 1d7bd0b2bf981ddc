import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ServerMap } from '../../../src/description/server-map.js';
import {
  serverDescriptionFromHello,
  unknownServerDescription,
} from '../../../src/description/server-description.js';
import type { ServerDescription } from '../../../src/description/types.js';

const member = (address: string, primary: boolean): ServerDescription =>
  serverDescriptionFromHello(
    address,
    {
      ok: 1,
      maxWireVersion: 21,
      setName: 'rs',
      isWritablePrimary: primary,
      secondary: !primary,
      hosts: ['a:1', 'b:1', 'c:1'],
    },
    { now: 1 },
  );

const a = member('a:1', true);
const b = member('b:1', false);
const c = member('c:1', false);

describe('ServerMap', () => {
  it('reads like a Map, in insertion order, and keeps the last of a repeated address', () => {
    const map = ServerMap.of([a, b, unknownServerDescription('c:1', 0), c]);
    expect(map.size).toBe(3);
    expect([...map.keys()]).toEqual(['a:1', 'b:1', 'c:1']);
    expect([...map.values()]).toEqual([a, b, c]);
    expect([...map]).toEqual([
      ['a:1', a],
      ['b:1', b],
      ['c:1', c],
    ]);
    expect([...map.entries()]).toEqual([...map]);
    expect(map.get('b:1')).toBe(b);
    expect(map.get('z:1')).toBeUndefined();
    expect(map.has('c:1')).toBe(true);
    expect(map.has('z:1')).toBe(false);
    const seen: string[] = [];
    map.forEach((description, address, self) => {
      expect(self).toBe(map);
      expect(description.address).toBe(address);
      seen.push(address);
    });
    expect(seen).toEqual(['a:1', 'b:1', 'c:1']);
    expect(new Map(map).get('a:1')).toBe(a);
    expect(Object.prototype.toString.call(map)).toBe('[object ServerMap]');
  });

  it('finds members the same way in a small map (scanned) and a large one (indexed)', () => {
    for (const size of [3, 8, 9, 20]) {
      const addresses = Array.from({ length: size }, (_, i) => `h${i}:1`);
      const map = ServerMap.of(addresses.map((address) => unknownServerDescription(address, 0)));
      // Addresses made again, as a reply would: equal strings, not the same objects.
      for (const address of addresses.map((x) => `${x.slice(0, -2)}:1`)) {
        expect(map.has(address)).toBe(true);
        expect(map.get(address)?.address).toBe(address);
      }
      expect(map.has('other:1')).toBe(false);
      expect(map.get('other:1')).toBeUndefined();
      const last = addresses[size - 1] as string;
      const replaced = map.with(new Map([[last, member(last, false)]]));
      expect(replaced.get(last)?.type).toBe('RSSecondary');
      expect([...replaced.keys()]).toEqual(addresses);
      const added = map.with(new Map([['new:1', unknownServerDescription('new:1', 0)]]));
      expect([...added.keys()]).toEqual([...addresses, 'new:1']);
      expect(added.has('new:1')).toBe(true);
    }
  });

  it('is frozen and has no way to change it', () => {
    const map = ServerMap.of([a, b]);
    expect(Object.isFrozen(map)).toBe(true);
    const loose = map as unknown as Record<string, unknown>;
    for (const method of ['set', 'delete', 'clear']) expect(loose[method]).toBeUndefined();
    expect(() => {
      loose.extra = 1;
    }).toThrow(TypeError);
  });

  it('with(): replaces in place, appends new addresses, drops removed ones, and leaves the original alone', () => {
    const map = ServerMap.of([a, b, c]);
    const b2 = unknownServerDescription('b:1', 5);
    const d = unknownServerDescription('d:1', 5);
    const replaced = map.with(new Map([['b:1', b2]]));
    expect([...replaced.values()]).toEqual([a, b2, c]);
    const grown = map.with(new Map([['d:1', d]]), new Set(['a:1']));
    expect([...grown.keys()]).toEqual(['b:1', 'c:1', 'd:1']);
    expect(grown.has('a:1')).toBe(false);
    expect(grown.get('d:1')).toBe(d);
    expect([...map.values()]).toEqual([a, b, c]);
  });

  it('primaryAddress() follows every kind of change', () => {
    const map = ServerMap.of([a, b, c]);
    expect(map.primaryAddress()).toBe('a:1');
    // A secondary changed: the known primary carries over.
    expect(map.with(new Map([['c:1', unknownServerDescription('c:1', 2)]])).primaryAddress()).toBe('a:1');
    // The primary itself changed to something else: there is none.
    expect(map.with(new Map([['a:1', unknownServerDescription('a:1', 2)]])).primaryAddress()).toBeNull();
    // Another server became primary (and the old one was demoted).
    const moved = map.with(
      new Map([
        ['a:1', unknownServerDescription('a:1', 2)],
        ['b:1', member('b:1', true)],
      ]),
    );
    expect(moved.primaryAddress()).toBe('b:1');
    // The primary removed.
    expect(map.with(new Map(), new Set(['a:1'])).primaryAddress()).toBeNull();
    // From a map with no primary, one written in.
    const none = ServerMap.of([b, c]);
    expect(none.primaryAddress()).toBeNull();
    expect(none.with(new Map([['c:1', member('c:1', true)]])).primaryAddress()).toBe('c:1');
  });

  it('from(): a ServerMap as is; a plain Map converted with its order', () => {
    const map = ServerMap.of([a, b]);
    expect(ServerMap.from(map)).toBe(map);
    const converted = ServerMap.from(
      new Map([
        ['b:1', b],
        ['a:1', a],
      ]),
    );
    expect([...converted.keys()]).toEqual(['b:1', 'a:1']);
    expect(converted.primaryAddress()).toBe('a:1');
  });

  it('toJSON(): an object by address', () => {
    const json = JSON.parse(JSON.stringify(ServerMap.of([a, b]))) as Record<string, { address: string }>;
    expect(Object.keys(json)).toEqual(['a:1', 'b:1']);
    expect(json['b:1']?.address).toBe('b:1');
  });

  it('prints its servers in console.log and util.inspect, like a Map, alone and inside a snapshot', () => {
    const map = ServerMap.of([a, b]);
    const shown = inspect(map);
    expect(
      shown.startsWith("ServerMap(2) {\n  'a:1' => {\n    address: 'a:1',\n    type: 'RSPrimary',"),
    ).toBe(true);
    expect(shown).toContain("'b:1' => {");
    expect(shown).toContain("type: 'RSSecondary'");
    // Inside a snapshot (depth 2 by default) the descriptions still show their fields.
    const snapshot = inspect({ type: 'ReplicaSetWithPrimary', servers: map });
    expect(snapshot).toContain("servers: ServerMap(2) {\n    'a:1' => {\n      address: 'a:1',");
    // Beyond the depth limit, its name, as util.inspect does for any object.
    expect(inspect({ a: { b: { c: map } } })).toBe('{ a: { b: { c: [ServerMap] } } }');
    expect(inspect(ServerMap.of([]))).toBe('ServerMap(0) {}');
  });

  it('structuredClone copies no private field, so it gives an empty object (as documented)', () => {
    expect(structuredClone(ServerMap.of([a, b]))).toEqual({});
  });
});

describe('hello replies share equal address lists', () => {
  const parse = (address: string, hosts: string[]) =>
    serverDescriptionFromHello(
      address,
      { ok: 1, maxWireVersion: 21, setName: 'rs', secondary: true, hosts },
      { now: 1 },
    );

  it('two replies with the same hosts (as written differently) share one frozen array', () => {
    const first = parse('a:1', ['A:1', 'b:1']);
    const second = parse('b:1', ['a:1', 'B:1']);
    expect(second.hosts).toBe(first.hosts);
    expect(Object.isFrozen(first.hosts)).toBe(true);
    expect(first.hosts).toEqual(['a:1', 'b:1']);
  });

  it('different lists, or the same hosts in another order, are not mixed up', () => {
    const first = parse('a:1', ['a:1', 'b:1']);
    expect(parse('a:1', ['a:1', 'b:1', 'c:1']).hosts).toEqual(['a:1', 'b:1', 'c:1']);
    expect(parse('a:1', ['a:1']).hosts).toEqual(['a:1']);
    const reordered = parse('a:1', ['b:1', 'a:1']);
    expect(reordered.hosts).toEqual(['b:1', 'a:1']);
    expect(reordered.hosts).not.toBe(first.hosts);
  });

  it('entries that become one after lower-casing are kept once, every time', () => {
    for (let i = 0; i < 20; i++) expect(parse('a:1', ['a:1', 'A:1', 'b:1']).hosts).toEqual(['a:1', 'b:1']);
  });
});
