/**
 * `watchMongoClient(client)`: an application that already uses the official `mongodb` driver
 * gains waspnest's frozen snapshots and events with one line. The adapter listens to the
 * client's own SDAM monitoring events, converts each driver TopologyDescription into a waspnest
 * snapshot (sharing what did not change, the same object when nothing changed), and emits the
 * same events as a waspnest Topology, derived by the same code.
 *
 * The driver is an optional peer dependency: nothing here imports `mongodb`; the client is
 * described by the few members used.
 */
import { systemClock, type Clock } from '../time/clock.js';
import type { TopologyDescription } from '../description/types.js';
import { changeEvents } from '../events/change-events.js';
import { TopologyEventEmitter } from '../events/event-emitter.js';
import { HighLevelEventDeriver } from '../events/high-level-events.js';
import type { CheckPhase } from '../net/connection-settings.js';
import { emptySnapshot, snapshotFromDriver, type DriverTopologyDescription } from './driver-snapshot.js';

export type {
  DriverCounterLike,
  DriverObjectIdLike,
  DriverServerDescription,
  DriverTopologyDescription,
} from './driver-snapshot.js';

/** The members of a `MongoClient` the adapter uses (any Node EventEmitter with the driver's events fits). */
export interface MongoClientLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

/** The driver's `topologyDescriptionChanged` event, structurally. */
interface DriverTopologyDescriptionChangedEvent {
  readonly topologyId?: number;
  readonly newDescription: DriverTopologyDescription;
}

/** The driver's heartbeat events, structurally (`connectionId` is the server's address). */
interface DriverHeartbeatEvent {
  readonly connectionId: string;
  readonly awaited?: boolean;
  readonly duration?: number;
  readonly reply?: Record<string, unknown>;
  readonly failure?: Error;
}

interface DriverTopologyEvent {
  readonly topologyId?: number;
}

export interface WatchMongoClientOptions {
  /** Time source for `durationMS` of primaryChanged (default: the system clock). */
  readonly clock?: Clock;
  /** Used for writable/readable, as in the client's options (default 15). */
  readonly localThresholdMS?: number;
  /** Used for writable/readable with maxStaleness (default 10000). */
  readonly heartbeatFrequencyMS?: number;
}

/** Guesses where a driver heartbeat failed from its error (the driver does not say). */
function phaseOf(failure: Error | undefined): CheckPhase {
  const text = `${failure?.message ?? ''} ${String((failure?.cause as Error | undefined)?.message ?? '')}`;
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME|getaddrinfo/i.test(text)) return 'dns';
  if (/ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|connect|timed out/i.test(text)) return 'connect';
  return 'check';
}

/**
 * A MongoClient's topology as waspnest snapshots and events. `snapshot` is the current frozen
 * TopologyDescription; listen with `on(...)` for the events a Topology emits (`primaryChanged`,
 * `writableChanged`, `readableChanged`, `topologyDescriptionChanged`, `serverDescriptionChanged`,
 * `serverOpening`, `serverClosed`, `serverHeartbeat*`, `topologyOpening`, `topologyClosed`).
 * `refreshed` and `poolCleared` are never emitted: the driver owns its checks and its pools.
 */
export class MongoClientWatcher extends TopologyEventEmitter {
  /** The driver's topology id once an event carried it, else -1. */
  topologyId = -1;
  #snapshot: TopologyDescription;
  readonly #client: MongoClientLike;
  readonly #clock: Clock;
  readonly #deriver: HighLevelEventDeriver;
  readonly #listeners: [string, (...args: never[]) => void][] = [];
  #closed = false;

