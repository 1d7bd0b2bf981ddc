/**
 * The events a Topology emits: the official driver's SDAM monitoring events (same names, same
 * payload fields, so existing listeners carry over) plus a few higher-level ones a person
 * actually wants (`primaryChanged`, `writableChanged`, `readableChanged`, `refreshed`,
 * `poolCleared`).
 *
 * Emission is guarded: a listener that throws neither breaks the monitor that caused the event
 * nor stops the other listeners. Its error is reported through the `listenerError` event, or,
 * when nobody listens to that, once per topology through `process.emitWarning`.
 */
import { EventEmitter } from 'eventemitter3';
import type { Document } from 'bson';
import { sdamEventsBetween, type SdamEvent } from './description/sdam-events.js';
import type { Address, ServerDescription, TopologyDescription } from './description/types.js';
import type { HighLevelEventDeriver } from './high-level-events.js';
import type { CheckPhase } from './monitor/server-monitor-types.js';
import type { DnsError } from './errors.js';
import type { SrvRescanFailureReason } from './srv-poller.js';
import type { RejectedSrvRecord } from './uri/srv.js';

/** Fields every event carries: which topology emitted it (a per-process counter, like the driver's). */
export interface TopologyEventBase {
  readonly topologyId: number;
}

/** Monitoring of the topology began (first `connect()` or first use in lazy mode). */
export type TopologyOpeningEvent = TopologyEventBase;

/** The topology was closed; no monitor, socket or timer of it remains. */
export type TopologyClosedEvent = TopologyEventBase;

/** A new snapshot replaced the previous one. */
export interface TopologyDescriptionChangedEvent extends TopologyEventBase {
  readonly previousDescription: TopologyDescription;
  readonly newDescription: TopologyDescription;
}

/** A server entered the topology (a monitor was started for it). */
export interface ServerOpeningEvent extends TopologyEventBase {
  readonly address: Address;
}

/** A server left the topology (its monitor was closed). */
export interface ServerClosedEvent extends TopologyEventBase {
  readonly address: Address;
}

/** What the client knows of one server changed in a way the specification counts. */
export interface ServerDescriptionChangedEvent extends TopologyEventBase {
  readonly address: Address;
  readonly previousDescription: ServerDescription;
  readonly newDescription: ServerDescription;
}

/** A monitor began a check of its server. */
export interface ServerHeartbeatStartedEvent extends TopologyEventBase {
  readonly address: Address;
  readonly connectionId: string;
  /** True for a streaming (awaitable hello) check. */
  readonly awaited: boolean;
}

/** A check succeeded. */
export interface ServerHeartbeatSucceededEvent extends ServerHeartbeatStartedEvent {
  /** Milliseconds the check took. */
  readonly duration: number;
  readonly reply: Document;
  /** Milliseconds spent resolving the host name, when this check opened a connection. */
  readonly dnsDuration?: number;
  /** Milliseconds spent connecting (TCP/TLS and handshake), when this check opened a connection. */
  readonly connectDuration?: number;
}

/** A check failed. */
export interface ServerHeartbeatFailedEvent extends ServerHeartbeatStartedEvent {
  readonly duration: number;
  readonly failure: Error;
  /** Where the check failed: a DNS problem is reported apart from a connect problem. */
  readonly phase: CheckPhase;
}

/** The primary changed: elected, lost, or replaced. */
export interface PrimaryChangedEvent extends TopologyEventBase {
  /** The primary before this snapshot, or null when there was none. */
  readonly previous: Address | null;
  /** The primary in this snapshot, or null when there is none. */
  readonly current: Address | null;
  /**
   * When a primary appeared: how many ms the topology was without one (0 for a direct switch;
   * for the first primary, the time since monitoring started). Null when the primary was lost.
   */
  readonly durationMS: number | null;
  readonly snapshot: TopologyDescription;
}

/** Whether a write could be sent now changed (see `Topology.isWritable`). */
export interface WritableChangedEvent extends TopologyEventBase {
  readonly writable: boolean;
  readonly snapshot: TopologyDescription;
}

/** Whether a `nearest` read could be sent now changed (see `Topology.isReadable`). */
export interface ReadableChangedEvent extends TopologyEventBase {
  readonly readable: boolean;
  readonly snapshot: TopologyDescription;
}

/** A requested check round completed: every monitor reported once after the request. */
export interface RefreshedEvent extends TopologyEventBase {
  /** Counts completed rounds, from 1. */
  readonly round: number;
  readonly snapshot: TopologyDescription;
}

/**
 * The embedding client must clear its connection pool for `address`: connections made under a
 * generation lower than `generation` are stale. `interruptInUseConnections` asks to interrupt
 * operations running on such connections too (the server is gone).
 */
export interface PoolClearedEvent extends TopologyEventBase {
  readonly address: Address;
  readonly generation: number;
  readonly interruptInUseConnections: boolean;
}

