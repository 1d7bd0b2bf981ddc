/**
 * `initialData` (drop, create with createOptions, insert, all with w: majority, through the
 * internal client) and `outcome` (each collection read back in _id order, primary, local read
 * concern, compared exactly).
 */
import type { Document } from 'bson';
import type { MongoClient } from 'mongodb';
import type { CollectionData } from './format.js';
import { assertSameDocuments } from './matcher.js';

const MAJORITY = { writeConcern: { w: 'majority' as const } };

async function dropIfExists(
  client: MongoClient,
  databaseName: string,
  collectionName: string,
): Promise<void> {
  try {
    await client.db(databaseName).dropCollection(collectionName, MAJORITY);
  } catch (err) {
    if ((err as { code?: number }).code !== 26) throw err; // NamespaceNotFound
  }
}

export async function loadInitialData(client: MongoClient, data: readonly CollectionData[]): Promise<void> {
  for (const { databaseName, collectionName, createOptions, documents } of data) {
    // The enxcol_ collections the format also drops exist only with queryable encryption, which
    // the runner skips; and every pair starts on emptied databases (see DeploymentLane.reset).
    await dropIfExists(client, databaseName, collectionName);
    const db = client.db(databaseName);
    if (createOptions || documents.length === 0) {
      await db.createCollection(collectionName, { ...(createOptions ?? {}), ...MAJORITY });
    }
    if (documents.length > 0)
      await db
        .collection(collectionName)
        .insertMany(documents.map((d) => ({ ...d })) as Document[], MAJORITY);
  }
}

export async function checkOutcome(client: MongoClient, outcome: readonly CollectionData[]): Promise<void> {
  for (const { databaseName, collectionName, documents } of outcome) {
    const actual = await client
      .db(databaseName)
      .collection(collectionName)
      .find({}, { sort: { _id: 1 }, readPreference: 'primary', readConcern: { level: 'local' } })
      .toArray();
    assertSameDocuments(documents, actual, `outcome of ${databaseName}.${collectionName}`);
  }
}
