/**
 * The seam between the Topology (the one writer of the snapshot) and whatever checks servers:
 * the real socket monitors in this folder, or the scripted, socket-free ones in waspnest/testing.
 */
import type { Document } from 'bson';
import type { Clock } from '../time/clock.js';
import type { Address, ServerDescription } from '../description/types.js';
import type { CheckPhase, LookupFunction, TlsSettings } from '../net/connection-settings.js';
import type { DnsCache } from '../net/dns-cache.js';
import type { ServerApi } from '../net/handshake.js';
import type { ServerMonitoringMode } from '../uri/options.js';

// Defined where they are used first (the net layer and the URI options); re-exported here so that
// a custom monitor finds the whole seam in one module.
export type { CheckPhase, LookupFunction, ServerMonitoringMode, TlsSettings };

export interface HeartbeatStartedInfo {
  readonly address: Address;
  /** True for a streaming (awaitable) check. */
  readonly awaited: boolean;
  readonly connectionId: string;
}

export interface HeartbeatSucceededInfo extends HeartbeatStartedInfo {
  /** Round-trip of this check in ms (for awaited checks: the time the reply took to arrive). */
  readonly duration: number;
  readonly reply: Document;
  /** Time spent resolving the host name for a new connection, when one was made (ms). */
  readonly dnsDuration?: number;
  /** Time spent connecting (TCP/TLS + handshake) for a new connection, when one was made (ms). */
  readonly connectDuration?: number;
}

export interface HeartbeatFailedInfo extends HeartbeatStartedInfo {
  readonly duration: number;
  readonly failure: Error;
  readonly phase: CheckPhase;
}

/** What a monitor tells the topology. Calls are synchronous and must not throw back into the monitor. */
export interface ServerMonitorListener {
  heartbeatStarted(info: HeartbeatStartedInfo): void;
  heartbeatSucceeded(info: HeartbeatSucceededInfo): void;
  heartbeatFailed(info: HeartbeatFailedInfo): void;
  /** A new description of the server (from a reply or an error) for the state machine. */
  description(description: ServerDescription): void;
}

export interface MonitorSettings {
  readonly heartbeatFrequencyMS: number;
  /** At most one immediate check per this many ms (the specification's 500). */
  readonly minHeartbeatFrequencyMS: number;
  readonly connectTimeoutMS: number;
  readonly mode: ServerMonitoringMode;
  readonly appName?: string;
  readonly tls?: TlsSettings;
  readonly lookup?: LookupFunction;
  readonly clock: Clock;
  /** Where resolved host names are kept; default: one cache per process. */
  readonly dnsCache?: DnsCache;
  /** A declared Stable API version: handshake with OP_MSG `hello` and send apiVersion. */
  readonly serverApi?: ServerApi;
  /** Load-balanced mode: handshake with OP_MSG `hello` and loadBalanced: true. */
  readonly loadBalanced?: boolean;
  /** The handshake's `client` document, when the embedder built its own (see buildClientMetadata). */
  readonly clientMetadata?: Document;
  /** The server's description in the current snapshot (decides the immediate retry after a network error). */
  currentDescription(): ServerDescription | undefined;
}

export interface ServerMonitor {
  readonly address: Address;
  /** Starts the monitoring loop (first check at once). */
  start(): void;
  /** Ask for a check soon: coalesced, and at most one per minHeartbeatFrequencyMS. */
  requestCheck(): void;
  /** The application saw a network error: abort an in-flight check and reset the connection. */
  cancelCheck(): void;
  /** Stops everything: no socket or timer remains. Idempotent. */
  close(): void;
}

export type ServerMonitorFactory = (
  address: Address,
  listener: ServerMonitorListener,
  settings: MonitorSettings,
) => ServerMonitor;
