/**
 * Reading a hello (or legacy isMaster) reply: checks every field the discovery specification
 * uses and nothing more. Unknown fields are accepted; a field the specification uses with the
 * wrong type makes the whole reply malformed, with a reason that names the field, because a
 * half-read reply could put a server in the wrong role.
 */
import { addressProblem, tryNormalizeAddress } from './address.js';
import { bsonTypeOf, isDocument, readDateMS, readFlag, readInteger, readObjectIdHex } from './bson-values.js';
import { ServerType } from './server-type.js';
import { parseTopologyVersion } from './topology-version.js';
import type { Address, ServerDescription, ServerErrorInfo, TopologyVersion } from './types.js';

/**
 * The longest member list (hosts, passives, arbiters) and tag set accepted. A replica set has at
 * most 50 members; the bound only stops a corrupt or hostile reply from costing unbounded work.
 */
export const MAX_LIST_LENGTH = 1000;
/** The most fields an opTime document may have (a real one has two: ts and t). */
const MAX_OPTIME_FIELDS = 16;

/**
 * What a successful (ok: 1) reply says, checked and normalised: every field of a
 * ServerDescription except those the client itself adds (where, when, how fast, what failed).
 */
export type HelloFields = Omit<
  ServerDescription,
  'address' | 'error' | 'roundTripTime' | 'minRoundTripTime' | 'lastUpdateTime'
>;

export type HelloReading =
  | { readonly kind: 'ok'; readonly fields: HelloFields }
  /** The server answered ok: 0; the error is the server's, with any topologyVersion it sent. */
  | {
      readonly kind: 'failed';
      readonly error: ServerErrorInfo;
      readonly topologyVersion: TopologyVersion | null;
    }
  | { readonly kind: 'malformed'; readonly problem: string };

/** Signals a malformed field while reading; caught in {@link readHelloReply}. */
class Malformed {
  constructor(readonly problem: string) {}
}

export function readHelloReply(reply: unknown): HelloReading {
  if (!isDocument(reply))
    return { kind: 'malformed', problem: `the reply is ${describe(reply)}, not a document` };
  try {
    if (!('ok' in reply) || reply['ok'] === undefined)
      return { kind: 'malformed', problem: 'the reply has no "ok" field' };
    const ok = readFlag(reply['ok']);
    if (ok === undefined) {
      return { kind: 'malformed', problem: `"ok" must be 1 or 0, got ${describe(reply['ok'])}` };
    }
    if (!ok) return { kind: 'failed', ...failure(reply) };
    return { kind: 'ok', fields: readFields(reply) };
  } catch (err) {
    if (err instanceof Malformed) return { kind: 'malformed', problem: err.problem };
    // A getter on a hand-made object threw: still a malformed reply, never an exception.
    return {
      kind: 'malformed',
      problem: `reading the reply failed: ${(err as Error)?.message ?? String(err)}`,
    };
  }
}

function failure(reply: Readonly<Record<string, unknown>>): {
  error: ServerErrorInfo;
  topologyVersion: TopologyVersion | null;
} {
  const code = readInteger(reply['code']);
  const codeName = typeof reply['codeName'] === 'string' ? reply['codeName'] : undefined;
  const errmsg = typeof reply['errmsg'] === 'string' && reply['errmsg'] !== '' ? reply['errmsg'] : undefined;
  const message = errmsg ?? `hello failed with ok: 0${code === undefined ? '' : ` (code ${code})`}`;
  const error: ServerErrorInfo = Object.freeze({
    name: 'ServerReplyError',
    message,
    ...(code === undefined ? {} : { code }),
    ...(codeName === undefined ? {} : { codeName }),
  });
  const tv = parseTopologyVersion(reply['topologyVersion']);
  return { error, topologyVersion: tv === undefined || 'problem' in tv ? null : tv };
}

