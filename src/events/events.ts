/**
 * The events a Topology emits: the official driver's SDAM monitoring events (same names, same
 * payload fields, so existing listeners carry over) plus a few higher-level ones a person
 * actually wants (`primaryChanged`, `writableChanged`, `readableChanged`, `refreshed`,
 * `poolCleared`).
 *
 * This module is the vocabulary only (names and payloads); change-events.ts composes the events of
 * one snapshot swap, and event-emitter.ts emits them.
 */
import type { Document } from 'bson';
import type { Address, ServerDescription, TopologyDescription } from '../description/types.js';
import type { CheckPhase } from '../net/connection-settings.js';
import type { DnsError } from '../errors.js';
import type { SrvRescanFailureReason } from '../monitor/srv-poller.js';
import type { RejectedSrvRecord } from '../uri/srv.js';

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
