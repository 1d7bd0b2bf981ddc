/**
 * Server discovery and monitoring specification tests (`phases` files). Each file is one case:
 * the seed list and topology options come from its `uri`; each phase feeds hello replies
 * (`responses`, `{}` meaning a network error) and `applicationErrors` to the pure core, then
 * compares the snapshot with `outcome` — or, in monitoring files, the events the snapshot swaps
 * mean (`outcome.events`) with what the specification expects.
 *
 * The handler plays the shell's part: it keeps each server's pool generation (bumped when the
 * core says to clear the pool) and a fake clock that moves on every input. It also checks, at
 * every step, what the core promises: snapshots deeply frozen, `version` up by exactly one per
 * new snapshot, and no events without a new snapshot.
 */
import assert from 'node:assert/strict';
import { deserialize, serialize, type Document } from 'bson';
import type { FormatHandler } from '../spec-case.js';
import { normalizeAddress } from '../../../src/description/address.js';
import { applyServerDescription } from '../../../src/description/apply-server-description.js';
import { applyApplicationError } from '../../../src/description/application-error.js';
import { bsonTypeOf, readNumber, readObjectIdHex } from '../../../src/description/bson-values.js';
import { sdamEventsBetween, type SdamEvent } from '../../../src/description/sdam-events.js';
import {
  loadBalancerServerDescription,
  serverDescriptionFromError,
  serverDescriptionFromHello,
} from '../../../src/description/server-description.js';
import {
  initialTopologyDescription,
  type TopologyOptions,
} from '../../../src/description/topology-description.js';
import type { Address, ServerDescription, TopologyDescription } from '../../../src/description/types.js';
import { NetworkError, NetworkTimeoutError, ServerReplyError } from '../../../src/errors.js';

export const sdamCases: FormatHandler = (file) => [{ name: file.path, run: () => runFile(file.content) }];

/**
 * The seeds and the three topology options of a `mongodb://` URI. The tests need no more, and a
 * local reading keeps these tests independent of the connection-string parser (tested apart).
 */
export function seedsAndOptions(uri: string): { seeds: Address[]; options: TopologyOptions } {
  const match = /^mongodb:\/\/([^/?]*)\/?(?:\?(.*))?$/.exec(uri);
  assert.ok(match, `unsupported test URI ${uri}`);
  const seeds = (match[1] ?? '').split(',').map((host) => normalizeAddress(decodeURIComponent(host)));
  const options: { directConnection?: boolean; replicaSet?: string; loadBalanced?: boolean } = {};
  for (const pair of (match[2] ?? '').split('&').filter((p) => p !== '')) {
    const [rawKey = '', rawValue = ''] = pair.split('=');
    const key = rawKey.toLowerCase();
    const value = decodeURIComponent(rawValue);
    if (key === 'directconnection') options.directConnection = value === 'true';
    else if (key === 'loadbalanced') options.loadBalanced = value === 'true';
    else if (key === 'replicaset') options.replicaSet = value;
  }
  return { seeds, options };
}

/** A reply as the wire gives it: int32 and double as numbers, int64 kept as Long, ObjectIds. */
function asFromWire(reply: Document): Document {
  return deserialize(serialize(reply), { promoteLongs: false });
}

class Harness {
  now = 0;
  snapshot: TopologyDescription;
  readonly generations = new Map<Address, number>();
  readonly events: SdamEvent[] = [];
  openingEvents = 0;

  constructor(uri: string) {
    const { seeds, options } = seedsAndOptions(uri);
    const empty = initialTopologyDescription([], { now: this.now });
    this.snapshot = initialTopologyDescription(seeds, { ...options, now: this.now });
    assertDeeplyFrozen(this.snapshot);
    assert.equal(this.snapshot.version, 0, 'the initial snapshot is version 0');
    this.openingEvents = 1;
    this.events.push(...sdamEventsBetween(empty, this.snapshot));
    // A load-balanced topology's server is a LoadBalancer from the start (load balancer spec).
    if (options.loadBalanced === true) {
      for (const address of [...this.snapshot.servers.keys()]) {
        this.swap(applyServerDescription(this.snapshot, loadBalancerServerDescription(address, this.now)));
      }
    }
  }

