import type { ServerType, TopologyType } from './server-type.js';

/**
 * A server's address as `host:port`, host lower-cased, IPv6 literals in brackets
 * (`[::1]:27017`), Unix domain sockets as their path. The key of every map in a snapshot.
 */
export type Address = string;

/**
 * A server process's incarnation and the counter it bumps on each state change.
 * The processId is the ObjectId's 24-character hex string; counters fit a JS number in practice.
 */
export interface TopologyVersion {
  readonly processId: string;
  readonly counter: number;
}

/** A JSON-safe account of why a check failed. */
export interface ServerErrorInfo {
  readonly name: string;
  readonly message: string;
  /** The server's error code, when the error came from a reply. */
  readonly code?: number;
  readonly codeName?: string;
}

/**
 * What the client knows of one server, as of one check. Deeply frozen; never mutated.
 * Times are milliseconds from the clock the caller passed in (never read inside the core).
 */
export interface ServerDescription {
  readonly address: Address;
  readonly type: ServerType;
  readonly error: ServerErrorInfo | null;
  /** Exponentially weighted average round-trip time in ms, or null before the first success. */
  readonly roundTripTime: number | null;
  /** Minimum round-trip time over the last samples in ms, or null before the first success. */
  readonly minRoundTripTime: number | null;
  /** When this description was made (clock ms). */
  readonly lastUpdateTime: number;
  /** The server's lastWrite.lastWriteDate in ms since the epoch, or null. */
  readonly lastWriteDate: number | null;
  /** The server's lastWrite.opTime, as it sent it, or null. */
  readonly opTime: Readonly<Record<string, unknown>> | null;
  readonly minWireVersion: number;
  readonly maxWireVersion: number;
  readonly me: Address | null;
  readonly hosts: readonly Address[];
  readonly passives: readonly Address[];
  readonly arbiters: readonly Address[];
  readonly tags: Readonly<Record<string, string>>;
  readonly setName: string | null;
  readonly setVersion: number | null;
  /** The electionId ObjectId as a 24-character hex string, or null. */
  readonly electionId: string | null;
  readonly primary: Address | null;
  readonly logicalSessionTimeoutMinutes: number | null;
  readonly topologyVersion: TopologyVersion | null;
  /** Whether the server said helloOk (it understands the `hello` command name). */
  readonly helloOk: boolean;
  readonly maxBsonObjectSize: number | null;
  readonly maxMessageSizeBytes: number | null;
  readonly maxWriteBatchSize: number | null;
}

/**
 * The snapshot: everything known about the deployment at one moment. Deeply frozen.
 * A new snapshot is a changed copy of the previous one sharing what did not change;
 * `version` grows by one with every new snapshot of the same topology.
 */
export interface TopologyDescription {
  readonly type: TopologyType;
  readonly setName: string | null;
  readonly maxSetVersion: number | null;
  /** Hex string of the greatest electionId seen from a primary, or null. */
  readonly maxElectionId: string | null;
  readonly servers: ReadonlyMap<Address, ServerDescription>;
  readonly compatible: boolean;
  readonly compatibilityError: string | null;
  readonly logicalSessionTimeoutMinutes: number | null;
  /** Grows by one with every new snapshot; the initial snapshot is version 0. */
  readonly version: number;
  /**
   * How many seeds the topology was started with (or the SRV poller last gave). The discovery
   * specification needs it: in an Unknown topology a standalone makes the topology Single when it
   * was the only seed, and is removed when there were several. Absent means one per server.
   */
  readonly seedCount?: number;
}
