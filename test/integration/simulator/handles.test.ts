/** start() + close() leave no socket, listener or timer behind, whatever was in flight. */
import { Long } from 'bson';
import { describe, expect, it } from 'vitest';
import { OpMsgFlags } from '../../../src/net/wire-protocol.js';
import {
  SimulatedReplicaSet,
  SimulatedShardedCluster,
  SimulatedStandalone,
} from '../../../src/testing/index.js';
import { RawClient } from './raw-client.js';

function resources(): string[] {
  return process.getActiveResourcesInfo().sort();
}

/**
 * Sockets and listeners must match exactly. Timers are compared by count: the test runner's own
 * timers come and go, so a leak shows as more timers than before, never fewer.
 */
function expectNoLeak(before: string[]): void {
  const after = resources();
  const without = (list: string[]): string[] => list.filter((r) => r !== 'Timeout');
  const timers = (list: string[]): number => list.length - without(list).length;
  expect(without(after)).toEqual(without(before));
  expect(timers(after)).toBeLessThanOrEqual(timers(before));
}

describe('no handles left behind', () => {
  it('a 3-member replica set, started and closed', async () => {
    const before = resources();
    const rs = await SimulatedReplicaSet.start();
    expect(resources().filter((r) => r === 'TCPServerWrap').length).toBeGreaterThanOrEqual(3);
    await rs.close();
    expectNoLeak(before);
  });

  it('a replica set closed with streams, lagging replication, slow faults and an election pending', async () => {
    const before = resources();
    const rs = await SimulatedReplicaSet.start({ electionDelayMS: 60_000 });
    const clients = await Promise.all(rs.members.map((address) => RawClient.connect(address)));
    for (const client of clients) {
      const { document } = await client.command({ hello: 1 });
      client.sendCommand(
        { hello: 1, topologyVersion: document['topologyVersion'], maxAwaitTimeMS: 600_000 },
        { flags: OpMsgFlags.exhaustAllowed },
      );
    }
    const [secondary, other] = rs.secondaries;
    rs.setReplicationLag(secondary ?? '', 600_000);
    rs.setLatency(other ?? '', 600_000);
    const primary = rs.primary ?? '';
    const writer = await RawClient.connect(primary);
    await writer.command({ insert: 'c', documents: [{ a: 1 }], $db: 'test' });
    rs.fault(primary, { kind: 'slow', delayMS: 600_000, commands: ['ping'] });
    writer.sendCommand({ ping: 1 });
    writer.sendCommand({
      insert: 'c',
      documents: [{ a: 2 }],
      $db: 'test',
      writeConcern: { w: 3 },
      txnNumber: Long.fromNumber(1),
    });
    rs.partition(other ?? '');
    await rs.kill(primary);
    await rs.close();
    await Promise.all([...clients, writer].map((client) => client.closed));
    expectNoLeak(before);
  });

  it('a sharded cluster and a standalone, started and closed', async () => {
    const before = resources();
    const cluster = await SimulatedShardedCluster.start({ mongos: 3 });
    const standalone = await SimulatedStandalone.start();
    const client = await RawClient.connect(cluster.routers[0] ?? '');
    await client.command({ ping: 1 });
    await Promise.all([cluster.close(), standalone.close()]);
    await client.closed;
    expectNoLeak(before);
  });
});