function readFields(reply: Readonly<Record<string, unknown>>): HelloFields {
  const isWritablePrimary = flag(reply, 'isWritablePrimary') ?? flag(reply, 'ismaster') ?? false;
  const secondary = flag(reply, 'secondary') ?? false;
  const arbiterOnly = flag(reply, 'arbiterOnly') ?? false;
  const hidden = flag(reply, 'hidden') ?? false;
  const isReplicaSet = flag(reply, 'isreplicaset') ?? false;
  const msg = optionalString(reply, 'msg');
  const setName = optionalString(reply, 'setName');
  if (setName === '') throw new Malformed('"setName" must not be empty');

  let type: ServerType;
  if (isReplicaSet) type = ServerType.RSGhost;
  else if (setName !== null) {
    if (hidden) type = ServerType.RSOther;
    else if (isWritablePrimary) type = ServerType.RSPrimary;
    else if (secondary) type = ServerType.RSSecondary;
    else if (arbiterOnly) type = ServerType.RSArbiter;
    else type = ServerType.RSOther;
  } else if (msg === 'isdbgrid') type = ServerType.Mongos;
  else type = ServerType.Standalone;

  const tv = parseTopologyVersion(reply['topologyVersion']);
  if (tv !== undefined && 'problem' in tv) throw new Malformed(tv.problem);
  const { lastWriteDate, opTime } = lastWrite(reply['lastWrite']);
  const minWireVersion = nonNegativeInteger(reply, 'minWireVersion') ?? 0;
  const maxWireVersion = nonNegativeInteger(reply, 'maxWireVersion') ?? 0;

  return {
    type,
    minWireVersion,
    maxWireVersion,
    me: optionalAddress(reply, 'me'),
    hosts: addressList(reply, 'hosts'),
    passives: addressList(reply, 'passives'),
    arbiters: addressList(reply, 'arbiters'),
    tags: tagSet(reply['tags']),
    setName,
    setVersion: optionalInteger(reply, 'setVersion'),
    electionId: optionalObjectId(reply, 'electionId'),
    primary: optionalAddress(reply, 'primary'),
    logicalSessionTimeoutMinutes: nonNegativeInteger(reply, 'logicalSessionTimeoutMinutes'),
    topologyVersion: tv ?? null,
    lastWriteDate,
    opTime,
    helloOk: flag(reply, 'helloOk') ?? false,
    maxBsonObjectSize: nonNegativeInteger(reply, 'maxBsonObjectSize'),
    maxMessageSizeBytes: nonNegativeInteger(reply, 'maxMessageSizeBytes'),
    maxWriteBatchSize: nonNegativeInteger(reply, 'maxWriteBatchSize'),
  };
}

function present(reply: Readonly<Record<string, unknown>>, field: string): unknown {
  const value = reply[field];
  return value === null ? undefined : value;
}

/**
 * The field read by `read`: null when absent, malformed when `read` cannot make sense of it
 * (`expected` says what it should have been).
 */
function optional<T>(
  reply: Readonly<Record<string, unknown>>,
  field: string,
  read: (value: unknown) => T | undefined,
  expected: string,
): T | null {
  const value = present(reply, field);
  if (value === undefined) return null;
  const result = read(value);
  if (result === undefined) throw new Malformed(`"${field}" must be ${expected}, got ${describe(value)}`);
  return result;
}

function flag(reply: Readonly<Record<string, unknown>>, field: string): boolean | null {
  return optional(reply, field, readFlag, 'a boolean');
}

function optionalString(reply: Readonly<Record<string, unknown>>, field: string): string | null {
  return optional(reply, field, (value) => (typeof value === 'string' ? value : undefined), 'a string');
}

function optionalInteger(reply: Readonly<Record<string, unknown>>, field: string): number | null {
  return optional(reply, field, readInteger, 'an integer');
}

function nonNegativeInteger(reply: Readonly<Record<string, unknown>>, field: string): number | null {
  const n = optionalInteger(reply, field);
  if (n !== null && n < 0) throw new Malformed(`"${field}" must not be negative, got ${n}`);
  return n;
}

function optionalObjectId(reply: Readonly<Record<string, unknown>>, field: string): string | null {
  return optional(reply, field, readObjectIdHex, 'an ObjectId');
}

/** The address in field `field` (entry `index` of it, for a list); the error names where it was. */
function toAddress(value: unknown, field: string, index?: number): Address {
  const address = typeof value === 'string' ? tryNormalizeAddress(value) : null;
  if (address !== null) return address;
  // The place is named only on failure: building it for every entry of every reply costs.
  const where = index === undefined ? `"${field}"` : `"${field}[${index}]"`;
  if (typeof value !== 'string')
    throw new Malformed(`${where} must be a "host:port" string, got ${describe(value)}`);
  throw new Malformed(`${where} is not a server address: ${addressProblem(value)}`);
}

function optionalAddress(reply: Readonly<Record<string, unknown>>, field: string): Address | null {
  const value = present(reply, field);
  return value === undefined ? null : toAddress(value, field);
}

function addressList(reply: Readonly<Record<string, unknown>>, field: string): readonly Address[] {
  const value = present(reply, field);
  if (value === undefined) return emptyAddressList;
  if (!Array.isArray(value))
    throw new Malformed(`"${field}" must be an array of addresses, got ${describe(value)}`);
  if (value.length > MAX_LIST_LENGTH) {
    throw new Malformed(`"${field}" has ${value.length} entries, more than the ${MAX_LIST_LENGTH} accepted`);
  }
  const list: Address[] = [];
  for (let i = 0; i < value.length; i++) list.push(toAddress(value[i], field, i));
  return sharedList(list);
}

