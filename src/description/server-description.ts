/**
 * Building ServerDescriptions: from a hello reply, from a failed check, and the defaults.
 * Every description is deeply frozen when made, so a snapshot can share it as it is.
 * Nothing here throws: a reply that cannot be read gives an Unknown server whose error says why.
 */
import { tryNormalizeAddress } from './address.js';
import { plainConstructor, type Mutable } from './plain-constructor.js';
import { readInteger } from './bson-values.js';
import { readHelloReply, readLastWrite, type HelloFields } from './hello-reply.js';
import type { RttStats } from './round-trip-time.js';
import { ServerType } from './server-type.js';
import type { Address, ServerDescription, ServerErrorInfo, TopologyVersion } from './types.js';

export interface FromHelloOptions {
  /** The caller's clock reading when the reply arrived (the core never reads a clock). */
  readonly now: number;
  /** The server's round-trip-time statistics including this check, if measured. */
  readonly roundTripTime?: RttStats | null;
}

export interface FromErrorOptions {
  readonly now: number;
  /** The topologyVersion a state-change error reply carried, if any. */
  readonly topologyVersion?: TopologyVersion | null;
}

const emptyList: readonly Address[] = Object.freeze([]);
const emptyTags: Readonly<Record<string, string>> = Object.freeze({});

function baseDescription(address: Address, now: number): ServerDescription {
  return {
    address,
    type: ServerType.Unknown,
    error: null,
    roundTripTime: null,
    minRoundTripTime: null,
    lastUpdateTime: now,
    lastWriteDate: null,
    opTime: null,
    minWireVersion: 0,
    maxWireVersion: 0,
    me: null,
    hosts: emptyList,
    passives: emptyList,
    arbiters: emptyList,
    tags: emptyTags,
    setName: null,
    setVersion: null,
    electionId: null,
    primary: null,
    logicalSessionTimeoutMinutes: null,
    topologyVersion: null,
    helloOk: false,
    maxBsonObjectSize: null,
    maxMessageSizeBytes: null,
    maxWriteBatchSize: null,
  };
}

/** The description of a server not yet checked (or whose check failed without detail). */
export function unknownServerDescription(address: Address, now: number): ServerDescription {
  return Object.freeze(baseDescription(keyOf(address), now));
}

/**
 * The description of a load balancer: in load-balanced mode nothing is monitored, so the one
 * server is a LoadBalancer with only its address known (the load balancer specification).
 */
export function loadBalancerServerDescription(address: Address, now: number): ServerDescription {
  return Object.freeze({ ...baseDescription(keyOf(address), now), type: ServerType.LoadBalancer });
}

/**
 * The description a hello (or legacy isMaster) reply gives. An `ok: 0` reply gives an Unknown
 * server carrying the server's error; a reply that is not a document, lacks `ok`, or has a field
 * of the wrong type gives an Unknown server whose error names the problem.
 */
export function serverDescriptionFromHello(
  address: Address,
  reply: unknown,
  options: FromHelloOptions,
): ServerDescription {
  const key = keyOf(address);
  const reading = readHelloReply(reply);
  if (reading.kind === 'failed') {
    return Object.freeze({
      ...baseDescription(key, options.now),
      error: reading.error,
      topologyVersion: reading.topologyVersion,
    });
  }
  if (reading.kind === 'malformed') {
    return Object.freeze({
      ...baseDescription(key, options.now),
      error: Object.freeze({
        name: 'MalformedReplyError',
        message: `Malformed hello reply from ${key}: ${reading.problem}`,
      }),
    });
  }
  const fields = reading.fields;
  return Object.freeze(
    new CheckedDescription(
      key,
      fields,
      options.roundTripTime ?? null,
      options.now,
      fields.lastWriteDate,
      fields.opTime,
    ),
  );
}

/**
 * The description of a reply whose bytes matched, outside its volatile fields, those of the
 * reply `previous` was made from (see hello-reply-bytes.ts): what serverDescriptionFromHello
 * would make of it, without reading it again. `previous` with the new check's time and RTT, and,
 * when the new reply's `lastWrite` differs, its lastWriteDate and opTime read from `lastWrite`
 * (its value; undefined when the reply has none). Undefined when `previous` is not from a
 * successful reply or the new lastWrite is malformed: read the reply in full.
 */
