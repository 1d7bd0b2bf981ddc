/**
 * The rules of `mongodb+srv://` (initial DNS seedlist discovery and SRV polling), as pure
 * functions over DNS answers. The DNS queries themselves belong to the monitor; it feeds the
 * answers here. Randomness is a parameter so that tests can fix it.
 */
import { ConnectionStringError } from '../errors.js';
import type { Address } from '../description/types.js';
import { parseOptions, splitOptionPairs, type ConnectionOptions } from './options.js';

export const defaultSrvServiceName = 'mongodb';

/** `_{service}._tcp.{host}`: the name to query SRV records for. */
export function srvQueryName(srvHost: string, srvServiceName: string = defaultSrvServiceName): string {
  return `_${srvServiceName}._tcp.${srvHost}`;
}

/** An SRV answer as `dns.resolveSrv` gives it (priority and weight are ignored, as the specification says). */
export interface SrvRecord {
  readonly name: string;
  readonly port: number;
}

/** An SRV record that failed validation: its target host and port as given, and why. */
export interface RejectedSrvRecord {
  readonly name: string;
  readonly port: number;
  /** E.g. `'evil.attacker.net' is not a host in the domain 'example.com'`. */
  readonly reason: string;
}

export interface SrvRecordsResult {
  /** Addresses of the records that passed, in answer order, duplicates removed. */
  readonly addresses: readonly Address[];
  readonly rejected: readonly RejectedSrvRecord[];
  /**
   * For initial discovery: non-null when the answer cannot be used (no records, or any record
   * rejected). SRV polling instead uses `addresses` and ignores the rejected records.
   */
  readonly error: ConnectionStringError | null;
}

/** Lower-case, without the trailing dot of a fully qualified name. */
function normaliseDnsName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * The domain returned hosts must belong to: the SRV host without its first label when it has
 * three or more labels, else the whole SRV host (which returned hosts must then extend by at
 * least one label).
 */
export function srvParentDomain(srvHost: string): string {
  const labels = normaliseDnsName(srvHost).split('.');
  return labels.length >= 3 ? labels.slice(1).join('.') : labels.join('.');
}

/** Why a returned host name does not belong to the SRV host's domain, or null when it does. */
export function srvTargetProblem(srvHost: string, target: string): string | null {
  const name = normaliseDnsName(target);
  if (name === '') return 'the target host name is empty';
  const domain = srvParentDomain(srvHost);
  // Requiring the '.' prevents "evilmongodb.com" from passing for "mongodb.com", and the rule
  // for short SRV hosts (no target may equal them) falls out of the same check.
  if (!name.endsWith(`.${domain}`)) return `'${name}' is not a host in the domain '${domain}'`;
  return null;
}

/** Checks SRV answers against the SRV host (parent domain, ports) and turns them into addresses. */
export function validateSrvRecords(srvHost: string, records: readonly SrvRecord[]): SrvRecordsResult {
  const addresses: Address[] = [];
  const rejected: RejectedSrvRecord[] = [];
  for (const record of records) {
    const problem =
      srvTargetProblem(srvHost, record.name) ??
      (Number.isInteger(record.port) && record.port >= 1 && record.port <= 65535
        ? null
        : `the port ${record.port} is not from 1 to 65535`);
    if (problem) {
      rejected.push({ name: record.name, port: record.port, reason: problem });
      continue;
    }
    const address = `${normaliseDnsName(record.name)}:${record.port}`;
    if (!addresses.includes(address)) addresses.push(address);
  }
  let error: ConnectionStringError | null = null;
  if (records.length === 0) {
    error = new ConnectionStringError(
      `The SRV lookup for '${srvHost}' returned no records, so it names no hosts`,
    );
  } else if (rejected.length > 0) {
    error = new ConnectionStringError(
      `The SRV records for '${srvHost}' name hosts outside its domain, which is not allowed: ` +
        rejected.map((r) => r.reason).join('; '),
    );
  }
  return { addresses, rejected, error };
}

/** Fisher-Yates shuffle of a copy. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = copy[i] as T;
    copy[i] = copy[j] as T;
    copy[j] = a;
  }
  return copy;
}

/** All the addresses when srvMaxHosts is 0 or not smaller than their number, else a random subset of that size. */
export function applySrvMaxHosts(
  addresses: readonly Address[],
  srvMaxHosts: number | undefined,
  random: () => number = Math.random,
): Address[] {
  const max = srvMaxHosts ?? 0;
  if (max <= 0 || max >= addresses.length) return [...addresses];
  return shuffled(addresses, random).slice(0, max);
}

/** The options a TXT record may set (the seedlist specification allows only these). */
export type TxtOptions = Pick<ConnectionOptions, 'authSource' | 'replicaSet' | 'loadBalanced'>;

const allowedInTxt = new Set(['authSource', 'replicaSet', 'loadBalanced']);

/**
 * Reads the TXT answer for the SRV host (`dns.resolveTxt` shape: records of string chunks, the
 * chunks of one record joined). More than one record, a malformed record, or any option other
 * than authSource, replicaSet and loadBalanced is an error; invalid values are warnings.
 */
export function parseTxtOptions(txtRecords: readonly (readonly string[])[]): {
  options: TxtOptions;
  warnings: readonly string[];
} {
  if (txtRecords.length === 0) return { options: {}, warnings: [] };
  if (txtRecords.length > 1) {
    throw new ConnectionStringError(
      `The SRV host has ${txtRecords.length} TXT records; at most one is allowed (its options would be ambiguous)`,
    );
  }
  const text = (txtRecords[0] ?? []).join('');
  for (const pair of splitOptionPairs(text)) {
    if (pair.name === undefined || !allowedInTxt.has(pair.name)) {
      throw new ConnectionStringError(
        `The TXT record sets '${pair.key}': only authSource, replicaSet and loadBalanced may be set there`,
      );
    }
  }
  const parsed = parseOptions(text);
  return { options: parsed.options as TxtOptions, warnings: parsed.warnings.map((w) => `TXT record: ${w}`) };
}

export interface SrvHostsDiff {
  /** The hosts the topology should have: kept ones in their order, then the added ones. */
  readonly hosts: readonly Address[];
  readonly added: readonly Address[];
  readonly removed: readonly Address[];
}

/**
 * One SRV poll (the polling specification): hosts no longer in the answer are removed, hosts
 * still in it are left alone, and new hosts are added (at random, up to srvMaxHosts in total
 * when it is positive and smaller than the answer). An empty answer changes nothing: a failed
 * or empty rescan must not empty the topology.
 * @param next the addresses that passed validateSrvRecords (rejected records are dropped silently).
 */
export function diffSrvHosts(
  previous: readonly Address[],
  next: readonly Address[],
  srvMaxHosts: number | undefined,
  random: () => number = Math.random,
): SrvHostsDiff {
  if (next.length === 0) return { hosts: [...previous], added: [], removed: [] };
  const nextSet = new Set(next);
  const previousSet = new Set(previous);
  const kept = previous.filter((a) => nextSet.has(a));
  const removed = previous.filter((a) => !nextSet.has(a));
  const candidates = [...nextSet].filter((a) => !previousSet.has(a));
  const max = srvMaxHosts ?? 0;
  const added =
    max <= 0 || max >= nextSet.size
      ? candidates
      : shuffled(candidates, random).slice(0, Math.max(0, max - kept.length));
  return { hosts: [...kept, ...added], added, removed };
}