/**
 * Lists already seen, by their first address. Every member of a set reports the same hosts list
 * on every heartbeat; sharing one frozen array for equal lists keeps one copy in memory instead
 * of one per member and per check, and lets the equality that decides whether a snapshot changed
 * compare lists by reference. Addresses come from the address memo, so comparing a candidate is
 * a run of identity checks. Bounded like the address memo.
 */
const listsByFirst = new Map<Address, (readonly Address[])[]>();
const MAX_REMEMBERED_LISTS = 256;

/** The list without repeats (lower-casing can make two entries one), shared when seen before. */
function sharedList(list: Address[]): readonly Address[] {
  if (list.length === 0) return emptyAddressList;
  const first = list[0] as Address;
  const candidates = listsByFirst.get(first);
  if (candidates !== undefined) {
    for (const candidate of candidates) if (sameEntries(candidate, list)) return candidate;
  }
  const unique = new Set(list);
  const frozen = Object.freeze(unique.size === list.length ? list : [...unique]);
  if (listsByFirst.size >= MAX_REMEMBERED_LISTS) listsByFirst.clear();
  if (candidates === undefined) listsByFirst.set(first, [frozen]);
  else if (candidates.length < 8) candidates.push(frozen);
  else candidates[0] = frozen;
  return frozen;
}

function sameEntries(a: readonly Address[], b: readonly Address[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const emptyAddressList: readonly Address[] = Object.freeze([]);

function tagSet(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined || value === null) return Object.freeze({});
  if (!isDocument(value)) throw new Malformed(`"tags" must be a document of strings, got ${describe(value)}`);
  const keys = Object.keys(value);
  if (keys.length > MAX_LIST_LENGTH) {
    throw new Malformed(`"tags" has ${keys.length} entries, more than the ${MAX_LIST_LENGTH} accepted`);
  }
  const tags: Record<string, string> = {};
  for (const key of keys) {
    const tag = value[key];
    if (typeof tag !== 'string') throw new Malformed(`"tags.${key}" must be a string, got ${describe(tag)}`);
    tags[key] = tag;
  }
  return Object.freeze(tags);
}

/**
 * lastWriteDate and opTime from a reply's `lastWrite` value (undefined: none), read as a full
 * reading reads them; undefined when it is malformed.
 */
export function readLastWrite(
  value: unknown,
): { lastWriteDate: number | null; opTime: Readonly<Record<string, unknown>> | null } | undefined {
  try {
    return lastWrite(value);
  } catch (err) {
    if (err instanceof Malformed) return undefined;
    throw err;
  }
}

function lastWrite(value: unknown): {
  lastWriteDate: number | null;
  opTime: Readonly<Record<string, unknown>> | null;
} {
  if (value === undefined || value === null) return { lastWriteDate: null, opTime: null };
  if (!isDocument(value)) throw new Malformed(`"lastWrite" must be a document, got ${describe(value)}`);
  let lastWriteDate: number | null = null;
  const date = value['lastWriteDate'];
  if (date !== undefined && date !== null) {
    const ms = readDateMS(date);
    if (ms === undefined)
      throw new Malformed(`"lastWrite.lastWriteDate" must be a date, got ${describe(date)}`);
    lastWriteDate = ms;
  }
  let opTime: Readonly<Record<string, unknown>> | null = null;
  const op = value['opTime'];
  if (op !== undefined && op !== null) {
    if (!isDocument(op)) throw new Malformed(`"lastWrite.opTime" must be a document, got ${describe(op)}`);
    const keys = Object.keys(op);
    if (keys.length > MAX_OPTIME_FIELDS) throw new Malformed(`"lastWrite.opTime" has ${keys.length} fields`);
    const copy: Record<string, unknown> = {};
    for (const key of keys) {
      const field = op[key];
      // An opTime holds a Timestamp and a term; nested documents would be garbage.
      if (typeof field === 'object' && field !== null && bsonTypeOf(field) === undefined) {
        throw new Malformed(`"lastWrite.opTime.${key}" must be a BSON scalar, got ${describe(field)}`);
      }
      if (typeof field === 'object' && field !== null) Object.freeze(field);
      copy[key] = field;
    }
    opTime = Object.freeze(copy);
  }
  return { lastWriteDate, opTime };
}

/** A short, safe description of a value for error messages (never its whole content). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const bsonType = bsonTypeOf(value);
  if (bsonType !== undefined) return `a BSON ${bsonType}`;
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return value instanceof Date ? 'a date' : 'a document';
    default:
      return `a ${typeof value}`;
  }
}
