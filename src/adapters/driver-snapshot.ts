/**
 * Converts the official driver's TopologyDescription / ServerDescription into waspnest's frozen
 * snapshots. The driver is an optional peer, so its shapes are described structurally here
 * (only the fields read) and `mongodb` is never imported. Pure: no clock, no I/O.
 */
import { freeze } from 'immer';
import type {
  Address,
  ServerDescription,
  ServerErrorInfo,
  TopologyDescription,
  TopologyVersion,
} from '../description/types.js';
import { sameDescriptionValues } from '../description/server-description-equality.js';
import { ServerMap } from '../description/server-map.js';
import { ServerType, TopologyType } from '../description/server-type.js';

/** An ObjectId or anything that prints as one. */
export interface DriverObjectIdLike {
  toHexString?(): string;
  toString(): string;
}

/** A BSON Long, a number or a bigint. */
export type DriverCounterLike = number | bigint | { toNumber(): number };

/** The fields of the driver's ServerDescription the adapter reads. */
export interface DriverServerDescription {
  readonly address: string;
  readonly type: string;
  readonly hosts?: readonly string[];
  readonly passives?: readonly string[];
  readonly arbiters?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
  readonly minWireVersion?: number;
  readonly maxWireVersion?: number;
  /** -1 before the first successful check. */
  readonly roundTripTime?: number;
  readonly minRoundTripTime?: number;
  /** Math.floor(performance.now()) when the description was made. */
  readonly lastUpdateTime?: number;
  /** A Date from the hello reply's lastWrite, or 0 when unknown. */
  readonly lastWriteDate?: Date | number | null;
  readonly error?: unknown;
  readonly topologyVersion?: {
    readonly processId: DriverObjectIdLike;
    readonly counter: DriverCounterLike;
  } | null;
  readonly setName?: string | null;
  readonly setVersion?: number | null;
  readonly electionId?: DriverObjectIdLike | null;
  readonly logicalSessionTimeoutMinutes?: number | null;
  readonly primary?: string | null;
  readonly me?: string | null;
  readonly maxMessageSizeBytes?: number | null;
  readonly maxWriteBatchSize?: number | null;
  readonly maxBsonObjectSize?: number | null;
}

/** The fields of the driver's TopologyDescription the adapter reads. */
export interface DriverTopologyDescription {
  readonly type: string;
  readonly servers: ReadonlyMap<string, DriverServerDescription>;
  readonly setName?: string | null;
  readonly maxSetVersion?: number | null;
  readonly maxElectionId?: DriverObjectIdLike | null;
  readonly compatible?: boolean;
  readonly compatibilityError?: string | null;
  readonly logicalSessionTimeoutMinutes?: number | null;
}

const serverTypes = new Set<string>(Object.values(ServerType));
const topologyTypes = new Set<string>(Object.values(TopologyType));

function hex(id: DriverObjectIdLike | null | undefined): string | null {
  if (id === null || id === undefined) return null;
  return typeof id.toHexString === 'function' ? id.toHexString() : id.toString();
}

function counter(value: DriverCounterLike): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return value.toNumber();
}

function errorInfo(error: unknown): ServerErrorInfo | null {
  if (error === null || error === undefined) return null;
  if (typeof error !== 'object') return { name: 'Error', message: String(error) };
  const e = error as { name?: unknown; message?: unknown; code?: unknown; codeName?: unknown };
  const info: { name: string; message: string; code?: number; codeName?: string } = {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(error),
  };
  // Network errors carry string codes (ECONNREFUSED) in their cause; only server codes are numbers.
  if (typeof e.code === 'number') info.code = e.code;
  if (typeof e.codeName === 'string') info.codeName = e.codeName;
  return info;
}

function lastWrite(value: Date | number | null | undefined): number | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.getTime();
  return typeof value === 'number' && value > 0 ? value : null;
}

function addresses(list: readonly string[] | undefined): Address[] {
  return (list ?? []).map((host) => host.toLowerCase());
}

