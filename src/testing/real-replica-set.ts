/**
 * The simulator's control interface over a real replica set of `mongod` processes, started by
 * mongodb-memory-server's MongoMemoryReplSet: for checking that what passes against the simulator
 * passes against mongod too. stepDown runs replSetStepDown, kill stops a member's process and
 * restart starts it again on the same port. Network faults (partition, latency, reply faults)
 * cannot be injected into a real server and throw UnsupportedOnRealServerError.
 *
 * mongodb-memory-server and the `mongodb` driver are optional peer dependencies, imported only
 * here and only when start() is called. start() first looks for a binary and throws
 * MongodUnavailableError at once when there is none (it never downloads one).
 */
import { EventEmitter } from 'node:events';
import type { Address } from '../description/types.js';
import { MongodUnavailableError, WaspnestError } from '../errors.js';
import { findMongodBinary, mongodSearchLocations } from './mongod-binary.js';

export interface RealReplicaSetOptions {
  /** Default 3. */
  readonly members?: number;
  /** Default 'rs0'. */
  readonly setName?: string;
  /** A mongod binary to use; default: found by findMongodBinary(). */
  readonly binaryPath?: string;
  /** Extra mongod arguments. */
  readonly mongodArgs?: readonly string[];
  /** How long to wait for elections (stepDown, waitForPrimary), in ms; default 60000. */
  readonly electionTimeoutMS?: number;
}

/** A control the real deployment cannot offer (partition, latency, faults, counters). */
export class UnsupportedOnRealServerError extends WaspnestError {
  override name = 'UnsupportedOnRealServerError';
}

interface MemoryServerLike {
  readonly instanceInfo?: { readonly port: number; readonly ip: string } | undefined;
  start(forceSamePort?: boolean): Promise<void>;
  stop(cleanup?: { doCleanup?: boolean; force?: boolean }): Promise<boolean>;
}

interface MemoryReplSetLike {
  readonly servers: MemoryServerLike[];
  getUri(otherDb?: string): string;
  waitUntilRunning(): Promise<void>;
  stop(cleanup?: { doCleanup?: boolean; force?: boolean }): Promise<boolean>;
}

interface ServerDescriptionChange {
  readonly address: string;
  readonly newDescription: { readonly type: string; readonly address: string };
}

interface MonitorClientLike {
  connect(): Promise<unknown>;
  close(force?: boolean): Promise<void>;
  on(event: 'serverDescriptionChanged', listener: (event: ServerDescriptionChange) => void): unknown;
  db(name: string): { command(command: Record<string, unknown>): Promise<Record<string, unknown>> };
}

/** A real replica set with the simulator's control interface. */
export class RealReplicaSet {
  readonly setName: string;
  #replSet: MemoryReplSetLike;
  #client: MonitorClientLike;
  #servers = new Map<Address, MemoryServerLike>();
  #primary: Address | undefined;
  #events = new EventEmitter();
  #electionTimeoutMS: number;
  #closing: Promise<void> | null = null;

  private constructor(
    setName: string,
    replSet: MemoryReplSetLike,
    client: MonitorClientLike,
    electionTimeoutMS: number,
  ) {
    this.setName = setName;
    this.#replSet = replSet;
    this.#client = client;
    this.#electionTimeoutMS = electionTimeoutMS;
    for (const server of replSet.servers) {
      const info = server.instanceInfo;
      if (info) this.#servers.set(`${info.ip}:${info.port}`, server);
    }
  }

