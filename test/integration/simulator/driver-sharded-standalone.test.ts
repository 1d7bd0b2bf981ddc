/** The official driver against SimulatedShardedCluster (mongos routers) and SimulatedStandalone. */
import { MongoClient, type TopologyDescription, type TopologyDescriptionChangedEvent } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedShardedCluster, SimulatedStandalone } from '../../../src/testing/index.js';
import { driverClientOptions, nextEvent, partitionClientOptions, serverBecomes } from './driver-client.js';
import { RawClient } from './raw-client.js';

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A driver client of `uri`, closed after the test: connected, and its view a `type` topology. */
async function connectedDriver(uri: string, type: TopologyDescription['type']): Promise<MongoClient> {
  const client = new MongoClient(uri, driverClientOptions);
  cleanups.push(() => client.close());
  const shown = nextEvent<TopologyDescriptionChangedEvent>(
    client,
    'topologyDescriptionChanged',
    (e) => e.newDescription.type === type,
  );
  await client.connect();
  await shown;
  return client;
}

describe('SimulatedShardedCluster', () => {
  it('looks like mongos routers to the driver and serves CRUD from any router', async () => {
    const cluster = await SimulatedShardedCluster.start({ mongos: 3 });
    cleanups.push(() => cluster.close());
    const client = await connectedDriver(cluster.uri, 'Sharded');
    const raw = await RawClient.connect(cluster.routers[0] ?? '');
    cleanups.push(() => raw.close());
    expect((await raw.command({ hello: 1 })).document).toMatchObject({
      msg: 'isdbgrid',
      isWritablePrimary: true,
      ok: 1,
    });

    const items = client.db('app').collection<{ _id: number; v: number }>('items');
    await items.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: i, v: i * i })));
    expect(await items.countDocuments({ v: { $gt: 10 } })).toBe(6);
    await items.updateOne({ _id: 3 }, { $inc: { v: 1 } });
    expect((await items.findOne({ _id: 3 }))?.v).toBe(10);
  });

  it('keeps working when a router is killed, and marks a partitioned router Unknown', async () => {
    const cluster = await SimulatedShardedCluster.start({ mongos: 3 });
    cleanups.push(() => cluster.close());
    const client = new MongoClient(cluster.uri, partitionClientOptions);
    cleanups.push(() => client.close());
    await client.connect();
    const items = client.db('app').collection<{ _id: number }>('items');
    await items.insertOne({ _id: 1 });
    const [first, second] = cluster.routers;
    const killedUnknown = serverBecomes(client, 'Unknown', first ?? '');
    await cluster.kill(first ?? '');
    await killedUnknown;
    await items.insertOne({ _id: 2 });
    const partitionedUnknown = serverBecomes(client, 'Unknown', second ?? '');
    cluster.partition(second ?? '');
    await partitionedUnknown;
    await items.insertOne({ _id: 3 });
    expect(await items.countDocuments()).toBe(3);
    const back = serverBecomes(client, 'Mongos', first ?? '');
    await cluster.restart(first ?? '');
    await back;
  });
});

describe('SimulatedStandalone', () => {
  it('is a Single topology with CRUD, and comes back after kill/restart', async () => {
    const standalone = await SimulatedStandalone.start();
    cleanups.push(() => standalone.close());
    const client = await connectedDriver(standalone.uri, 'Single');
    const items = client.db('app').collection<{ _id: number }>('items');
    await items.insertMany([{ _id: 1 }, { _id: 2 }]);
    const raw = await RawClient.connect(standalone.address);
    cleanups.push(() => raw.close());
    const hello = (await raw.command({ hello: 1 })).document;
    expect(hello['setName']).toBeUndefined();
    expect(hello['msg']).toBeUndefined();
    expect(hello['isWritablePrimary']).toBe(true);
    expect(hello['$clusterTime']).toBeUndefined();
    const standalonesRefuseReplSet = (await raw.command({ replSetGetStatus: 1 })).document;
    expect(standalonesRefuseReplSet).toMatchObject({ ok: 0, code: 76 });

    const down = serverBecomes(client, 'Unknown', null);
    await standalone.kill(standalone.address);
    await down;
    const up = serverBecomes(client, 'Standalone', null);
    await standalone.restart(standalone.address);
    await up;
    // The data survives a crash, as mongod's does.
    expect(await items.countDocuments()).toBe(2);
  });
});
