/**
 * The view model of the live screen shared by `waspnest demo` and `waspnest watch`: plain data
 * that render.ts turns into lines. Building it from a snapshot is pure (time is a parameter).
 */
import type { Address, ServerDescription, TopologyDescription } from '../description/types.js';
import { compareAddresses } from '../description/address.js';

export interface MemberRow {
  readonly address: Address;
  readonly type: string;
  readonly isPrimary: boolean;
  /** Average round-trip time in ms, null before the first successful check. */
  readonly roundTripTimeMS: number | null;
  /** How long ago the last heartbeat (success or failure) was seen, null if none yet. */
  readonly lastHeartbeatAgeMS: number | null;
  /**
   * The server holds a streaming (awaitable) hello: it answers as soon as anything changes, so a
   * growing age since its last reply is no sign of trouble.
   */
  readonly streaming: boolean;
  readonly tags: Readonly<Record<string, string>>;
  /** hello/isMaster commands the server received (known only for simulated servers). */
  readonly checks: number | null;
  /** What the simulator did to the server ('killed', 'partitioned'), demo only. */
  readonly fault: string | null;
  /** The last check's error, as one line. */
  readonly error: string | null;
}

export interface FailoverRow {
  /** 1-based number of the failover. */
  readonly number: number;
  /** When our topology announced the new primary, ms since the start. */
  readonly atMS: number;
  /** What caused it: 'stepDown', 'kill', 'partition', or 'observed' when unknown. */
  readonly cause: string;
  readonly previous: Address | null;
  readonly current: Address;
  /** From the moment the new primary was elected (simulator) to our primaryChanged; null if unknown. */
  readonly detectionMS: number | null;
  /** How long the topology had no known primary, from the primaryChanged event. */
  readonly withoutPrimaryMS: number | null;
}

/** What happened to the calls of one kind (read preference and fail-fast choice), or to all. */
export interface CallOutcomes {
  /** Calls that found a server in the snapshot at once. */
  readonly immediate: number;
  /** Calls that found none, waited for a refresh and then got a server. */
  readonly waited: number;
  /** The longest such wait, ms. */
  readonly maxWaitMS: number;
  /**
   * Calls that failed without waiting: they chose to fail fast (selectServerNow) and found no
   * server, or the topology refused at once because waiting could not help.
   */
  readonly failedFast: number;
  /** Calls that waited until their deadline without a server (ServerSelectionError, timedOut). */
  readonly timedOut: number;
  /** Calls ended because the topology closed under them (TopologyClosedError). */
  readonly topologyClosed: number;
  /** Calls that failed in any other way (a bug to look at: the demo expects none). */
  readonly otherErrors: number;
}

/** The outcomes of one kind of call, named by its label (e.g. "read secondary dc=west"). */
export interface CallKindOutcomes extends CallOutcomes {
  readonly label: string;
}

export interface CallStats extends CallOutcomes {
  readonly callers: number;
  /** The same counts per kind of call, in the order of the call mix. */
  readonly byKind: readonly CallKindOutcomes[];
}

export interface LogLine {
  readonly atMS: number;
  readonly text: string;
}

export interface LiveView {
  readonly title: string;
  /** The redacted connection string, or a description of the simulated deployment. */
  readonly target: string;
  readonly elapsedMS: number;
  readonly topologyType: string;
  readonly setName: string | null;
  readonly primary: Address | null;
  readonly snapshotVersion: number;
  readonly members: readonly MemberRow[];
  readonly failovers: readonly FailoverRow[];
  readonly calls: CallStats | null;
  readonly log: readonly LogLine[];
  readonly footer: string;
}

/** What the shell knows per server beyond the snapshot. */
export interface MemberExtras {
  readonly lastHeartbeatAt?: number | undefined;
  readonly streaming?: boolean | undefined;
  readonly checks?: number | null | undefined;
  readonly fault?: string | null | undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function memberRow(
  server: ServerDescription,
  primary: Address | null,
  now: number,
  extras: MemberExtras | undefined,
): MemberRow {
  const heartbeatAt = extras?.lastHeartbeatAt;
  return {
    address: server.address,
    type: server.type,
    isPrimary: server.address === primary,
    roundTripTimeMS: server.roundTripTime,
    lastHeartbeatAgeMS: heartbeatAt === undefined ? null : Math.max(0, now - heartbeatAt),
    // An Unknown server was marked so by an error (a stale primary, say): its stream is no answer.
    streaming: (extras?.streaming ?? false) && server.type !== 'Unknown',
    tags: server.tags,
    checks: extras?.checks ?? null,
    fault: extras?.fault ?? null,
    error: server.error === null ? null : oneLine(`${server.error.name}: ${server.error.message}`),
  };
}

/** The primary's address in a snapshot, or null. */
export function primaryAddress(snapshot: TopologyDescription): Address | null {
  for (const server of snapshot.servers.values()) {
    if (server.type === 'RSPrimary') return server.address;
  }
  return null;
}

/** Member rows of a snapshot, sorted by address so rows do not jump around between frames. */
export function memberRows(
  snapshot: TopologyDescription,
  now: number,
  extras: (address: Address) => MemberExtras | undefined = () => undefined,
): MemberRow[] {
  const primary = primaryAddress(snapshot);
  return [...snapshot.servers.values()]
    .sort((a, b) => compareAddresses(a.address, b.address))
    .map((server) => memberRow(server, primary, now, extras(server.address)));
}