  generationOf(address: Address): number {
    return this.generations.get(address) ?? 0;
  }

  swap(next: TopologyDescription): void {
    const previous = this.snapshot;
    if (next !== previous) {
      assert.equal(next.version, previous.version + 1, 'a new snapshot has version + 1');
      assertDeeplyFrozen(next);
      const events = sdamEventsBetween(previous, next);
      this.events.push(...events);
    } else {
      assert.deepEqual(sdamEventsBetween(previous, next), [], 'no events without a new snapshot');
    }
    this.snapshot = next;
  }

  response(rawAddress: string, reply: Document): void {
    this.now += 1;
    const address = normalizeAddress(rawAddress);
    const description =
      Object.keys(reply).length === 0
        ? serverDescriptionFromError(address, new NetworkError(`connection to ${address} failed (test)`), {
            now: this.now,
          })
        : serverDescriptionFromHello(address, asFromWire(reply), { now: this.now });
    assert.ok(Object.isFrozen(description), 'descriptions are frozen');
    this.swap(applyServerDescription(this.snapshot, description));
  }

  applicationError(spec: Document): void {
    this.now += 1;
    const address = normalizeAddress(String(spec['address']));
    const poolGeneration = this.generationOf(address);
    const errorGeneration =
      spec['generation'] === undefined ? poolGeneration : readNumber(spec['generation']);
    assert.ok(errorGeneration !== undefined, 'generation must be a number');
    const maxWireVersion = readNumber(spec['maxWireVersion']);
    assert.ok(maxWireVersion !== undefined, 'maxWireVersion must be a number');
    const when = String(spec['when']);
    assert.ok(
      when === 'beforeHandshakeCompletes' || when === 'afterHandshakeCompletes',
      `unknown when: ${when}`,
    );
    const { snapshot, actions } = applyApplicationError(this.snapshot, address, errorFromSpec(spec), {
      now: this.now,
      when,
      maxWireVersion,
      poolGeneration,
      errorGeneration,
    });
    if (actions.clearPool) this.generations.set(address, poolGeneration + 1);
    this.swap(snapshot);
  }
}

function errorFromSpec(spec: Document): unknown {
  switch (spec['type']) {
    case 'network':
      return new NetworkError('connection reset by peer (test)');
    case 'timeout':
      return new NetworkTimeoutError('socket timed out (test)');
    case 'command': {
      const response = asFromWire((spec['response'] ?? {}) as Document);
      if (readNumber(response['ok']) === 0 || response['ok'] === false) {
        const errmsg = typeof response['errmsg'] === 'string' ? response['errmsg'] : 'command failed';
        const code = readNumber(response['code']);
        const codeName = typeof response['codeName'] === 'string' ? response['codeName'] : undefined;
        return new ServerReplyError(errmsg, code, codeName, response);
      }
      // An ok: 1 reply (writeErrors, writeConcernError) goes in as the raw document.
      return response;
    }
    default:
      throw new assert.AssertionError({ message: `unknown application error type ${String(spec['type'])}` });
  }
}

function runFile(content: Document): void {
  const harness = new Harness(String(content['uri']));
  const phases = content['phases'] as Document[];
  assert.ok(Array.isArray(phases), 'phases must be an array');
  phases.forEach((phase, index) => {
    const where = `phase ${index + 1}${typeof phase['description'] === 'string' ? ` (${phase['description']})` : ''}`;
    for (const pair of (phase['responses'] ?? []) as [string, Document][]) harness.response(pair[0], pair[1]);
    for (const spec of (phase['applicationErrors'] ?? []) as Document[]) harness.applicationError(spec);
    const outcome = phase['outcome'] as Document;
    if (Array.isArray(outcome['events'])) {
      const actual = [
        ...(harness.openingEvents > 0 ? [{ topology_opening_event: {} }] : []),
        ...harness.events.map(toSpecEvent),
      ];
      harness.openingEvents = 0;
      harness.events.length = 0;
      compareEvents(actual, outcome['events'] as Document[], where);
    } else {
      compareTopology(harness, outcome, where);
    }
  });
}