/** One driver ServerDescription as a (not yet frozen) waspnest ServerDescription. */
export function serverDescriptionFromDriver(server: DriverServerDescription): ServerDescription {
  const rtt = server.roundTripTime ?? -1;
  const known = rtt >= 0;
  const tv = server.topologyVersion;
  const topologyVersion: TopologyVersion | null =
    tv === null || tv === undefined
      ? null
      : { processId: hex(tv.processId) ?? '', counter: counter(tv.counter) };
  return {
    address: server.address.toLowerCase(),
    type: serverTypes.has(server.type) ? (server.type as ServerType) : ServerType.Unknown,
    error: errorInfo(server.error),
    roundTripTime: known ? rtt : null,
    minRoundTripTime: known ? (server.minRoundTripTime ?? rtt) : null,
    lastUpdateTime: server.lastUpdateTime ?? 0,
    lastWriteDate: lastWrite(server.lastWriteDate),
    // The driver keeps neither opTime nor helloOk in its descriptions.
    opTime: null,
    minWireVersion: server.minWireVersion ?? 0,
    maxWireVersion: server.maxWireVersion ?? 0,
    me: server.me?.toLowerCase() ?? null,
    hosts: addresses(server.hosts),
    passives: addresses(server.passives),
    arbiters: addresses(server.arbiters),
    tags: { ...server.tags },
    setName: server.setName ?? null,
    setVersion: server.setVersion ?? null,
    electionId: hex(server.electionId),
    primary: server.primary?.toLowerCase() ?? null,
    logicalSessionTimeoutMinutes: server.logicalSessionTimeoutMinutes ?? null,
    topologyVersion,
    helloOk: false,
    maxBsonObjectSize: server.maxBsonObjectSize ?? null,
    maxMessageSizeBytes: server.maxMessageSizeBytes ?? null,
    maxWriteBatchSize: server.maxWriteBatchSize ?? null,
  };
}

/**
 * The next snapshot after `previous` for the driver's `description`. Every server description the
 * driver holds replaces ours (as in the core's state machine, round-trip times and write dates
 * are the driver's current ones); a converted description whose every field equals the one we
 * hold is shared, not copied. When nothing at all differs the result is `previous` itself (the
 * same object), otherwise a new frozen snapshot with `version + 1`.
 */
export function snapshotFromDriver(
  previous: TopologyDescription,
  description: DriverTopologyDescription,
): TopologyDescription {
  const descriptions: ServerDescription[] = [];
  let serversChanged = description.servers.size !== previous.servers.size;
  for (const driverServer of description.servers.values()) {
    const converted = serverDescriptionFromDriver(driverServer);
    const before = previous.servers.get(converted.address);
    if (before !== undefined && sameDescriptionValues(before, converted)) {
      descriptions.push(before);
    } else {
      descriptions.push(freeze(converted, true));
      serversChanged = true;
    }
  }
  const type = topologyTypes.has(description.type)
    ? (description.type as TopologyType)
    : TopologyType.Unknown;
  const compatible = description.compatible ?? true;
  const top = {
    type,
    setName: description.setName ?? null,
    maxSetVersion: description.maxSetVersion ?? null,
    maxElectionId: hex(description.maxElectionId),
    compatible,
    compatibilityError: compatible
      ? null
      : (description.compatibilityError ?? 'incompatible server versions'),
    logicalSessionTimeoutMinutes: description.logicalSessionTimeoutMinutes ?? null,
  };
  const sameTop =
    top.type === previous.type &&
    top.setName === previous.setName &&
    top.maxSetVersion === previous.maxSetVersion &&
    top.maxElectionId === previous.maxElectionId &&
    top.compatible === previous.compatible &&
    top.compatibilityError === previous.compatibilityError &&
    top.logicalSessionTimeoutMinutes === previous.logicalSessionTimeoutMinutes;
  if (!serversChanged && sameTop) return previous;
  const servers = ServerMap.of(descriptions);
  return freeze({ ...top, servers, version: previous.version + 1 }, true);
}

/** The snapshot before anything is known: an Unknown topology with no servers, version 0. */
export function emptySnapshot(): TopologyDescription {
  return freeze(
    {
      type: TopologyType.Unknown,
      setName: null,
      maxSetVersion: null,
      maxElectionId: null,
      servers: ServerMap.of([]),
      compatible: true,
      compatibilityError: null,
      logicalSessionTimeoutMinutes: null,
      version: 0,
    },
    true,
  );
}
