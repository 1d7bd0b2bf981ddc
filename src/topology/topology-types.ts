/** The argument and state types of the Topology's public methods. */
import type { Address } from '../description/types.js';

/** Options of one `selectServer` call. */
export interface SelectServerOptions {
  /**
   * How long to wait for a suitable server, in ms (default: serverSelectionTimeoutMS). 0 decides
   * from the current snapshot without waiting; Infinity waits until a server is found, the signal
   * aborts or the topology closes.
   */
  timeoutMS?: number;
  /** Aborting rejects the call with the signal's reason. */
  signal?: AbortSignal;
  /** 'write' needs a writable server (primary, mongos, standalone, load balancer). Default 'read'. */
  operation?: 'read' | 'write';
  /** Servers to avoid unless nothing else is suitable (e.g. the mongos a retry just failed on). */
  deprioritized?: readonly Address[];
}

/** Options of one `selectServerNow` call. */
export type SelectServerNowOptions = Pick<SelectServerOptions, 'operation' | 'deprioritized'>;

/** What the embedder knows about an application error it reports. */
export interface ReportErrorOptions {
  /** The pool generation of the connection the error happened on (stale errors are ignored). */
  generation?: number;
  /** Whether the connection had completed its handshake (default 'afterHandshakeCompletes'). */
  when?: 'beforeHandshakeCompletes' | 'afterHandshakeCompletes';
  /** The server's maxWireVersion as the connection saw it (default: the snapshot's). */
  maxWireVersion?: number;
}

/** Options of `waitForRefresh`. */
export interface WaitForRefreshOptions {
  /** Default serverSelectionTimeoutMS; Infinity waits until the round completes or the topology closes. */
  timeoutMS?: number;
}

/**
 * Where a topology is in its life: `idle` before monitoring starts, `resolving` during the SRV
 * lookup of a `mongodb+srv://` string, `open` while monitoring, `failed` when the SRV lookup
 * failed (every call reports why), `closed` after close().
 */
export type TopologyState = 'idle' | 'resolving' | 'open' | 'failed' | 'closed';
