/**
 * What a Topology integration test opens, closed after the test in reverse order (importing this
 * module registers the afterEach hook in the importing test file), and the openers that use it.
 */
import { afterEach } from 'vitest';
import type { SrvAnswer, SrvResolver } from '../../../src/monitor/srv-poller.js';
import { SimulatedReplicaSet } from '../../../src/testing/simulated-replica-set.js';
import { SimulatedShardedCluster } from '../../../src/testing/simulated-sharded-cluster.js';
import { Topology } from '../../../src/topology/topology.js';
import type { TopologyOptions } from '../../../src/topology/topology-options.js';

const pending: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of pending.splice(0).reverse()) await close();
});

/** Runs `close` after the current test, after everything opened later has been closed. */
export function closeAfterTest(close: () => Promise<void>): void {
  pending.push(close);
}

/** A simulated replica set, closed after the test. */
export async function replicaSet(
  options: Parameters<typeof SimulatedReplicaSet.start>[0] = {},
): Promise<SimulatedReplicaSet> {
  const rs = await SimulatedReplicaSet.start(options);
  closeAfterTest(() => rs.close());
  return rs;
}

/** A Topology (not yet connected; 20 s selection timeout unless given), closed after the test. */
export function topology(uri: string, options: TopologyOptions = {}): Topology {
  const t = new Topology(uri, { serverSelectionTimeoutMS: 20_000, ...options });
  closeAfterTest(() => t.close());
  return t;
}

/**
 * A simulated sharded cluster of `count` routers, closed after the test, with the SRV records
 * that name its routers `router<i>.waspnest.test` and the addresses those records make.
 */
export async function srvRouters(count: number): Promise<{
  cluster: SimulatedShardedCluster;
  answer: (...indexes: number[]) => SrvAnswer[];
  name: (index: number) => string;
}> {
  const cluster = await SimulatedShardedCluster.start({ mongos: count });
  closeAfterTest(() => cluster.close());
  const ports = cluster.routers.map((address) => Number(address.split(':')[1]));
  return {
    cluster,
    answer: (...indexes) =>
      indexes.map((i) => ({ name: `router${i}.waspnest.test`, port: ports[i] as number })),
    name: (i) => `router${i}.waspnest.test:${ports[i]}`,
  };
}

/**
 * A Topology of `mongodb+srv://cluster.waspnest.test` answered by `resolver` (rescans every
 * 50 ms, every name resolving to 127.0.0.1), closed after the test.
 */
export function srvTopology(resolver: SrvResolver): Topology {
  const t = new Topology('mongodb+srv://cluster.waspnest.test/?tls=false', {
    srvResolver: resolver,
    rescanSRVIntervalMS: 50,
    heartbeatFrequencyMS: 500,
    lookup: async () => [{ address: '127.0.0.1', family: 4 }],
  });
  closeAfterTest(() => t.close());
  return t;
}