  /**
   * Starts the set and waits for a primary.
   * @throws MongodUnavailableError at once when no mongod binary is available.
   */
  static async start(options: RealReplicaSetOptions = {}): Promise<RealReplicaSet> {
    const binary = options.binaryPath ?? findMongodBinary();
    if (binary === null) {
      throw new MongodUnavailableError(
        `no mongod binary available: set MONGOMS_SYSTEM_BINARY to the path of a mongod, or put one on the PATH (looked in: ${mongodSearchLocations().join('; ')})`,
      );
    }
    let memoryServer: { MongoMemoryReplSet: { create(options: Record<string, unknown>): Promise<unknown> } };
    let driver: { MongoClient: new (uri: string, options: Record<string, unknown>) => unknown };
    try {
      memoryServer = (await import('mongodb-memory-server')) as unknown as typeof memoryServer;
      driver = (await import('mongodb')) as unknown as typeof driver;
    } catch (error) {
      throw new MongodUnavailableError(
        'RealReplicaSet needs the optional packages mongodb-memory-server and mongodb: npm install --save-dev mongodb-memory-server mongodb',
        { cause: error },
      );
    }
    const setName = options.setName ?? 'rs0';
    const replSet = (await memoryServer.MongoMemoryReplSet.create({
      binary: { systemBinary: binary },
      replSet: { count: options.members ?? 3, name: setName, args: [...(options.mongodArgs ?? [])] },
    })) as MemoryReplSetLike;
    let client: MonitorClientLike | null = null;
    try {
      await replSet.waitUntilRunning();
      client = new driver.MongoClient(replSet.getUri(), {
        heartbeatFrequencyMS: 500,
        serverSelectionTimeoutMS: options.electionTimeoutMS ?? 60_000,
      }) as MonitorClientLike;
      const rs = new RealReplicaSet(setName, replSet, client, options.electionTimeoutMS ?? 60_000);
      client.on('serverDescriptionChanged', (event) => rs.#onServerDescription(event));
      await client.connect();
      await rs.waitForPrimary();
      return rs;
    } catch (error) {
      await client?.close(true).catch(() => undefined);
      await replSet.stop({ doCleanup: true, force: true }).catch(() => false);
      throw error;
    }
  }

  /** The set's connection string (every member, with replicaSet). */
  get uri(): string {
    return this.#replSet.getUri();
  }

  get members(): Address[] {
    return [...this.#servers.keys()];
  }

  /** The primary as last seen by the set's monitoring client. */
  get primary(): Address | undefined {
    return this.#primary;
  }

  /** Resolves with the primary's address, at once or when one is known. */
  async waitForPrimary(): Promise<Address> {
    if (this.#primary) return this.#primary;
    return this.#nextPrimary(() => true);
  }

  /** replSetStepDown on the primary, then waits for another member to be elected. */
  async stepDown(): Promise<Address> {
    const old = await this.waitForPrimary();
    const elected = this.#nextPrimary((address) => address !== old);
    try {
      await this.#client.db('admin').command({ replSetStepDown: 10, secondaryCatchUpPeriodSecs: 5 });
    } catch (error) {
      // mongod may close connections as it steps down; the election below is what counts.
      if (!(error instanceof Error) || !/closed|interrupted|stepped down|not primary/i.test(error.message))
        throw error;
    }
    return elected;
  }

  /** Stops a member's process (its data stays). */
  async kill(address: Address): Promise<void> {
    await this.#server(address).stop({ doCleanup: false, force: true });
  }

  /** Starts a killed member again on the same port. */
  async restart(address: Address): Promise<void> {
    await this.#server(address).start(true);
  }

  partition(_address: Address): never {
    throw new UnsupportedOnRealServerError(
      'RealReplicaSet cannot partition a member: use SimulatedReplicaSet',
    );
  }

  heal(_address: Address): never {
    throw new UnsupportedOnRealServerError(
      'RealReplicaSet cannot partition or heal a member: use SimulatedReplicaSet',
    );
  }

  setLatency(_address: Address, _ms: number): never {
    throw new UnsupportedOnRealServerError('RealReplicaSet cannot add latency: use SimulatedReplicaSet');
  }

  setReplicationLag(_address: Address, _ms: number): never {
    throw new UnsupportedOnRealServerError(
      'RealReplicaSet cannot set replication lag: use SimulatedReplicaSet',
    );
  }

  fault(_address: Address, _spec: unknown): never {
    throw new UnsupportedOnRealServerError('RealReplicaSet cannot inject faults: use SimulatedReplicaSet');
  }

  commandCount(_address: Address, _name?: string): never {
    throw new UnsupportedOnRealServerError('RealReplicaSet does not count commands: use SimulatedReplicaSet');
  }

  /** Stops every mongod and removes their data; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#events.emit('closed');
      await this.#client.close(true).catch(() => undefined);
      await this.#replSet.stop({ doCleanup: true, force: true });
    })();
    return this.#closing;
  }

  #server(address: Address): MemoryServerLike {
    const server = this.#servers.get(address);
    if (!server)
      throw new WaspnestError(`${address} is not a member; members are ${this.members.join(', ')}`);
    return server;
  }

  #onServerDescription(event: ServerDescriptionChange): void {
    const address = event.address;
    if (event.newDescription.type === 'RSPrimary') {
      this.#primary = address;
      this.#events.emit('primary', address);
    } else if (this.#primary === address) {
      this.#primary = undefined;
    }
  }

  #nextPrimary(accept: (address: Address) => boolean): Promise<Address> {
    if (this.#primary !== undefined && accept(this.#primary)) return Promise.resolve(this.#primary);
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#events.off('primary', onPrimary);
        this.#events.off('closed', onClosed);
      };
      const onPrimary = (address: Address): void => {
        if (!accept(address)) return;
        cleanup();
        resolve(address);
      };
      const onClosed = (): void => {
        cleanup();
        reject(new WaspnestError('the real replica set closed while waiting for a primary'));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new WaspnestError(`no primary elected within ${this.#electionTimeoutMS} ms`));
      }, this.#electionTimeoutMS);
      this.#events.on('primary', onPrimary);
      this.#events.on('closed', onClosed);
    });
  }
}
