/**
 * What the official-driver tests share: client options for the simulator, a set and a client per
 * test, and waiting on driver events.
 */
import {
  MongoClient,
  MongoServerError,
  type MongoClientOptions,
  type ServerDescriptionChangedEvent,
} from 'mongodb';
import { afterEach, expect } from 'vitest';
import { SimulatedReplicaSet } from '../../../src/testing/index.js';
import { limited } from '../topology/helpers.js';

/**
 * Quick heartbeats, so that failovers show within a test's time, and the driver's own (long)
 * connect and socket timeouts: on a loaded machine a short timeout fires on healthy servers too.
 */
export const driverClientOptions: MongoClientOptions = {
  heartbeatFrequencyMS: 500,
  serverSelectionTimeoutMS: 10_000,
};

/**
 * Registers the cleanup (the client, then the set, after each test) and returns the function that
 * starts a replica set and an official driver client on it (retryable writes, the options above).
 * Call it once at the top of a test file.
 */
export function driverOnReplicaSet(): (
  options?: Parameters<typeof SimulatedReplicaSet.start>[0],
  driverOptions?: MongoClientOptions,
) => Promise<[SimulatedReplicaSet, MongoClient]> {
  let rs: SimulatedReplicaSet | undefined;
  let client: MongoClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await rs?.close();
    rs = undefined;
  });
  return async (options = {}, driverOptions = { ...driverClientOptions, retryWrites: true }) => {
    rs = await SimulatedReplicaSet.start(options);
    client = new MongoClient(rs.uri, driverOptions);
    return [rs, client];
  };
}

/**
 * For a test about a partition, which a client can only notice as a timeout: a short connect
 * timeout (it also bounds the monitor's awaitable hello). Such a test waits for the partitioned
 * server to become Unknown; a healthy server timing out under load would only delay it.
 */
export const partitionClientOptions: MongoClientOptions = { ...driverClientOptions, connectTimeoutMS: 500 };

/**
 * Resolves with the first event `name` of `client` for which `accept` holds; fails after
 * WAIT_LIMIT_MS naming the event (and `what`, when given).
 */
export function nextEvent<T>(
  client: MongoClient,
  name: string,
  accept: (event: T) => boolean = () => true,
  what = accept.length > 0
    ? `a driver '${name}' event where ${accept.toString()}`
    : `a driver '${name}' event`,
): Promise<T> {
  return limited<T>(what, (resolve) => {
    const listener = (event: T): void => {
      if (accept(event)) resolve(event);
    };
    client.on(name, listener);
    return () => client.off(name, listener);
  });
}

/** Resolves with the client's next description of `address` (of any server when null) as a `type` server. */
export function serverBecomes(
  client: MongoClient,
  type: string,
  address: string | null,
): Promise<ServerDescriptionChangedEvent> {
  return nextEvent<ServerDescriptionChangedEvent>(
    client,
    'serverDescriptionChanged',
    (event) => (address === null || event.address === address) && event.newDescription.type === type,
    `the driver to describe ${address ?? 'a server'} as ${type}`,
  );
}

/** The error `promise` rejects with, checked to be a `type` (a MongoServerError by default). */
export async function failure<T extends Error = MongoServerError>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T = MongoServerError as unknown as new (...args: never[]) => T,
): Promise<T> {
  const error = await promise.then(
    () => new Error('expected the operation to fail'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}