// ---- outcome comparison ---------------------------------------------------------------------

/** A value from the test file in the snapshot's terms: numbers, hex ObjectIds, plain objects. */
function expected(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const hex = bsonTypeOf(value) === 'ObjectId' ? readObjectIdHex(value) : undefined;
  if (hex !== undefined) return hex;
  const n = readNumber(value);
  if (n !== undefined) return n;
  if (Array.isArray(value)) return value.map(expected);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Document).map(([k, v]) => [k, expected(v)]));
  }
  return value;
}

function compareTopology(harness: Harness, outcome: Document, where: string): void {
  const snapshot = harness.snapshot;
  const servers = outcome['servers'] as Document;
  assert.deepEqual(
    [...snapshot.servers.keys()].sort(),
    Object.keys(servers)
      .map((a) => normalizeAddress(a))
      .sort(),
    `${where}: servers`,
  );
  for (const [rawAddress, server] of Object.entries(servers) as [string, Document][]) {
    const address = normalizeAddress(rawAddress);
    const actual = snapshot.servers.get(address);
    assert.ok(actual !== undefined);
    compareServer(harness, actual, server, `${where}: server ${address}`);
  }
  assert.equal(snapshot.type, outcome['topologyType'], `${where}: topologyType`);
  const topologyFields = [
    'setName',
    'maxSetVersion',
    'maxElectionId',
    'logicalSessionTimeoutMinutes',
    'compatible',
  ] as const;
  compareFields(snapshot, topologyFields, outcome, where);
  if (outcome['compatible'] === false) {
    assert.ok(snapshot.compatibilityError, `${where}: an incompatible topology explains why`);
  }
}

/** Each of `fields` of ours next to the same field in the file, where the file gives it. */
function compareFields<T>(
  ours: T,
  fields: readonly (keyof T & string)[],
  written: Document,
  where: string,
): void {
  for (const field of fields) {
    if (field in written) assert.deepEqual(ours[field], expected(written[field]), `${where}: ${field}`);
  }
}

function compareServer(harness: Harness, actual: ServerDescription, server: Document, where: string): void {
  assert.equal(actual.type, server['type'], `${where}: type`);
  const serverFields = [
    'setName',
    'setVersion',
    'electionId',
    'logicalSessionTimeoutMinutes',
    'topologyVersion',
  ] as const;
  compareFields(actual, serverFields, server, where);
  // Wire versions default to 0 ("not reported"); the files write null for a server that reports none.
  for (const field of ['minWireVersion', 'maxWireVersion'] as const) {
    if (field in server) assert.equal(actual[field], expected(server[field]) ?? 0, `${where}: ${field}`);
  }
  if ('pool' in server) {
    const pool = server['pool'] as Document;
    assert.equal(
      harness.generationOf(actual.address),
      expected(pool['generation']),
      `${where}: pool generation`,
    );
  }
  if ('error' in server) {
    const substring = server['error'];
    if (substring === null) assert.equal(actual.error, null, `${where}: error`);
    else {
      assert.ok(actual.error !== null, `${where}: expected an error containing "${String(substring)}"`);
      assert.ok(
        actual.error.message.includes(String(substring)),
        `${where}: error "${actual.error.message}" should contain "${String(substring)}"`,
      );
    }
  }
}

// ---- monitoring events ----------------------------------------------------------------------

function serverShape(server: ServerDescription): Document {
  return {
    address: server.address,
    arbiters: [...server.arbiters].sort(),
    hosts: [...server.hosts].sort(),
    passives: [...server.passives].sort(),
    type: server.type,
    primary: server.primary,
    setName: server.setName,
  };
}

