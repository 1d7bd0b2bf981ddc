/**
 * A minimal client that embeds a waspnest Topology: the topology decides *where* each operation
 * goes (writes to the primary, reads by read preference), and plain official-driver connections
 * (one `directConnection` MongoClient per server) carry the bytes. Errors go back to the
 * topology, which marks the server and refreshes without a herd; a write that hit a primary that
 * just stepped down is retried once on the new one.
 *
 * Run: npx tsx examples/minimal-client.ts
 *
 * In your project, import from 'waspnest' and 'waspnest/testing' instead of '../src/...'.
 */
import { MongoClient, type Db } from 'mongodb';
import { Topology, type Address, type ReadPreferenceLike, type TopologyOptions } from '../src/index.js';
import { SimulatedReplicaSet } from '../src/testing/index.js';

/** Server error codes after which a write may be retried on the next primary. */
const retryableCodes = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

function isRetryable(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown };
  return (
    (typeof e.name === 'string' && e.name.startsWith('MongoNetwork')) || retryableCodes.has(Number(e.code))
  );
}

interface Connection {
  readonly client: MongoClient;
  /** The topology's pool generation when this connection was made (stale errors are ignored). */
  readonly generation: number;
}

class MiniClient {
  readonly topology: Topology;
  readonly #connections = new Map<Address, Connection>();

  constructor(
    uri: string,
    private readonly dbName: string,
    options: TopologyOptions = {},
  ) {
    this.topology = new Topology(uri, options);
    // The topology says when a server's connections are stale (it failed, or stepped down).
    this.topology.on('poolCleared', (e) => void this.#drop(e.address));
  }

  async connect(): Promise<void> {
    await this.topology.connect();
  }

  /** Runs `operation` on the primary; retried once on the next primary after a state change or network error. */
  async write<T>(operation: (db: Db) => Promise<T>): Promise<{ result: T; server: Address }> {
    for (let attempt = 1; ; attempt++) {
      const server = await this.topology.selectServer('primary', { operation: 'write' });
      try {
        return { result: await this.#run(server.address, operation), server: server.address };
      } catch (error) {
        if (attempt >= 2 || !isRetryable(error)) throw error;
      }
    }
  }

  /** Runs `operation` on a server chosen by `readPreference`. */
  async read<T>(
    readPreference: ReadPreferenceLike,
    operation: (db: Db) => Promise<T>,
  ): Promise<{ result: T; server: Address }> {
    const server = await this.topology.selectServer(readPreference);
    return { result: await this.#run(server.address, operation), server: server.address };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#connections.keys()].map((address) => this.#drop(address)));
    await this.topology.close();
  }

  async #run<T>(address: Address, operation: (db: Db) => Promise<T>): Promise<T> {
    const connection = this.#connectionTo(address);
    try {
      // Counted as in flight, so that selection prefers the less busy of two equal servers.
      return await this.topology.withOperation(address, () => operation(connection.client.db(this.dbName)));
    } catch (error) {
      // The topology decides what the error means (stale generation, topologyVersion, ...).
      this.topology.reportError(address, error, { generation: connection.generation });
      throw error;
    }
  }

  #connectionTo(address: Address): Connection {
    let connection = this.#connections.get(address);
    if (connection === undefined) {
      const client = new MongoClient(`mongodb://${address}/?directConnection=true`, {
        // The topology routes and retries; the driver only talks to the one server.
        retryWrites: false,
        retryReads: false,
        serverSelectionTimeoutMS: 2000,
      });
      connection = { client, generation: this.topology.poolGeneration(address) };
      this.#connections.set(address, connection);
    }
    return connection;
  }

  async #drop(address: Address): Promise<void> {
    const connection = this.#connections.get(address);
    if (connection === undefined) return;
    this.#connections.delete(address);
    await connection.client.close();
  }
}

async function main(): Promise<void> {
  const rs = await SimulatedReplicaSet.start({
    members: 3,
    tags: [{ dc: 'east' }, { dc: 'west' }, { dc: 'west' }],
  });
  const app = new MiniClient(rs.uri, 'shop');
  try {
    await app.connect();
    const orders = (db: Db) => db.collection<{ _id: number; item: string }>('orders');

    const first = await app.write((db) => orders(db).insertOne({ _id: 1, item: 'tea' }));
    console.log(`write #1 went to ${first.server} (the primary: ${rs.primary})`);

    const read = await app.read({ mode: 'secondary', tags: [{ dc: 'west' }] }, (db) =>
      orders(db).findOne({ _id: 1 }),
    );
    console.log(`read from ${read.server} (a secondary tagged dc=west): ${JSON.stringify(read.result)}`);

    const elected = await rs.stepDown();
    console.log(`stepDown: ${elected} is the new primary`);

    const second = await app.write((db) => orders(db).insertOne({ _id: 2, item: 'coffee' }));
    console.log(`write #2 went to ${second.server}`);

    const count = await app.read('primary', (db) => orders(db).countDocuments());
    console.log(`${count.result} orders on ${count.server}`);
  } finally {
    await app.close();
    await rs.close();
  }
}

await main();
