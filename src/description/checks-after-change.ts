/**
 * Which servers to check at once after a snapshot change, so that a new primary is found now
 * rather than at the next heartbeat (which may be 10 s away when polling). The specification
 * allows such checks; the monitors pace them to one requested check per minHeartbeatFrequencyMS,
 * and a streaming monitor, whose check is always in flight, ignores them (its awaitable hello
 * reports the change itself).
 * - A replica set that lost its primary: every member is checked.
 * - A server newly marked PossiblePrimary (named as primary while it is thought Unknown), or one
 *   that a member starts naming as primary while it is known as a secondary: it is checked. A
 *   restarted member that won an election is then known in milliseconds.
 */
import { ServerType } from './server-type.js';
import { primaryOf } from './topology-description.js';
import type { Address, TopologyDescription } from './types.js';

/** Every server of the new snapshot, or the listed ones (possibly none). */
export type ChecksAfterChange = 'all' | readonly Address[];

const none: readonly Address[] = Object.freeze([]);

export function checksAfterChange(
  previous: TopologyDescription,
  next: TopologyDescription,
): ChecksAfterChange {
  const primary = primaryOf(next)?.address ?? null;
  if (primary === null && primaryOf(previous) !== undefined) return 'all';
  let checks: Address[] | undefined;
  const check = (address: Address): void => {
    checks ??= [];
    if (!checks.includes(address)) checks.push(address);
  };
  for (const server of next.servers.values()) {
    const before = previous.servers.get(server.address);
    if (before === server) continue; // unchanged: nothing new to act on
    if (server.type === ServerType.PossiblePrimary && before?.type !== ServerType.PossiblePrimary) {
      check(server.address);
    }
    const named = server.primary;
    if (named === null || named === primary || before?.primary === named) continue;
    // A server named while Unknown is PossiblePrimary: the case above asks for its check.
    if (next.servers.get(named)?.type !== ServerType.PossiblePrimary) check(named);
  }
  return checks ?? none;
}
