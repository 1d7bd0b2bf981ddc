/**
 * The latency window: among suitable servers, those whose average round-trip time is within
 * localThresholdMS of the fastest one (server selection specification).
 */
import type { ServerDescription } from '../description/types.js';

export const DEFAULT_LOCAL_THRESHOLD_MS = 15;

/**
 * The suitable servers in the latency window. Returns the same array when all of them are in it
 * (the usual case for a single primary), so the happy path allocates nothing here.
 *
 * A server with no measured RTT (null) is outside the window when any other server has one: it has
 * never been timed, so it cannot be shown to be near. When none has an RTT, all are in the window.
 */
export function inLatencyWindow(
  suitable: readonly ServerDescription[],
  localThresholdMS: number = DEFAULT_LOCAL_THRESHOLD_MS,
): readonly ServerDescription[] {
  if (suitable.length <= 1) return suitable;
  let fastest = Infinity;
  for (const server of suitable) {
    const rtt = server.roundTripTime;
    if (rtt !== null && rtt < fastest) fastest = rtt;
  }
  if (fastest === Infinity) return suitable;
  const limit = fastest + localThresholdMS;
  let window: ServerDescription[] | undefined;
  for (let i = 0; i < suitable.length; i++) {
    const server = suitable[i] as ServerDescription;
    const inside = server.roundTripTime !== null && server.roundTripTime <= limit;
    if (window) {
      if (inside) window.push(server);
    } else if (!inside) {
      window = suitable.slice(0, i);
    }
  }
  return window ?? suitable;
}
