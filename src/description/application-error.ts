/**
 * Application errors: (snapshot, server, error, context) → { snapshot, actions }, the discovery
 * specification's "Error handling" section as a pure function. The snapshot changes only when
 * the error marks the server Unknown; `actions` says what the shell must do with its pool and
 * monitor, atomically with swapping in the snapshot.
 *
 * In order:
 * 1. Stale errors change nothing: from a connection older than the pool (error generation <
 *    pool generation: the pool was cleared since), or carrying a topologyVersion no newer than
 *    the one already known.
 * 2. State change errors ("not writable primary", "node is recovering", by code, by message only
 *    without a code; a write concern error is checked the same way; writeErrors never): the
 *    server becomes Unknown (with the error's topologyVersion), an immediate check is requested,
 *    and the pool is cleared only for "shutting down" errors or servers before 4.2
 *    (maxWireVersion < 8).
 * 3. Network errors after the handshake (not timeouts: a timeout may be a slow operation), DNS
 *    failures, and command (authentication) failures during the handshake: the server becomes
 *    Unknown, the pool is cleared, and the monitor's in-flight check is cancelled.
 * 4. Network errors and timeouts while a connection is being established are backpressure (the
 *    client backpressure revision of the specifications: a server shedding connections must not
 *    have its pool cleared and be marked Unknown by every client at once), as are errors labelled
 *    SystemOverloadedError: nothing changes; the monitor will tell if the server is really down.
 * 5. Anything else (other command errors, timeouts after the handshake) changes nothing.
 *
 * Load-balanced topologies never mark their server Unknown; only the pool actions apply.
 * `interruptInUseConnections` is for the monitor's own heartbeat timeouts (server monitoring
 * spec); for application errors it is always false, and is present so the shell has one shape.
 */
import { addressProblem, normalizeAddress } from './address.js';
import { applyServerDescription } from './apply-server-description.js';
import { classifyError } from './classify-error.js';
import { serverDescriptionFromError } from './server-description.js';
import { TopologyType } from './server-type.js';
import { isShutdownError, isStateChangeError } from './state-change-errors.js';
import { compareTopologyVersion } from './topology-version.js';
import type { Address, TopologyDescription } from './types.js';

export interface ApplicationErrorContext {
  /** The caller's clock reading (becomes the Unknown description's lastUpdateTime). */
  readonly now: number;
  /** Whether the error happened while a connection was being established (handshake, auth) or after. */
  readonly when: 'beforeHandshakeCompletes' | 'afterHandshakeCompletes';
  /** The maxWireVersion of the connection the error happened on (decides the pre-4.2 rule). */
  readonly maxWireVersion: number;
  /** The server's pool generation now. */
  readonly poolGeneration: number;
  /** The generation of the connection the error happened on; defaults to `poolGeneration`. */
  readonly errorGeneration?: number;
}

export interface ErrorActions {
  /** Clear the server's pool (and bump its generation), atomically with the snapshot swap. */
  readonly clearPool: boolean;
  /** Also interrupt connections checked out of the pool (never for application errors). */
  readonly interruptInUseConnections: boolean;
  /** Ask the server's monitor to check it now. */
  readonly requestImmediateCheck: boolean;
  /** Cancel the monitor's in-flight check of the server (its connection is likely dead too). */
  readonly cancelInFlightCheck: boolean;
}

export interface ApplicationErrorOutcome {
  readonly snapshot: TopologyDescription;
  readonly actions: ErrorActions;
}

export const NO_ERROR_ACTIONS: ErrorActions = Object.freeze({
  clearPool: false,
  interruptInUseConnections: false,
  requestImmediateCheck: false,
  cancelInFlightCheck: false,
});

function actions(some: Partial<ErrorActions>): ErrorActions {
  return Object.freeze({ ...NO_ERROR_ACTIONS, ...some });
}

/** The pre-4.2 rule: servers before 4.2 closed every connection on a state change. */
const FIRST_WIRE_VERSION_KEEPING_CONNECTIONS = 8;

export function applyApplicationError(
  snapshot: TopologyDescription,
  address: Address,
  error: unknown,
  context: ApplicationErrorContext,
): ApplicationErrorOutcome {
  const unchanged: ApplicationErrorOutcome = { snapshot, actions: NO_ERROR_ACTIONS };
  const key = addressProblem(address) === null ? normalizeAddress(address) : address;
  const server = snapshot.servers.get(key);
  if (server === undefined) return unchanged;
  if ((context.errorGeneration ?? context.poolGeneration) < context.poolGeneration) return unchanged;

  const failure = classifyError(error);
  if (compareTopologyVersion(server.topologyVersion, failure.topologyVersion) >= 0) return unchanged;
  const loadBalanced = snapshot.type === TopologyType.LoadBalanced;
  const beforeHandshake = context.when === 'beforeHandshakeCompletes';
  const errorInfo = {
    name: failure.kind === 'command' && failure.name === 'Error' ? 'ServerReplyError' : failure.name,
    message:
      failure.message !== ''
        ? failure.message
        : failure.kind === 'command'
          ? `server error code ${failure.code ?? 'unknown'}`
          : `${failure.kind} error`,
    code: failure.code,
    codeName: failure.codeName,
  };

  if (failure.kind === 'command' && isStateChangeError(failure.code, failure.message)) {
    const clearPool =
      isShutdownError(failure.code) || context.maxWireVersion < FIRST_WIRE_VERSION_KEEPING_CONNECTIONS;
    if (loadBalanced) return { snapshot, actions: actions({ clearPool }) };
    const unknown = serverDescriptionFromError(key, errorInfo, {
      now: context.now,
      topologyVersion: failure.topologyVersion,
    });
    return {
      snapshot: applyServerDescription(snapshot, unknown),
      actions: actions({ clearPool, requestImmediateCheck: true }),
    };
  }

  if (failure.overloaded) return unchanged;
  const marksUnknown =
    failure.kind === 'dns' ||
    (failure.kind === 'network' && !beforeHandshake) ||
    (failure.kind === 'command' && beforeHandshake);
  if (!marksUnknown) return unchanged;
  if (loadBalanced) return { snapshot, actions: actions({ clearPool: true }) };
  const unknown = serverDescriptionFromError(key, errorInfo, { now: context.now });
  return {
    snapshot: applyServerDescription(snapshot, unknown),
    actions: actions({ clearPool: true, cancelInFlightCheck: true }),
  };
}
