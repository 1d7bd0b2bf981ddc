/** What the Mongoose tests share: a fresh 3-member set and a Mongoose connection to it per test. */
import mongoose, { type Connection } from 'mongoose';
import { afterEach } from 'vitest';
import { SimulatedReplicaSet } from '../../../src/testing/index.js';

/**
 * Registers the cleanup (connection, then set, after each test) and returns the function that
 * starts both. Call it once at the top of a test file.
 */
export function mongooseOnReplicaSet(): () => Promise<[SimulatedReplicaSet, Connection]> {
  let rs: SimulatedReplicaSet | undefined;
  let connection: Connection | undefined;
  afterEach(async () => {
    await connection?.close();
    connection = undefined;
    await rs?.close();
    rs = undefined;
  });
  return async () => {
    rs = await SimulatedReplicaSet.start();
    connection = await mongoose
      .createConnection(rs.uri, {
        dbName: 'shop',
        serverSelectionTimeoutMS: 10_000,
        heartbeatFrequencyMS: 500,
      })
      .asPromise();
    return [rs, connection];
  };
}
