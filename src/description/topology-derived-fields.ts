/**
 * The TopologyDescription fields computed from its servers: wire-version compatibility and the
 * deployment's logical session timeout.
 */
import {
  MAX_SUPPORTED_WIRE_VERSION,
  MIN_SUPPORTED_SERVER_VERSION,
  MIN_SUPPORTED_WIRE_VERSION,
} from './wire-versions.js';
import { ServerType } from './server-type.js';
import type { ServerDescription } from './types.js';

/** The name compatibility errors give for this client, as the specification's wording asks. */
const DRIVER_NAME = 'waspnest';

/** Server types whose reported fields are not known (no successful check of the server itself). */
function isUnchecked(type: ServerType): boolean {
  // PossiblePrimary is a hint about an unchecked server; a LoadBalancer is never checked.
  return (
    type === ServerType.Unknown || type === ServerType.PossiblePrimary || type === ServerType.LoadBalancer
  );
}

/**
 * The specification's compatibility check: a checked server whose wire-version range does not
 * overlap the client's makes the whole topology incompatible, with the first such server's
 * message in the specification's wording.
 */
export function compatibilityOf(servers: Iterable<ServerDescription>): {
  compatible: boolean;
  compatibilityError: string | null;
} {
  for (const server of servers) {
    if (isUnchecked(server.type)) continue;
    if (server.minWireVersion > MAX_SUPPORTED_WIRE_VERSION) {
      return {
        compatible: false,
        compatibilityError:
          `Server at ${server.address} requires wire version ${server.minWireVersion}, but this version of ` +
          `${DRIVER_NAME} only supports up to ${MAX_SUPPORTED_WIRE_VERSION}.`,
      };
    }
    if (server.maxWireVersion < MIN_SUPPORTED_WIRE_VERSION) {
      return {
        compatible: false,
        compatibilityError:
          `Server at ${server.address} reports wire version ${server.maxWireVersion}, but this version of ` +
          `${DRIVER_NAME} requires at least ${MIN_SUPPORTED_WIRE_VERSION} (MongoDB ${MIN_SUPPORTED_SERVER_VERSION}).`,
      };
    }
  }
  return { compatible: true, compatibilityError: null };
}

/** The specification's data-bearing server types. */
export function isDataBearing(type: ServerType): boolean {
  return (
    type === ServerType.Mongos ||
    type === ServerType.RSPrimary ||
    type === ServerType.RSSecondary ||
    type === ServerType.Standalone ||
    type === ServerType.LoadBalancer
  );
}

/**
 * The smallest logicalSessionTimeoutMinutes among data-bearing servers; null when there is
 * none, or when any data-bearing server reports none (sessions are then unsupported).
 */
export function logicalSessionTimeoutOf(servers: Iterable<ServerDescription>): number | null {
  let smallest: number | null = null;
  for (const server of servers) {
    if (!isDataBearing(server.type)) continue;
    const minutes = server.logicalSessionTimeoutMinutes;
    if (minutes === null) return null;
    if (smallest === null || minutes < smallest) smallest = minutes;
  }
  return smallest;
}
