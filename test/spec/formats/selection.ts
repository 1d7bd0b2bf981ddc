/**
 * Server selection and max staleness specification tests: a `topology_description`, an
 * `operation`, a `read_preference`, optional `heartbeatFrequencyMS` and `deprioritized_servers`,
 * and either the expected `suitable_servers` and `in_latency_window` or `error: true`.
 * Each file is one case. Snapshots are built directly (no state machine involved), so these test
 * selection alone.
 */
import assert from 'node:assert/strict';
import { Double, Int32, Long, type Document } from 'bson';
import type { FormatHandler } from '../spec-case.js';
import type { ServerDescription, TopologyDescription } from '../../../src/description/types.js';
import { ServerType, TopologyType } from '../../../src/description/server-type.js';
import { unknownServerDescription } from '../../../src/description/server-description.js';
import { compatibilityOf } from '../../../src/description/topology-derived-fields.js';
import { toReadPreference, type ReadPreference } from '../../../src/selection/read-preference.js';
import { failsFast, selectServers } from '../../../src/selection/select-servers.js';
import { ReadPreferenceError } from '../../../src/errors.js';

/** A number from canonical extended JSON (Int32, Double, Long or a plain number); else undefined. */
export function specNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Int32 || value instanceof Double) return value.value;
  return undefined;
}

/** Plain JS values from canonical extended JSON: numbers unwrapped, recursively. */
export function plain(value: unknown): unknown {
  const n = specNumber(value);
  if (n !== undefined) return n;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Document).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const SERVER_TYPES = new Set<string>(Object.values(ServerType));
const TOPOLOGY_TYPES = new Set<string>(Object.values(TopologyType));

/** A ServerDescription from a spec server entry: an unchecked server's, with what the entry says. */
export function serverFromSpec(entry: Document): ServerDescription {
  const type = String(entry['type']);
  assert.ok(SERVER_TYPES.has(type), `unknown server type ${type}`);
  const serverType = type as ServerType;
  const available = serverType !== ServerType.Unknown && serverType !== ServerType.PossiblePrimary;
  const rtt = specNumber(entry['avg_rtt_ms']);
  const lastWrite = entry['lastWrite'] as Document | undefined;
  const tags = (plain(entry['tags']) ?? {}) as Record<string, string>;
  return Object.freeze({
    ...unknownServerDescription(String(entry['address']), specNumber(entry['lastUpdateTime']) ?? 0),
    type: serverType,
    roundTripTime: rtt ?? null,
    minRoundTripTime: rtt === undefined ? null : 0,
    lastWriteDate: lastWrite ? (specNumber(lastWrite['lastWriteDate']) ?? null) : null,
    minWireVersion: specNumber(entry['minWireVersion']) ?? 0,
    // Files written before wire versions mattered omit it: a current server for available types.
    maxWireVersion: specNumber(entry['maxWireVersion']) ?? (available ? 21 : 0),
    tags: Object.freeze({ ...tags }),
    helloOk: true,
  });
}

/** A frozen TopologyDescription built directly from a spec `topology_description`. */
export function topologyFromSpec(description: Document): TopologyDescription {
  const type = String(description['type']);
  assert.ok(TOPOLOGY_TYPES.has(type), `unknown topology type ${type}`);
  const servers = ((description['servers'] as Document[] | undefined) ?? []).map(serverFromSpec);
  return Object.freeze({
    type: type as TopologyType,
    setName: null,
    maxSetVersion: null,
    maxElectionId: null,
    servers: new Map(servers.map((s) => [s.address, s])),
    ...compatibilityOf(servers),
    logicalSessionTimeoutMinutes: null,
    version: 0,
  });
}

/** The spec's read preference document, in the shape our API takes. */
export function readPreferenceFromSpec(document: Document | undefined): ReadPreference {
  const doc = (plain(document ?? {}) ?? {}) as Record<string, unknown>;
  return toReadPreference({
    mode: doc['mode'] as ReadPreference['mode'] | undefined,
    tags: doc['tag_sets'] as ReadPreference['tags'] | undefined,
    maxStalenessSeconds: doc['maxStalenessSeconds'] as number | undefined,
  });
}

function addresses(list: readonly { address: string }[]): string[] {
  return list.map((s) => s.address).sort();
}

function specAddresses(list: unknown): string[] {
  return ((list as Document[] | undefined) ?? []).map((s) => String(s['address'])).sort();
}

function runCase(content: Document): void {
  const snapshot = topologyFromSpec(content['topology_description'] as Document);
  const operation = content['operation'] === 'write' ? 'write' : 'read';
  const heartbeatFrequencyMS = specNumber(content['heartbeatFrequencyMS']);
  const deprioritized = specAddresses(content['deprioritized_servers']);
  const select = () =>
    selectServers(snapshot, readPreferenceFromSpec(content['read_preference'] as Document | undefined), {
      operation,
      ...(heartbeatFrequencyMS !== undefined ? { heartbeatFrequencyMS } : {}),
      deprioritized,
    });

  if (content['error'] === true) {
    let result;
    try {
      result = select();
    } catch (err) {
      assert.ok(err instanceof ReadPreferenceError, `expected a ReadPreferenceError, got ${String(err)}`);
      return;
    }
    assert.ok(
      failsFast(result.reason),
      `expected an error, got reason ${String(result.reason)} and servers [${addresses(result.suitable).join(', ')}]`,
    );
    assert.ok(result.explanation, 'an error carries an explanation');
    return;
  }

  const result = select();
  if ('suitable_servers' in content) {
    assert.deepEqual(
      addresses(result.suitable),
      specAddresses(content['suitable_servers']),
      'suitable_servers',
    );
  }
  assert.deepEqual(
    addresses(result.inLatencyWindow),
    specAddresses(content['in_latency_window']),
    'in_latency_window',
  );
  if (result.suitable.length === 0) {
    assert.ok(result.reason !== null && result.explanation, 'a failed selection says why');
  } else {
    assert.equal(result.reason, null);
  }
}

export const selectionCases: FormatHandler = (file) => [
  { name: file.path, run: () => runCase(file.content) },
];