/**
 * A rescan of a `mongodb+srv://` host's SRV records changed nothing: the lookup failed, found no
 * records, or found no valid host. The seed list stays as it was, and the next rescan comes after
 * heartbeatFrequencyMS (then at the usual interval once one succeeds).
 */
export interface SrvRescanFailedEvent extends TopologyEventBase {
  /** The host of the connection string (the name queried is `error.hostname`). */
  readonly srvHost: string;
  readonly reason: SrvRescanFailureReason;
  /** Names the queried name and says why its answer could not be used (the resolver's error is its `cause`). */
  readonly error: DnsError;
  /** The hosts of the topology, unchanged by this rescan. */
  readonly keptHosts: readonly Address[];
}

/**
 * A rescan of the SRV records found valid hosts, and also records that were rejected (a host
 * outside the SRV host's domain, a bad port). The valid hosts apply; the rejected ones are
 * ignored: never added to the topology, never connected to.
 */
export interface SrvRecordsRejectedEvent extends TopologyEventBase {
  /** The host of the connection string. */
  readonly srvHost: string;
  /** Each rejected record: its host name and port as the record gave them, and why it was rejected. */
  readonly rejected: readonly RejectedSrvRecord[];
}

/** A listener threw; the error was caught so that the monitor and the other listeners went on. */
export interface ListenerErrorEvent extends TopologyEventBase {
  /** The event whose listener threw. */
  readonly event: string;
  readonly error: unknown;
}

/** Every event a Topology emits, with its one payload argument. */
export interface TopologyEvents {
  topologyOpening: [TopologyOpeningEvent];
  topologyClosed: [TopologyClosedEvent];
  topologyDescriptionChanged: [TopologyDescriptionChangedEvent];
  serverOpening: [ServerOpeningEvent];
  serverClosed: [ServerClosedEvent];
  serverDescriptionChanged: [ServerDescriptionChangedEvent];
  serverHeartbeatStarted: [ServerHeartbeatStartedEvent];
  serverHeartbeatSucceeded: [ServerHeartbeatSucceededEvent];
  serverHeartbeatFailed: [ServerHeartbeatFailedEvent];
  primaryChanged: [PrimaryChangedEvent];
  writableChanged: [WritableChangedEvent];
  readableChanged: [ReadableChangedEvent];
  refreshed: [RefreshedEvent];
  poolCleared: [PoolClearedEvent];
  srvRescanFailed: [SrvRescanFailedEvent];
  srvRecordsRejected: [SrvRecordsRejectedEvent];
  listenerError: [ListenerErrorEvent];
}

export type TopologyEventName = keyof TopologyEvents;

/** The one payload argument of an event. */
export type TopologyEventPayload<K extends TopologyEventName = TopologyEventName> = TopologyEvents[K][0];

/** An event with its payload, ready to emit. */
export interface TopologyEventRecord {
  readonly name: TopologyEventName;
  readonly payload: TopologyEventPayload;
}

/**
 * The events one snapshot swap causes, in the order listeners get them: the specification's
 * (servers opening, changing and closing, then the topology) followed by the high-level ones.
 * Our Topology and the MongoClient adapter both emit these, so that they cannot drift apart.
 */
export function changeEvents(
  previous: TopologyDescription,
  next: TopologyDescription,
  topologyId: number,
  highLevel: HighLevelEventDeriver,
  now: number,
): TopologyEventRecord[] {
  const events = sdamEventsBetween(previous, next).map((event) => sdamEventRecord(event, topologyId));
  for (const event of highLevel.eventsBetween(previous, next, now)) {
    events.push({ name: event.name, payload: { topologyId, ...event.payload } });
  }
  return events;
}

function sdamEventRecord(event: SdamEvent, topologyId: number): TopologyEventRecord {
  switch (event.type) {
    case 'serverOpening':
    case 'serverClosed':
      return { name: event.type, payload: { topologyId, address: event.address } };
    case 'serverDescriptionChanged':
      return {
        name: event.type,
        payload: {
          topologyId,
          address: event.address,
          previousDescription: event.previousDescription,
          newDescription: event.newDescription,
        },
      };
    case 'topologyDescriptionChanged':
      return {
        name: event.type,
        payload: {
          topologyId,
          previousDescription: event.previousDescription,
          newDescription: event.newDescription,
        },
      };
  }
}

type EventName<Events extends object> = EventEmitter.EventNames<Events>;
type Listener<Events extends object, K extends EventName<Events>> = EventEmitter.EventListener<Events, K>;
type AnyListener = (...args: never[]) => void;

/** The guard remembers the listener it wraps, so that `off` and `listeners` speak of the user's function. */
const ORIGINAL: unique symbol = Symbol('waspnest.originalListener');
interface GuardedListener {
  (...args: unknown[]): void;
  [ORIGINAL]: AnyListener;
}

