/**
 * mongodb+srv:// against simulated mongos routers: the seed list comes from (injected) SRV
 * records, host names resolve through the lookup option, and SRV polling adds and removes
 * routers while the topology is Sharded.
 */
import { describe, expect, it } from 'vitest';
import type { SrvResolver } from '../../../src/monitor/srv-poller.js';
import { nextEvent, until } from './helpers.js';
import { srvRouters, srvTopology } from './close-after-test.js';

describe('a mongodb+srv:// topology of simulated mongos routers', () => {
  it('discovers the routers from SRV records and follows the records as they change', async () => {
    const { answer, name } = await srvRouters(3);
    let records = answer(0, 1);
    // Recorded here and checked by the test: the poller would swallow a throw from the resolver.
    const asked: string[] = [];
    const resolver: SrvResolver = {
      resolveSrv: async (name) => {
        asked.push(name);
        return records;
      },
      resolveTxt: async () => [],
    };
    const t = srvTopology(resolver);
    await t.connect();
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
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(new Set(asked)).toEqual(new Set(['_mongodb._tcp.cluster.waspnest.test']));
    await expect(t.selectServer(undefined, { operation: 'write' })).resolves.toMatchObject({
      type: 'Mongos',
    });
  });
});