  constructor(client: MongoClientLike, options: WatchMongoClientOptions = {}) {
    super();
    this.#client = client;
    this.#clock = options.clock ?? systemClock;
    this.#deriver = new HighLevelEventDeriver({
      startedAt: this.#clock.now(),
      ...(options.localThresholdMS === undefined ? {} : { localThresholdMS: options.localThresholdMS }),
      ...(options.heartbeatFrequencyMS === undefined
        ? {}
        : { heartbeatFrequencyMS: options.heartbeatFrequencyMS }),
    });
    // A client that is already connected has a description: start from it (no events for it).
    const current = (client as { topology?: { description?: DriverTopologyDescription } }).topology
      ?.description;
    this.#snapshot = current === undefined ? emptySnapshot() : snapshotFromDriver(emptySnapshot(), current);

    this.#listen('topologyDescriptionChanged', (event: DriverTopologyDescriptionChangedEvent) => {
      this.#noteId(event);
      this.#apply(event.newDescription);
    });
    this.#listen('topologyOpening', (event: DriverTopologyEvent) => {
      this.#noteId(event);
      this.emit('topologyOpening', { topologyId: this.topologyId });
    });
    this.#listen('topologyClosed', (event: DriverTopologyEvent) => {
      this.#noteId(event);
      this.emit('topologyClosed', { topologyId: this.topologyId });
    });
    this.#listen('serverHeartbeatStarted', (event: DriverHeartbeatEvent) => {
      this.emit('serverHeartbeatStarted', {
        topologyId: this.topologyId,
        address: event.connectionId,
        connectionId: event.connectionId,
        awaited: event.awaited ?? false,
      });
    });
    this.#listen('serverHeartbeatSucceeded', (event: DriverHeartbeatEvent) => {
      this.emit('serverHeartbeatSucceeded', {
        topologyId: this.topologyId,
        address: event.connectionId,
        connectionId: event.connectionId,
        awaited: event.awaited ?? false,
        duration: event.duration ?? 0,
        reply: event.reply ?? {},
      });
    });
    this.#listen('serverHeartbeatFailed', (event: DriverHeartbeatEvent) => {
      const failure = event.failure ?? new Error('heartbeat failed');
      this.emit('serverHeartbeatFailed', {
        topologyId: this.topologyId,
        address: event.connectionId,
        connectionId: event.connectionId,
        awaited: event.awaited ?? false,
        duration: event.duration ?? 0,
        failure,
        phase: phaseOf(failure),
      });
    });
  }

  /** The current snapshot: a frozen TopologyDescription. Take it once per decision. */
  get snapshot(): TopologyDescription {
    return this.#snapshot;
  }

  /** Whether a write could be sent now (a primary, mongos, standalone or load balancer is known). */
  isWritable(): boolean {
    return this.#deriver.stateOf(this.#snapshot).writable;
  }

  /** Whether a `nearest` read could be sent now. */
  isReadable(): boolean {
    return this.#deriver.stateOf(this.#snapshot).readable;
  }

  /** Stops listening to the client (the client itself is left open). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [event, listener] of this.#listeners.splice(0)) this.#client.removeListener(event, listener);
  }

  #listen<T>(event: string, listener: (payload: T) => void): void {
    const wrapped = listener as (...args: never[]) => void;
    this.#listeners.push([event, wrapped]);
    this.#client.on(event, wrapped);
  }

  #noteId(event: DriverTopologyEvent): void {
    if (typeof event.topologyId === 'number') this.topologyId = event.topologyId;
  }

  /** The one writer: converts, swaps the reference, then emits what changed. */
  #apply(description: DriverTopologyDescription): void {
    const previous = this.#snapshot;
    const next = snapshotFromDriver(previous, description);
    if (next === previous) return;
    this.#snapshot = next;
    for (const event of changeEvents(previous, next, this.topologyId, this.#deriver, this.#clock.now())) {
      this.emitRecord(event);
    }
  }

  protected override listenerWarning(event: string, message: string): string {
    return (
      `A listener of the waspnest event '${event}' (watchMongoClient) threw: ${message}. The other listeners ` +
      "went on; listen to 'listenerError' to receive these errors (this warning is shown once)."
    );
  }
}

/**
 * Watches an official-driver `MongoClient`: returns a handle with `snapshot`, `on(...)` for the
 * same events a waspnest Topology emits, and `close()` to stop listening.
 *
 * ```ts
 * const client = new MongoClient(uri);
 * const watcher = watchMongoClient(client);
 * watcher.on('primaryChanged', (e) => console.log(`primary ${e.previous} -> ${e.current}`));
 * await client.connect();
 * ```
 */
export function watchMongoClient(
  client: MongoClientLike,
  options?: WatchMongoClientOptions,
): MongoClientWatcher {
  return new MongoClientWatcher(client, options);
}
