/**
 * A monitor's finding: (snapshot, server description) → { snapshot, actions }, like
 * applyApplicationError for the application's errors. The snapshot is the state machine's;
 * the actions say what the shell does with the server's pool, atomically with the swap.
 *
 * A failed check clears the server's pool (server monitoring specification), once: not again for
 * each failed check of a server already known to be failing, because a pool is paused until its
 * server's own check succeeds (CMAP: no PoolCleared event for a paused pool). A timeout also
 * interrupts the connections in use, which would hang the same way.
 */
import { NO_ERROR_ACTIONS, type ApplicationErrorOutcome } from './application-error.js';
import { applyServerDescription } from './apply-server-description.js';
import { ServerType } from './server-type.js';
import type { ServerDescription, TopologyDescription } from './types.js';

const CLEAR_POOL = Object.freeze({ ...NO_ERROR_ACTIONS, clearPool: true });
const CLEAR_POOL_AND_INTERRUPT = Object.freeze({ ...CLEAR_POOL, interruptInUseConnections: true });

export function applyMonitorOutcome(
  snapshot: TopologyDescription,
  description: ServerDescription,
): ApplicationErrorOutcome {
  const previous = snapshot.servers.get(description.address);
  const next = applyServerDescription(snapshot, description);
  if (description.error === null || previous === undefined || !poolReady(previous)) {
    return { snapshot: next, actions: NO_ERROR_ACTIONS };
  }
  const timedOut = description.error.name === 'NetworkTimeoutError';
  return { snapshot: next, actions: timedOut ? CLEAR_POOL_AND_INTERRUPT : CLEAR_POOL };
}

/**
 * Whether the server's pool is ready (CMAP): its own last check succeeded. A pool is paused until
 * then (never checked, only reported by another member as PossiblePrimary) and after a clear.
 */
export function poolReady(server: ServerDescription): boolean {
  return (
    server.error === null && server.type !== ServerType.Unknown && server.type !== ServerType.PossiblePrimary
  );
}
