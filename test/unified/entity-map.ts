/**
 * The entity map of one test: unique names, typed look-ups that fail with a clear reason for an
 * undefined name or an entity of another kind.
 */
import type { Document } from 'bson';
import type {
  AbstractCursor,
  ChangeStream,
  ClientSession,
  Collection,
  Db,
  GridFSBucket,
  MongoClient,
} from 'mongodb';
import type { ClientEvents } from './client-events.js';
import type { ClientLogs } from './client-logs.js';
import type { MatchEntities } from './matcher.js';
import type { RunnerThread } from './runner-thread.js';

export interface ClientEntity {
  readonly kind: 'client';
  readonly client: MongoClient;
  readonly events: ClientEvents;
  /** Log messages, when the client was created with observeLogMessages. */
  readonly logs: ClientLogs | null;
  /** The `topologyDescriptionChanged` newDescription seen last (for recordTopologyDescription). */
  readonly topology: { current: Document | null };
}

export type Entity =
  | ClientEntity
  | { readonly kind: 'database'; readonly db: Db }
  | { readonly kind: 'collection'; readonly collection: Collection<Document> }
  | {
      readonly kind: 'session';
      readonly session: ClientSession;
      readonly client: ClientEntity;
      /** The lsid as the server sees it, taken at creation (it outlives endSession). */
      readonly lsid: Document;
    }
  | { readonly kind: 'bucket'; readonly bucket: GridFSBucket }
  | { readonly kind: 'thread'; readonly thread: RunnerThread }
  | { readonly kind: 'cursor'; readonly cursor: AbstractCursor<Document> | ChangeStream<Document> }
  | { readonly kind: 'topologyDescription'; readonly description: Document }
  | { readonly kind: 'events'; readonly events: Document[] }
  | { readonly kind: 'value'; readonly value: unknown };

export type EntityKind = Entity['kind'];
export type EntityOf<K extends EntityKind> = Extract<Entity, { kind: K }>;

/** A mistake in the test file or in the runner's handling of it (never an operation's outcome). */
export class RunnerError extends Error {
  override name = 'RunnerError';
}

export class EntityMap implements MatchEntities {
  readonly #entities = new Map<string, Entity>();

  add(id: unknown, entity: Entity): void {
    if (typeof id !== 'string' || id.length === 0)
      throw new RunnerError(`entity id ${String(id)} is not a name`);
    if (this.#entities.has(id)) throw new RunnerError(`entity ${id} is already defined`);
    this.#entities.set(id, entity);
  }

  has(id: string): boolean {
    return this.#entities.has(id);
  }

  get(id: unknown): Entity {
    const entity = typeof id === 'string' ? this.#entities.get(id) : undefined;
    if (!entity) throw new RunnerError(`entity ${String(id)} is not defined`);
    return entity;
  }

  getKind<K extends EntityKind>(id: unknown, kind: K): EntityOf<K> {
    const entity = this.get(id);
    if (entity.kind !== kind)
      throw new RunnerError(`entity ${String(id)} is a ${entity.kind}, not a ${kind}`);
    return entity as EntityOf<K>;
  }

  values(): IterableIterator<[string, Entity]> {
    return this.#entities.entries();
  }

  /** For $$matchesEntity: a saved BSON value (or a recorded topology description). */
  entity(name: string): unknown {
    const entity = this.get(name);
    if (entity.kind === 'value') return entity.value;
    if (entity.kind === 'topologyDescription') return entity.description;
    throw new RunnerError(`entity ${name} is a ${entity.kind}, not a BSON value`);
  }

  sessionLsid(name: string): unknown {
    return this.getKind(name, 'session').lsid;
  }
}
