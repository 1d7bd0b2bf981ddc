/**
 * createEntities: clients (URI options, event observation, useMultipleMongoses), databases,
 * collections, sessions, GridFS buckets and threads, each added to the test's entity map.
 */
import type { Document } from 'bson';
import { GridFSBucket, MongoClient, type MongoClientOptions } from 'mongodb';
import { ClientEvents } from './client-events.js';
import { ClientLogs } from './client-logs.js';
import type { DeploymentLane } from './deployment-lane.js';
import { RunnerError, type ClientEntity, type EntityMap } from './entity-map.js';
import { isDocument } from './matcher.js';
import { driverOptions, nativeNumbers } from './operation-arguments.js';
import { RunnerThread } from './runner-thread.js';

export interface EntityFactoryContext {
  readonly entities: EntityMap;
  readonly lane: DeploymentLane;
  /** The test configures fail points: clients poll the servers faster (unless they set it). */
  readonly fastHeartbeat: boolean;
  /** Cluster time from initialData, for sessions on a sharded cluster. */
  readonly clusterTime: Document | null;
  /** Every client created, to close after the test. */
  readonly clients: MongoClient[];
}

/** `readPreferenceTags: ["dc:ny,rack:1", ""]` as the driver's tag documents. */
function readPreferenceTags(tags: unknown): Document[] {
  if (!Array.isArray(tags))
    throw new RunnerError('uriOptions.readPreferenceTags must be an array of strings');
  return tags.map((set: string) =>
    Object.fromEntries(
      set
        .split(',')
        .filter((pair) => pair.length > 0)
        .map((pair) => pair.split(':') as [string, string]),
    ),
  );
}

function clientOptions(spec: Document, ctx: EntityFactoryContext): MongoClientOptions {
  const uriOptions = (nativeNumbers(spec['uriOptions'] ?? {}) as Document) ?? {};
  const options: Document = { monitorCommands: true };
  for (const [key, value] of Object.entries(uriOptions)) {
    if (isDocument(value) && '$$placeholder' in value) {
      throw new RunnerError(`uriOptions.${key} is a $$placeholder the runner has no value for`);
    }
    if (key === 'readPreferenceTags') options[key] = readPreferenceTags(value);
    else if (key.toLowerCase() === 'appname') options['appName'] = value;
    else options[key] = value;
  }
  const hasHeartbeat = Object.keys(uriOptions).some((k) => k.toLowerCase() === 'heartbeatfrequencyms');
  if (ctx.fastHeartbeat && !hasHeartbeat) options['heartbeatFrequencyMS'] = 500;
  if (spec['serverApi'] !== undefined) options['serverApi'] = nativeNumbers(spec['serverApi']);
  if (spec['autoEncryptOpts'] !== undefined) {
    throw new RunnerError('client autoEncryptOpts: client-side encryption is not supported by the runner');
  }
  return options as MongoClientOptions;
}

function createClient(spec: Document, ctx: EntityFactoryContext): ClientEntity {
  const logs = spec['observeLogMessages'] ? new ClientLogs() : null;
  const options = {
    ...clientOptions(spec, ctx),
    ...logs?.driverOptions(spec['observeLogMessages'] as Document),
  };
  const uri = ctx.lane.clientUri({
    useMultipleMongoses: spec['useMultipleMongoses'] as boolean | undefined,
    directConnection: (options as Document)['directConnection'] === true,
  });
  const client = new MongoClient(uri, options);
  ctx.clients.push(client);
  const observe = spec['observeEvents'] as string[] | undefined;
  const events = new ClientEvents(client, {
    observe: observe ? new Set(observe) : null,
    ignoreCommands: new Set((spec['ignoreCommandMonitoringEvents'] as string[] | undefined) ?? []),
    observeSensitiveCommands: spec['observeSensitiveCommands'] === true,
  });
  const topology: { current: Document | null } = { current: null };
  client.on('topologyDescriptionChanged', (event) => {
    topology.current = event.newDescription as unknown as Document;
  });
  for (const store of (spec['storeEventsAsEntities'] as Document[] | undefined) ?? []) {
    const list: Document[] = [];
    ctx.entities.add(store['id'], { kind: 'events', events: list });
    const names = new Set(store['events'] as string[]);
    events.subscribe((e) => {
      if (names.has(e.name)) list.push({ name: e.name, observedAt: Date.now() / 1000, ...e.event });
    });
  }
  return { kind: 'client', client, events, logs, topology };
}

/** Creates one entity (a single-key document) and adds it to the map. */
export async function createEntity(entity: Document, ctx: EntityFactoryContext): Promise<void> {
  const keys = Object.keys(entity);
  if (keys.length !== 1) throw new RunnerError(`an entity must have exactly one key, got ${keys.join(', ')}`);
  const kind = keys[0]!;
  const spec = entity[kind] as Document;
  const id = spec['id'];
  if (ctx.entities.has(String(id))) throw new RunnerError(`entity ${String(id)} is already defined`);
  switch (kind) {
    case 'client':
      ctx.entities.add(id, createClient(spec, ctx));
      return;
    case 'database': {
      const { client } = ctx.entities.getKind(spec['client'], 'client');
      const options = driverOptions((spec['databaseOptions'] as Document | undefined) ?? {}, null);
      ctx.entities.add(id, { kind: 'database', db: client.db(String(spec['databaseName']), options) });
      return;
    }
    case 'collection': {
      const { db } = ctx.entities.getKind(spec['database'], 'database');
      const options = driverOptions((spec['collectionOptions'] as Document | undefined) ?? {}, null);
      ctx.entities.add(id, {
        kind: 'collection',
        collection: db.collection(String(spec['collectionName']), options),
      });
      return;
    }
    case 'session': {
      const owner = ctx.entities.getKind(spec['client'], 'client');
      const options = driverOptions((spec['sessionOptions'] as Document | undefined) ?? {}, null);
      const session = owner.client.startSession(options);
      if (ctx.clusterTime)
        session.advanceClusterTime(ctx.clusterTime as Parameters<typeof session.advanceClusterTime>[0]);
      const lsid = session.id;
      if (!lsid) throw new RunnerError(`session ${String(id)} has no lsid`);
      ctx.entities.add(id, { kind: 'session', session, client: owner, lsid });
      return;
    }
    case 'bucket': {
      const { db } = ctx.entities.getKind(spec['database'], 'database');
      const options = driverOptions((spec['bucketOptions'] as Document | undefined) ?? {}, null);
      ctx.entities.add(id, { kind: 'bucket', bucket: new GridFSBucket(db, options) });
      return;
    }
    case 'thread':
      ctx.entities.add(id, { kind: 'thread', thread: new RunnerThread() });
      return;
    case 'clientEncryption':
      throw new RunnerError(
        'clientEncryption entities: client-side encryption is not supported by the runner',
      );
    default:
      throw new RunnerError(`entity type ${kind} is not supported by the runner`);
  }
}

export async function createEntities(list: readonly Document[], ctx: EntityFactoryContext): Promise<void> {
  for (const entity of list) await createEntity(entity, ctx);
}
