/**
 * Every error waspnest throws or reports is a WaspnestError, with a stable `name`
 * and, where it helps, structured fields. Messages never contain credentials.
 */
export class WaspnestError extends Error {
  override name = 'WaspnestError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A connection string that cannot be used, with the reason in the message. */
export class ConnectionStringError extends WaspnestError {
  override name = 'ConnectionStringError';
}

/** The socket failed: refused, reset, closed, or a TLS failure. */
export class NetworkError extends WaspnestError {
  override name = 'NetworkError';
}

/** No answer within the allowed time (connect or socket timeout). */
export class NetworkTimeoutError extends NetworkError {
  override name = 'NetworkTimeoutError';
}

/** Resolving a host name failed or was too slow; reported apart from connecting. */
export class DnsError extends NetworkError {
  override name = 'DnsError';
  constructor(
    message: string,
    readonly hostname: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bytes on the wire that do not form a valid message (bad length, truncated, garbage). */
export class WireProtocolError extends NetworkError {
  override name = 'WireProtocolError';
}

/** A reply with ok: 0 from a server, with its code and codeName. */
export class ServerReplyError extends WaspnestError {
  override name = 'ServerReplyError';
  constructor(
    message: string,
    readonly code: number | undefined,
    readonly codeName: string | undefined,
    readonly reply: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/**
 * A deadline passed only because this process itself was paused (a blocked event loop, a frozen
 * FaaS container): the timer fired far later than it asked to, so nothing is known about the server.
 * A monitor checks again at once instead of declaring the server down. It is a NetworkTimeoutError,
 * so code that does not know it treats it as an ordinary timeout.
 */
export class ProcessStallError extends NetworkTimeoutError {
  override name = 'ProcessStallError';
  constructor(
    message: string,
    /** How long the timer took to fire, in ms (far more than it asked for). */
    readonly elapsedMS: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A JSON-safe account of one server, carried by a ServerSelectionError. */
export interface ServerSelectionServerSummary {
  readonly address: string;
  readonly type: string;
  /** The message of the server's last check or application error, or null. */
  readonly error: string | null;
  /** Milliseconds since the server's description was made (its last heartbeat), or null when never checked. */
  readonly lastHeartbeatAgeMS: number | null;
  /** Average round-trip time in ms, or null before the first successful check. */
  readonly roundTripTimeMS: number | null;
}

/** The read preference a selection was for, as plain data. */
export interface ServerSelectionReadPreference {
  readonly mode: string;
  readonly tags: readonly Readonly<Record<string, string>>[];
  readonly maxStalenessSeconds: number | null;
}

/**
 * No server matched within the allowed time. The message says why in words; `reason` is the
 * machine-readable cause from the selection (`noPrimary`, `allUnknown`, `tagsUnmatched`, ...),
 * `servers` a JSON-safe summary of every server the topology knew at the deadline.
 */
/** Optional details of a ServerSelectionError. */
export interface ServerSelectionErrorOptions {
  readonly cause?: unknown;
  readonly timedOut?: boolean;
  readonly snapshotVersion?: number;
}

export class ServerSelectionError extends WaspnestError {
  override name = 'ServerSelectionError';
  constructor(
    message: string,
    readonly reason: string,
    readonly readPreference: ServerSelectionReadPreference,
    readonly topologyType: string,
    readonly servers: readonly ServerSelectionServerSummary[],
    options?: ServerSelectionErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.timedOut = options?.timedOut ?? false;
    this.snapshotVersion = options?.snapshotVersion ?? null;
  }

  /** True when the call waited until its deadline; false when it failed at once (waiting could not help). */
  readonly timedOut: boolean;
  /** The `version` of the snapshot the call was refused on (null when not known). */
  readonly snapshotVersion: number | null;

  /** Plain data for logs: `JSON.stringify(error)` keeps the reason and the servers. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      reason: this.reason,
      readPreference: this.readPreference,
      topologyType: this.topologyType,
      servers: this.servers,
      timedOut: this.timedOut,
      snapshotVersion: this.snapshotVersion,
    };
  }
}

/** The topology was closed (before or while the call waited); closed topologies do not reopen. */
export class TopologyClosedError extends WaspnestError {
  override name = 'TopologyClosedError';
}

/** A Topology option is invalid or conflicts with another; the message names the option. */
export class TopologyOptionsError extends WaspnestError {
  override name = 'TopologyOptionsError';
}

/** `waitForRefresh` reached its timeout before the check round completed. */
export class RefreshTimeoutError extends WaspnestError {
  override name = 'RefreshTimeoutError';
}

/** Text that cannot be a server address (empty, bad port, unclosed IPv6 bracket); the message says why. */
export class AddressError extends WaspnestError {
  override name = 'AddressError';
}

/** A read preference that cannot be used: unknown mode, tags or maxStalenessSeconds with 'primary', bad numbers. */
export class ReadPreferenceError extends WaspnestError {
  override name = 'ReadPreferenceError';
}

/**
 * A server answered hello with ok: 1 but a reply the discovery specification cannot use (a field
 * of the wrong type, a bad address). The server is confused, not unreachable: a monitor marks it
 * Unknown with this error (its name matches the description's error name) and reconnects.
 */
export class MalformedReplyError extends WaspnestError {
  override name = 'MalformedReplyError';
  constructor(
    message: string,
    readonly reply: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/** An option of the test kit (simulator, fail points, faults) is invalid; the message names it. */
export class SimulatorOptionsError extends WaspnestError {
  override name = 'SimulatorOptionsError';
}

/**
 * No `mongod` binary was found for a real (mongodb-memory-server) deployment. Tests that need a
 * real server catch it and skip. The message says where the binary was looked for.
 */
export class MongodUnavailableError extends WaspnestError {
  override name = 'MongodUnavailableError';
}