export function describeRepeatedHello(
  previous: ServerDescription,
  options: FromHelloOptions,
  lastWrite?: { readonly value: unknown },
): ServerDescription | undefined {
  if (previous.error !== null || previous.type === ServerType.Unknown) return undefined;
  let lastWriteDate = previous.lastWriteDate;
  let opTime = previous.opTime;
  if (lastWrite !== undefined) {
    const read = readLastWrite(lastWrite.value);
    if (read === undefined) return undefined;
    lastWriteDate = read.lastWriteDate;
    opTime = read.opTime;
  }
  return Object.freeze(
    new CheckedDescription(
      previous.address,
      previous,
      options.roundTripTime ?? null,
      options.now,
      lastWriteDate,
      opTime,
    ),
  );
}

/**
 * The description of a successful check: what the reply says (`fields`, read now or, for a
 * repeated reply, the previous description), with the check's time, RTT and last write, the
 * fields in baseDescription's order. A constructor, not a literal (see plain-constructor.ts):
 * this runs on every heartbeat.
 */
const CheckedDescription = plainConstructor(function (
  this: Mutable<ServerDescription>,
  address: Address,
  fields: HelloFields,
  rtt: RttStats | null,
  now: number,
  lastWriteDate: number | null,
  opTime: ServerDescription['opTime'],
): void {
  this.address = address;
  this.type = fields.type;
  this.error = null;
  this.roundTripTime = rtt?.average ?? null;
  this.minRoundTripTime = rtt?.min ?? null;
  this.lastUpdateTime = now;
  this.lastWriteDate = lastWriteDate;
  this.opTime = opTime;
  this.minWireVersion = fields.minWireVersion;
  this.maxWireVersion = fields.maxWireVersion;
  this.me = fields.me;
  this.hosts = fields.hosts;
  this.passives = fields.passives;
  this.arbiters = fields.arbiters;
  this.tags = fields.tags;
  this.setName = fields.setName;
  this.setVersion = fields.setVersion;
  this.electionId = fields.electionId;
  this.primary = fields.primary;
  this.logicalSessionTimeoutMinutes = fields.logicalSessionTimeoutMinutes;
  this.topologyVersion = fields.topologyVersion;
  this.helloOk = fields.helloOk;
  this.maxBsonObjectSize = fields.maxBsonObjectSize;
  this.maxMessageSizeBytes = fields.maxMessageSizeBytes;
  this.maxWriteBatchSize = fields.maxWriteBatchSize;
});

/** The Unknown description a failed check (or an application error) gives. */
export function serverDescriptionFromError(
  address: Address,
  error: unknown,
  options: FromErrorOptions,
): ServerDescription {
  return Object.freeze({
    ...baseDescription(keyOf(address), options.now),
    error: errorInfoOf(error),
    topologyVersion: options.topologyVersion ?? null,
  });
}

/** An Unknown description with an error made here (stale primary, wrong set name, ...). */
export function unknownWithError(
  address: Address,
  now: number,
  name: string,
  message: string,
): ServerDescription {
  return Object.freeze({ ...baseDescription(address, now), error: Object.freeze({ name, message }) });
}

/** A copy of `description` with another type (used to mark a PossiblePrimary). */
export function withType(description: ServerDescription, type: ServerType): ServerDescription {
  return Object.freeze({ ...description, type });
}

/**
 * A JSON-safe account of any thrown value: our errors, the official driver's (duck-typed:
 * `errmsg`, numeric `code`, `codeName`), plain strings and anything else. Never throws.
 */
export function errorInfoOf(error: unknown): ServerErrorInfo {
  try {
    if (typeof error === 'object' && error !== null) {
      const e = error as Record<string, unknown>;
      const name = typeof e['name'] === 'string' && e['name'] !== '' ? e['name'] : 'Error';
      const errmsg = typeof e['errmsg'] === 'string' && e['errmsg'] !== '' ? e['errmsg'] : undefined;
      const message = typeof e['message'] === 'string' && e['message'] !== '' ? e['message'] : undefined;
      const code = readInteger(e['code']);
      const codeName = typeof e['codeName'] === 'string' ? e['codeName'] : undefined;
      return Object.freeze({
        name,
        message: message ?? errmsg ?? (code === undefined ? 'unknown error' : `server error code ${code}`),
        ...(code === undefined ? {} : { code }),
        ...(codeName === undefined ? {} : { codeName }),
      });
    }
    return Object.freeze({ name: 'Error', message: String(error) });
  } catch {
    return Object.freeze({ name: 'Error', message: 'an error that could not be described' });
  }
}

/** Addresses are normalised when they can be; anything else is kept as given (never thrown on). */
function keyOf(address: Address): Address {
  return tryNormalizeAddress(address) ?? address;
}

export { serverDescriptionsEqual } from './server-description-equality.js';
