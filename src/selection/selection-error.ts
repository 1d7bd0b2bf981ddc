/**
 * The error of a selection that found no server: the read preference, why nothing matched, and a
 * line per server (type, last error, age of its last check, round-trip time), so that the message
 * alone tells what the client saw.
 */
import type { TopologyDescription } from '../description/types.js';
import { ServerSelectionError, type ServerSelectionServerSummary } from '../errors.js';
import type { SelectionCriteria } from './criteria.js';
import { formatReadPreference } from './read-preference.js';
import type { SelectionResult } from './select-servers.js';

/** `immediate`: waiting could not help; `timeout`: the caller waited `timeoutMS` in vain. */
export type SelectionFailure =
  { readonly kind: 'immediate' } | { readonly kind: 'timeout'; readonly timeoutMS: number };

export function selectionError(
  criteria: SelectionCriteria,
  snapshot: TopologyDescription,
  result: SelectionResult,
  failure: SelectionFailure,
  now: number,
): ServerSelectionError {
  const { readPreference } = criteria;
  const described = formatReadPreference(readPreference) + (criteria.operation === 'write' ? ' (write)' : '');
  const why = result.explanation ?? `no server matched (${result.reason ?? 'unknown reason'})`;
  const servers = summarizeServers(snapshot, now);
  const list = servers.length === 0 ? 'no servers' : servers.map(describeServer).join('; ');
  const prefix =
    failure.kind === 'immediate'
      ? `No server can be selected for read preference ${described}`
      : `Server selection timed out after ${failure.timeoutMS} ms for read preference ${described}`;
  return new ServerSelectionError(
    `${prefix}: ${why}. Topology ${snapshot.type}; servers: ${list}`,
    result.reason ?? 'noSuitableServer',
    {
      mode: readPreference.mode,
      tags: readPreference.tags,
      maxStalenessSeconds: readPreference.maxStalenessSeconds,
    },
    snapshot.type,
    servers,
    { timedOut: failure.kind === 'timeout', snapshotVersion: snapshot.version },
  );
}

/** A JSON-safe line per server, for the error's `servers`. */
function summarizeServers(snapshot: TopologyDescription, now: number): ServerSelectionServerSummary[] {
  const summaries: ServerSelectionServerSummary[] = [];
  for (const server of snapshot.servers.values()) {
    const neverChecked = server.type === 'Unknown' && server.error === null;
    summaries.push({
      address: server.address,
      type: server.type,
      error: server.error?.message ?? null,
      lastHeartbeatAgeMS: neverChecked ? null : Math.max(0, Math.round(now - server.lastUpdateTime)),
      roundTripTimeMS: server.roundTripTime === null ? null : Math.round(server.roundTripTime * 100) / 100,
    });
  }
  return summaries;
}

function describeServer(server: ServerSelectionServerSummary): string {
  const parts = [server.type];
  if (server.error !== null) parts.push(`last error: ${server.error}`);
  if (server.lastHeartbeatAgeMS === null) parts.push('never checked');
  else parts.push(`checked ${server.lastHeartbeatAgeMS} ms ago`);
  if (server.roundTripTimeMS !== null) parts.push(`RTT ${server.roundTripTimeMS} ms`);
  return `${server.address} (${parts.join(', ')})`;
}
