/**
 * runOnRequirements, decided per topology of the matrix (pure).
 *
 * - A (test, topology) pair exists when the file's and the test's requirement lists each have an
 *   entry whose `topologies` admit the topology (no list, or no `topologies`, admits all).
 * - Such a pair is skipped only when none of those entries is otherwise satisfied, and then for a
 *   reason the issue allows: the server version the simulator declares, client-side encryption,
 *   auth, `serverless: 'require'`, or a server parameter the server lacks or sets differently.
 * - A requirement key the runner does not know makes the pair fail (it cannot tell), never skip.
 */
import { EJSON, type Document } from 'bson';
import type { RunOnRequirement } from './format.js';

export type MatrixTopology = 'single' | 'replicaset' | 'sharded';
export const MATRIX_TOPOLOGIES: readonly MatrixTopology[] = ['single', 'replicaset', 'sharded'];

/** What the runner learned from a started deployment. */
export interface ServerFacts {
  readonly topology: MatrixTopology;
  /** From buildInfo's versionArray: major, minor, patch. */
  readonly version: readonly [number, number, number];
  /** getParameter answers by parameter name; a missing entry means the server does not have it. */
  readonly parameters: ReadonlyMap<string, unknown>;
}

export type Decision =
  | { readonly kind: 'absent' }
  | { readonly kind: 'run' }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'fail'; readonly reason: string };

const KNOWN_KEYS = new Set([
  'minServerVersion',
  'maxServerVersion',
  'topologies',
  'serverless',
  'serverParameters',
  'auth',
  'authMechanism',
  'csfle',
]);

/** `4.9.0-alpha4` -> [4, 9, 0]: missing parts are 0, anything after the patch is dropped. */
export function parseVersion(version: string): [number, number, number] {
  const parts = version
    .split('-')[0]!
    .split('.')
    .map((p) => Number.parseInt(p, 10));
  return [parts[0] || 0, parts[1] || 0, parts[2] || 0];
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function admitsTopology(requirement: RunOnRequirement, topology: MatrixTopology): boolean {
  const topologies = requirement.topologies;
  if (!topologies) return true;
  // Simulated shards hold their data as replica-set members do, so 'sharded-replicaset' is 'sharded'.
  return topologies.some((t) => t === topology || (topology === 'sharded' && t === 'sharded-replicaset'));
}

function numericValue(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value && typeof value === 'object' && 'valueOf' in value) {
    const bsonType = (value as { _bsontype?: string })._bsontype;
    if (bsonType === 'Int32' || bsonType === 'Double') return Number(value.valueOf());
    if (bsonType === 'Long') return Number((value as { toNumber(): number }).toNumber());
  }
  return null;
}

/** Equal as the format compares server parameters: numbers by value (1 == 1.0 == 1L), the rest as EJSON. */
export function sameParameterValue(expected: unknown, actual: unknown): boolean {
  const a = numericValue(expected);
  const b = numericValue(actual);
  if (a !== null || b !== null) return a === b;
  return EJSON.stringify(expected as Document) === EJSON.stringify(actual as Document);
}

/** The reasons one entry is not satisfied on these facts (topology aside); empty when it is. */
export function unmetConditions(requirement: RunOnRequirement, facts: ServerFacts): string[] {
  const reasons: string[] = [];
  const unknown = Object.keys(requirement).filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length > 0) reasons.push(`unknown runOnRequirement key ${unknown.join(', ')}`);
  const declared = facts.version.join('.');
  if (requirement.minServerVersion !== undefined) {
    if (compareVersions(facts.version, parseVersion(requirement.minServerVersion)) < 0) {
      reasons.push(`server version ${declared} < minServerVersion ${requirement.minServerVersion}`);
    }
  }
  if (requirement.maxServerVersion !== undefined) {
    if (compareVersions(facts.version, parseVersion(requirement.maxServerVersion)) > 0) {
      reasons.push(`server version ${declared} > maxServerVersion ${requirement.maxServerVersion}`);
    }
  }
  if (requirement.auth === true) reasons.push('needs auth');
  if (requirement.authMechanism !== undefined) reasons.push(`needs auth (${requirement.authMechanism})`);
  if (requirement.csfle !== undefined && requirement.csfle !== false) {
    reasons.push('needs client-side encryption');
  }
  if (requirement.serverless === 'require') reasons.push("serverless: 'require'");
  for (const [name, value] of Object.entries(requirement.serverParameters ?? {})) {
    if (!facts.parameters.has(name) || !sameParameterValue(value, facts.parameters.get(name))) {
      reasons.push(`server parameter ${name}`);
    }
  }
  return reasons;
}

/** One requirement list (a file's or a test's) on one topology. */
export function decideList(
  requirements: readonly RunOnRequirement[] | undefined,
  facts: ServerFacts,
): Decision {
  if (!requirements) return { kind: 'run' };
  const admitted = requirements.filter((r) => admitsTopology(r, facts.topology));
  if (admitted.length === 0) return { kind: 'absent' };
  const unmet = admitted.map((r) => unmetConditions(r, facts));
  if (unmet.some((reasons) => reasons.length === 0)) return { kind: 'run' };
  const reasons = [...new Set(unmet.flat())];
  const unknownKey = reasons.find((r) => r.startsWith('unknown runOnRequirement key'));
  if (unknownKey) return { kind: 'fail', reason: unknownKey };
  return { kind: 'skip', reason: reasons.join('; ') };
}

/** The file's and the test's lists together: both must admit the topology and both must be met. */
export function decidePair(
  fileRequirements: readonly RunOnRequirement[] | undefined,
  testRequirements: readonly RunOnRequirement[] | undefined,
  facts: ServerFacts,
): Decision {
  const decisions = [decideList(fileRequirements, facts), decideList(testRequirements, facts)];
  if (decisions.some((d) => d.kind === 'absent')) return { kind: 'absent' };
  return (
    decisions.find((d) => d.kind === 'fail') ?? decisions.find((d) => d.kind === 'skip') ?? { kind: 'run' }
  );
}

/** Every server parameter name the requirements of these files ask about. */
export function serverParameterNames(lists: Iterable<readonly RunOnRequirement[] | undefined>): Set<string> {
  const names = new Set<string>();
  for (const list of lists) {
    for (const r of list ?? []) for (const name of Object.keys(r.serverParameters ?? {})) names.add(name);
  }
  return names;
}