/**
 * An eventemitter3 emitter whose listeners cannot hurt the emitter: each listener is wrapped at
 * registration in a guard that catches what it throws and hands it to `listenerThrew`.
 * (eventemitter3 stops at the first throwing listener; wrapping at registration, rather than
 * re-implementing `emit`, keeps its fast path and its `once` bookkeeping.)
 */
export abstract class GuardedEventEmitter<Events extends object> extends EventEmitter<Events> {
  /** Per event, the guard made for each registered function (stable, so `off(fn)` finds it). */
  #guards = new Map<PropertyKey, WeakMap<AnyListener, GuardedListener>>();

  /** Called with what a listener of `event` threw. Must not throw. */
  protected abstract listenerThrew(event: string, error: unknown): void;

  #guard(event: PropertyKey, fn: AnyListener): GuardedListener {
    let byFunction = this.#guards.get(event);
    if (byFunction === undefined) {
      byFunction = new WeakMap();
      this.#guards.set(event, byFunction);
    }
    let guard = byFunction.get(fn);
    if (guard === undefined) {
      const call = fn as unknown as (this: unknown, ...args: unknown[]) => void;
      // eslint-disable-next-line @typescript-eslint/no-this-alias -- the guard is a plain function (eventemitter3 sets its `this`)
      const owner = this;
      const guarded = function (this: unknown, ...args: unknown[]): void {
        try {
          call.apply(this, args);
        } catch (error) {
          owner.listenerThrew(String(event), error);
        }
      };
      guard = Object.assign(guarded, { [ORIGINAL]: fn });
      byFunction.set(fn, guard);
    }
    return guard;
  }

  #lookup(event: PropertyKey, fn: AnyListener | undefined): AnyListener | undefined {
    if (fn === undefined) return undefined;
    // eventemitter3 removes a `once` listener by its registered function: the guard itself.
    if (ORIGINAL in fn) return fn;
    // An unknown function cannot be registered: pass a fresh function so nothing matches.
    return this.#guards.get(event)?.get(fn) ?? (() => undefined);
  }

  /** `#guard`, typed as the listener it wraps. */
  #guarded<K extends EventName<Events>>(event: K, fn: Listener<Events, K>): Listener<Events, K> {
    return this.#guard(event, fn as unknown as AnyListener) as unknown as Listener<Events, K>;
  }

  override on<K extends EventName<Events>>(event: K, fn: Listener<Events, K>, context?: unknown): this {
    return super.on(event, this.#guarded(event, fn), context);
  }

  override addListener<K extends EventName<Events>>(
    event: K,
    fn: Listener<Events, K>,
    context?: unknown,
  ): this {
    return this.on(event, fn, context);
  }

  override once<K extends EventName<Events>>(event: K, fn: Listener<Events, K>, context?: unknown): this {
    return super.once(event, this.#guarded(event, fn), context);
  }

  override removeListener<K extends EventName<Events>>(
    event: K,
    fn?: Listener<Events, K>,
    context?: unknown,
    once?: boolean,
  ): this {
    const guard = this.#lookup(event, fn as unknown as AnyListener | undefined) as unknown as
      Listener<Events, K> | undefined;
    return super.removeListener(event, guard, context, once);
  }

  override off<K extends EventName<Events>>(
    event: K,
    fn?: Listener<Events, K>,
    context?: unknown,
    once?: boolean,
  ): this {
    return this.removeListener(event, fn, context, once);
  }

  override listeners<K extends EventName<Events>>(event: K): Array<Listener<Events, K>> {
    return super
      .listeners(event)
      .map(
        (guard) => ((guard as unknown as Partial<GuardedListener>)[ORIGINAL] ?? guard) as Listener<Events, K>,
      );
  }
}

/**
 * The emitter of the topology events (our Topology, the MongoClient adapter): a listener's error
 * goes to the `listenerError` listeners, or, with nobody listening there, to one process warning.
 * (A throwing `listenerError` listener is swallowed: there is nobody left to tell.)
 */
export abstract class TopologyEventEmitter extends GuardedEventEmitter<TopologyEvents> {
  abstract readonly topologyId: number;
  #warnedAboutListener = false;

  /** Emits an event made as a record (its name and payload were matched when it was made). */
  protected emitRecord(event: TopologyEventRecord): void {
    (this.emit as (name: string, payload: unknown) => boolean)(event.name, event.payload);
  }

  /** The process warning for a listener of `event` that threw an error with `message`. */
  protected abstract listenerWarning(event: string, message: string): string;

  protected override listenerThrew(event: string, error: unknown): void {
    if (event !== 'listenerError' && this.listenerCount('listenerError') > 0) {
      this.emit('listenerError', { topologyId: this.topologyId, event, error });
      return;
    }
    if (this.#warnedAboutListener) return;
    this.#warnedAboutListener = true;
    const message = error instanceof Error ? error.message : String(error);
    process.emitWarning(this.listenerWarning(event, message), { code: 'WASPNEST_LISTENER_ERROR' });
  }
}
