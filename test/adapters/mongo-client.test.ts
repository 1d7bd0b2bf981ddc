import { MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { watchMongoClient, type MongoClientWatcher } from '../../src/adapters/mongo-client.js';
import type { TopologyDescription } from '../../src/description/types.js';
import type { TopologyEvents } from '../../src/events/events.js';
import { SimulatedReplicaSet } from '../../src/testing/simulated-replica-set.js';

let rs: SimulatedReplicaSet | undefined;
let client: MongoClient | undefined;
let watcher: MongoClientWatcher | undefined;

afterEach(async () => {
  watcher?.close();
  await client?.close();
  await rs?.close();
  watcher = undefined;
  client = undefined;
  rs = undefined;
});

/** The next `event` whose payload satisfies `predicate` (registered before the action that causes it). */
function next<K extends keyof TopologyEvents>(
  source: MongoClientWatcher,
  event: K,
  predicate: (payload: TopologyEvents[K][0]) => boolean = () => true,
): Promise<TopologyEvents[K][0]> {
  return new Promise((resolve) => {
    const listener = (...args: TopologyEvents[K]) => {
      const [payload] = args;
      if (!predicate(payload)) return;
      source.off(event, listener as never);
      resolve(payload);
    };
    source.on(event, listener as never);
  });
}

describe('watchMongoClient with the official driver against a simulated replica set', () => {
  it('turns the driver SDAM events into frozen snapshots and our events, through a step-down', async () => {
    rs = await SimulatedReplicaSet.start({
      members: 3,
      tags: [{ dc: 'east' }, { dc: 'west' }, { dc: 'west' }],
    });
    const first = await rs.waitForPrimary();
    client = new MongoClient(rs.uri, { serverSelectionTimeoutMS: 5000 });
    const listenersBefore = client.listenerCount('topologyDescriptionChanged');
    watcher = watchMongoClient(client);
    expect(watcher.snapshot.version).toBe(0);
    expect(watcher.snapshot.type).toBe('Unknown');

    const snapshots: TopologyDescription[] = [];
    const previous: TopologyDescription[] = [];
    const opened: string[] = [];
    const writable: boolean[] = [];
    const initial = watcher.snapshot;
    watcher.on('topologyDescriptionChanged', (e) => {
      previous.push(e.previousDescription);
      snapshots.push(e.newDescription);
    });
    watcher.on('serverOpening', (e) => opened.push(e.address));
    watcher.on('writableChanged', (e) => writable.push(e.writable));

    const found = next(watcher, 'primaryChanged', (e) => e.current === first);
    await client.connect();
    const firstEvent = await found;
    expect(firstEvent.previous).toBeNull();
    expect(firstEvent.durationMS).toBeTypeOf('number');
    expect(firstEvent.snapshot.servers.get(first)?.type).toBe('RSPrimary');
    expect(snapshots).toContain(firstEvent.snapshot);
    expect(writable).toEqual([true]);
    expect(opened.sort()).toEqual([...rs.members].sort());

    // The driver's own read goes through while we watch.
    await client.db('app').collection<{ _id: number }>('things').insertOne({ _id: 1 });

    const changed = next(watcher, 'primaryChanged', (e) => e.current !== null && e.current !== first);
    const elected = await rs.stepDown();
    const failover = await changed;
    expect(failover.current).toBe(elected);
    expect(failover.previous === first || failover.previous === null).toBe(true);

    const snapshot = watcher.snapshot;
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(snapshot.type).toBe('ReplicaSetWithPrimary');
    expect(snapshot.setName).toBe('rs0');
    expect(snapshot.servers.get(elected)?.type).toBe('RSPrimary');
    expect(snapshot.servers.get(first)?.type).not.toBe('RSPrimary');
    expect(snapshot.servers.get(elected)?.tags).toEqual({
      dc: rs.members.indexOf(elected) === 0 ? 'east' : 'west',
    });
    expect(snapshot.maxElectionId).toMatch(/^[0-9a-f]{24}$/);
    expect(watcher.isWritable()).toBe(true);
    expect(watcher.isReadable()).toBe(true);
    // Versions grow by exactly one per new snapshot: nothing was published twice or skipped.
    expect(snapshots.map((s) => s.version)).toEqual(snapshots.map((_, i) => i + 1));
    expect(snapshots.at(-1)).toBe(snapshot);
    // One writer, one reference: each event's previous snapshot is the very object published before.
    expect(previous).toEqual([initial, ...snapshots.slice(0, -1)]);
    previous.forEach((p, i) => expect(p).toBe(i === 0 ? initial : snapshots[i - 1]));

    watcher.close();
    expect(client.listenerCount('topologyDescriptionChanged')).toBe(listenersBefore);
    const version = watcher.snapshot.version;
    await rs.stepDown();
    await client.db('app').collection<{ _id: number }>('things').insertOne({ _id: 2 });
    expect(watcher.snapshot.version).toBe(version);
  });

  it('starts from the description of a client that is already connected, and sees it close', async () => {
    rs = await SimulatedReplicaSet.start({ members: 3 });
    const primary = await rs.waitForPrimary();
    client = new MongoClient(rs.uri, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    watcher = watchMongoClient(client);
    expect(watcher.snapshot.type).toBe('ReplicaSetWithPrimary');
    expect(watcher.snapshot.servers.get(primary)?.type).toBe('RSPrimary');
    expect(watcher.isWritable()).toBe(true);

    const closed = next(watcher, 'topologyClosed');
    await client.close();
    await closed;
  });

  it('reports heartbeats by server address', async () => {
    rs = await SimulatedReplicaSet.start({ members: 1 });
    const primary = await rs.waitForPrimary();
    client = new MongoClient(rs.uri, { serverSelectionTimeoutMS: 5000 });
    watcher = watchMongoClient(client);
    const heartbeat = next(watcher, 'serverHeartbeatSucceeded');
    await client.connect();
    const event = await heartbeat;
    expect(event.address).toBe(primary);
    expect(event.duration).toBeTypeOf('number');
    expect(event.reply).toMatchObject({ setName: 'rs0' });
  });
});