function topologyShape(topology: TopologyDescription): Document {
  return {
    topologyType: topology.type,
    setName: topology.setName,
    servers: [...topology.servers.values()].map(serverShape).sort(byAddress),
  };
}

function byAddress(a: Document, b: Document): number {
  return String(a['address']).localeCompare(String(b['address']));
}

function toSpecEvent(event: SdamEvent): Document {
  switch (event.type) {
    case 'serverOpening':
      return { server_opening_event: { address: event.address } };
    case 'serverClosed':
      return { server_closed_event: { address: event.address } };
    case 'serverDescriptionChanged':
      return {
        server_description_changed_event: {
          address: event.address,
          previousDescription: serverShape(event.previousDescription),
          newDescription: serverShape(event.newDescription),
        },
      };
    case 'topologyDescriptionChanged':
      return {
        topology_description_changed_event: {
          previousDescription: topologyShape(event.previousDescription),
          newDescription: topologyShape(event.newDescription),
        },
      };
  }
}

/** The expected event in the same shape: absent fields are null, lists sorted, no topologyId. */
function normaliseExpectedEvent(event: Document): Document {
  const [name] = Object.keys(event);
  assert.ok(name !== undefined, 'an event names its type');
  const body = { ...(event[name] as Document) };
  delete body['topologyId'];
  const server = (d: Document): Document => ({
    address: normalizeAddress(String(d['address'])),
    arbiters: ((d['arbiters'] ?? []) as string[]).map((a) => normalizeAddress(a)).sort(),
    hosts: ((d['hosts'] ?? []) as string[]).map((a) => normalizeAddress(a)).sort(),
    passives: ((d['passives'] ?? []) as string[]).map((a) => normalizeAddress(a)).sort(),
    type: d['type'],
    primary: typeof d['primary'] === 'string' ? normalizeAddress(d['primary']) : null,
    setName: d['setName'] ?? null,
  });
  const topology = (d: Document): Document => ({
    topologyType: d['topologyType'],
    setName: d['setName'] ?? null,
    servers: ((d['servers'] ?? []) as Document[]).map(server).sort(byAddress),
  });
  switch (name) {
    case 'topology_opening_event':
      return { [name]: {} };
    case 'server_opening_event':
    case 'server_closed_event':
      return { [name]: { address: normalizeAddress(String(body['address'])) } };
    case 'server_description_changed_event':
      return {
        [name]: {
          address: normalizeAddress(String(body['address'])),
          previousDescription: server(body['previousDescription'] as Document),
          newDescription: server(body['newDescription'] as Document),
        },
      };
    case 'topology_description_changed_event':
      return {
        [name]: {
          previousDescription: topology(body['previousDescription'] as Document),
          newDescription: topology(body['newDescription'] as Document),
        },
      };
    default:
      throw new assert.AssertionError({ message: `unknown event type ${name}` });
  }
}

function compareEvents(actual: Document[], expectedEvents: Document[], where: string): void {
  const wanted = expectedEvents.map(normaliseExpectedEvent);
  const names = (list: Document[]) => list.map((e) => Object.keys(e)[0]);
  assert.deepEqual(names(actual), names(wanted), `${where}: event order`);
  actual.forEach((event, i) => assert.deepEqual(event, wanted[i], `${where}: event ${i + 1}`));
}

// ---- the core's promises --------------------------------------------------------------------

function assertDeeplyFrozen(snapshot: TopologyDescription): void {
  assert.ok(Object.isFrozen(snapshot), 'snapshot frozen');
  assert.ok(Object.isFrozen(snapshot.servers), 'servers map frozen');
  assert.throws(
    () => (snapshot.servers as Map<Address, ServerDescription>).delete('not-a-server:1'),
    'servers map refuses changes',
  );
  for (const server of snapshot.servers.values()) {
    assert.ok(Object.isFrozen(server), `description of ${server.address} frozen`);
    assert.ok(
      Object.isFrozen(server.hosts) && Object.isFrozen(server.tags),
      `lists of ${server.address} frozen`,
    );
  }
}
