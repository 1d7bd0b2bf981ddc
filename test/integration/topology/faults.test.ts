/**
 * Every fault the simulator can inject, on a secondary's hello replies: the Topology marks the
 * server Unknown with an error that says what went wrong, keeps the primary usable meanwhile,
 * and recovers once the fault is cleared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../../src/testing/faults.js';
import { SimulatedReplicaSet } from '../../../src/testing/simulated-replica-set.js';
import { Topology } from '../../../src/topology.js';
import { fullyDiscovered, until } from './helpers.js';

let rs: SimulatedReplicaSet;
let topology: Topology;

beforeAll(async () => {
  rs = await SimulatedReplicaSet.start({ members: 3 });
  topology = new Topology(rs.uri, { heartbeatFrequencyMS: 500, connectTimeoutMS: 500 });
  await topology.connect();
  await until(topology, fullyDiscovered(rs.members));
});

afterAll(async () => {
  await topology?.close();
  await rs?.close();
});

const faults: [string, FaultSpec[], RegExp][] = [
  ['reset connections', [{ kind: 'reset', commands: ['hello'] }], /ECONNRESET/],
  // Refusing affects new connections only: reset the open ones too.
  ['refuse connections', [{ kind: 'reset' }, { kind: 'refuse' }], /ECONNREFUSED/],
  ['never answer', [{ kind: 'hang', commands: ['hello'] }], /timed out/],
  ['answer slowly', [{ kind: 'slow', commands: ['hello'], delayMS: 5000 }], /timed out/],
  ['a truncated frame', [{ kind: 'truncatedFrame', commands: ['hello'] }], /in the middle of a message/],
  ['a wrong length', [{ kind: 'wrongLength', commands: ['hello'] }], /message length 12/],
  ['garbage bytes', [{ kind: 'garbage', commands: ['hello'] }], /invalid message/],
  ['a malformed hello', [{ kind: 'malformedHello' }], /[Mm]alformed hello reply.*"hosts"/],
];

describe('Topology against server faults', () => {
  it.each(faults)(
    '%s: the server becomes Unknown with a clear error, then recovers',
    async (_name, specs, message) => {
      const secondary = rs.secondaries[0] as string;
      await until(topology, (s) => s.servers.get(secondary)?.type === 'RSSecondary');
      const handles = specs.map((spec) => rs.fault(secondary, spec));
      const failed = await until(topology, (s) => {
        const server = s.servers.get(secondary);
        return server?.type === 'Unknown' && message.test(server.error?.message ?? '');
      });
      expect(failed.servers.get(secondary)?.error?.name).toMatch(/Error$/);
      // The rest of the set is unaffected.
      expect(topology.selectServerNow('primary')?.address).toBe(rs.primary);
      for (const handle of handles) await handle.clear();
      const recovered = await until(topology, (s) => s.servers.get(secondary)?.type === 'RSSecondary');
      expect(recovered.servers.get(secondary)?.error).toBeNull();
    },
  );
});
