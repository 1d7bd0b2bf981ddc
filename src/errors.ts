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
