/**
 * "Selection within latency window" specification tests (multi-threaded/async drivers): a
 * `topology_description`, the servers' `operation_count`s in `mocked_topology_state`, a number of
 * `iterations`, and the expected selection frequencies with a `tolerance` in `outcome`. Selection
 * uses mode 'nearest' and power of two choices; a seeded generator makes every run identical.
 */
import assert from 'node:assert/strict';
import type { Document } from 'bson';
import type { FormatHandler } from '../spec-case.js';
import { pickServer } from '../../../src/selection/pick-server.js';
import { toReadPreference } from '../../../src/selection/read-preference.js';
import { selectServers } from '../../../src/selection/select-servers.js';
import { seededRandom } from '../../../src/cli/seeded-random.js';
import { specNumber, topologyFromSpec } from './selection.js';

function runCase(content: Document): void {
  const snapshot = topologyFromSpec(content['topology_description'] as Document);
  const counts = new Map<string, number>();
  for (const entry of (content['mocked_topology_state'] as Document[] | undefined) ?? []) {
    counts.set(String(entry['address']), specNumber(entry['operation_count']) ?? 0);
  }
  const iterations = specNumber(content['iterations']) ?? 2000;
  const outcome = (content['outcome'] as Document | undefined) ?? {};
  const tolerance = specNumber(outcome['tolerance']) ?? 0;
  const expected = (outcome['expected_frequencies'] as Document | undefined) ?? {};

  const result = selectServers(snapshot, toReadPreference('nearest'), { operation: 'read' });
  const random = seededRandom(0x5eed);
  const operationCount = (address: string) => counts.get(address) ?? 0;
  const picked = new Map<string, number>();
  for (let i = 0; i < iterations; i++) {
    const server = pickServer(result.inLatencyWindow, operationCount, random);
    assert.ok(server, `nothing selected: ${result.explanation ?? ''}`);
    picked.set(server.address, (picked.get(server.address) ?? 0) + 1);
  }
  for (const [address, value] of Object.entries(expected)) {
    const want = specNumber(value) ?? 0;
    const got = (picked.get(address) ?? 0) / iterations;
    if (want === 0 || want === 1) assert.equal(got, want, `frequency of ${address}`);
    else
      assert.ok(
        Math.abs(got - want) <= tolerance,
        `frequency of ${address}: ${got}, expected ${want} ± ${tolerance}`,
      );
  }
}

export const inWindowCases: FormatHandler = (file) => [{ name: file.path, run: () => runCase(file.content) }];
