/**
 * mongodb+srv:// against simulated mongos routers: the seed list comes from (injected) SRV
 * records, host names resolve through the lookup option, and SRV polling adds and removes
 * routers while the topology is Sharded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SrvAnswer, SrvResolver } from '../../../src/srv-poller.js';
import { SimulatedShardedCluster } from '../../../src/testing/simulated-sharded-cluster.js';
import { Topology } from '../../../src/topology.js';
import { nextEvent, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a mongodb+srv:// topology of simulated mongos routers', () => {
  it('discovers the routers from SRV records and follows the records as they change', async () => {
    const cluster = await SimulatedShardedCluster.start({ mongos: 3 });
    cleanups.push(() => cluster.close());
    const ports = cluster.routers.map((address) => Number(address.split(':')[1]));
    const answer = (...indexes: number[]): SrvAnswer[] =>
      indexes.map((i) => ({ name: `router${i}.waspnest.test`, port: ports[i] as number }));
    let records = answer(0, 1);
    let queries = 0;
    const resolver: SrvResolver = {
      resolveSrv: async (name) => {
        expect(name).toBe('_mongodb._tcp.cluster.waspnest.test');
        queries += 1;
        return records;
      },
      resolveTxt: async () => [],
    };
    const t = new Topology('mongodb+srv://cluster.waspnest.test/?tls=false', {
      srvResolver: resolver,
      rescanSRVIntervalMS: 50,
      heartbeatFrequencyMS: 500,
      lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    cleanups.push(() => t.close());
    await t.connect();
    const name = (i: number) => `router${i}.waspnest.test:${ports[i]}`;
    const sharded = await until(
      t,
      (s) => s.type === 'Sharded' && [0, 1].every((i) => s.servers.get(name(i))?.type === 'Mongos'),
    );
    expect([...sharded.servers.keys()].sort()).toEqual([name(0), name(1)]);

    // The records change: router2 appears, router0 goes.
    const opened = nextEvent(t, 'serverOpening', (e) => e.address === name(2));
    const closed = nextEvent(t, 'serverClosed', (e) => e.address === name(0));
    records = answer(1, 2);
    await opened;
    await closed;
    const after = await until(t, (s) => s.servers.get(name(2))?.type === 'Mongos');
    expect([...after.servers.keys()].sort()).toEqual([name(1), name(2)]);
    expect(queries).toBeGreaterThanOrEqual(2);
    await expect(t.selectServer(undefined, { operation: 'write' })).resolves.toMatchObject({
      type: 'Mongos',
    });
  });
});
