/**
 * Read preferences: which servers a read may go to. `toReadPreference` turns what a user gives
 * (a mode string, a plain object, or the official driver's `ReadPreference`) into one frozen,
 * validated shape that selection can trust without checking again.
 */
import { ReadPreferenceError } from '../errors.js';

export type ReadPreferenceMode =
  'primary' | 'primaryPreferred' | 'secondary' | 'secondaryPreferred' | 'nearest';

/** A set of tags a server must all carry (a subset match); `{}` matches every server. */
export type TagSet = Readonly<Record<string, string>>;

/** A validated read preference. Deeply frozen. */
export interface ReadPreference {
  readonly mode: ReadPreferenceMode;
  /**
   * Ordered tag sets: the first set that matches any candidate decides. Empty means "any server"
   * (the specification's default `[{}]` is normalised to `[]`).
   */
  readonly tags: readonly TagSet[];
  /** The largest acceptable estimated staleness of a secondary, in seconds; null for no maximum. */
  readonly maxStalenessSeconds: number | null;
}

/** A read preference written as a plain object. `tagSets` is accepted as another name for `tags`. */
export interface ReadPreferenceOptions {
  readonly mode?: ReadPreferenceMode;
  readonly tags?: readonly TagSet[];
  readonly tagSets?: readonly TagSet[];
  /** -1, null or absent: no maximum. */
  readonly maxStalenessSeconds?: number | null;
}

/**
 * The shape of the official driver's `ReadPreference` class, duck-typed so that `mongodb` is
 * never imported at run time.
 */
export interface DriverReadPreferenceLike {
  readonly mode: string;
  readonly tags?: readonly Readonly<Record<string, unknown>>[] | undefined;
  readonly maxStalenessSeconds?: number | undefined;
}

export type ReadPreferenceLike = ReadPreferenceMode | ReadPreferenceOptions | DriverReadPreferenceLike;

export const READ_PREFERENCE_MODES: readonly ReadPreferenceMode[] = Object.freeze([
  'primary',
  'primaryPreferred',
  'secondary',
  'secondaryPreferred',
  'nearest',
]);

const NO_TAGS: readonly TagSet[] = Object.freeze([]);

/**
 * The one class every normalised read preference is made by: `instanceof` tells, in one cheap
 * check and without any registry, that an object passed back in needs no validation.
 */
class ValidReadPreference implements ReadPreference {
  constructor(
    readonly mode: ReadPreferenceMode,
    readonly tags: readonly TagSet[],
    readonly maxStalenessSeconds: number | null,
  ) {
    Object.freeze(this);
  }
}

function preset(mode: ReadPreferenceMode): ReadPreference {
  return new ValidReadPreference(mode, NO_TAGS, null);
}

// One frozen read preference per mode, shared: a mode string allocates nothing.
const PRIMARY = preset('primary');
const PRIMARY_PREFERRED = preset('primaryPreferred');
const SECONDARY = preset('secondary');
const SECONDARY_PREFERRED = preset('secondaryPreferred');
const NEAREST = preset('nearest');

/**
 * The shared read preference of an exact mode name, or undefined. A switch over the five names,
 * not a Map: selections pass a mode string on every call, and comparing it with the (interned)
 * literals costs a fraction of a hash lookup (measured on the selection benchmark).
 */
function presetOf(mode: string): ReadPreference | undefined {
  switch (mode) {
    case 'primary':
      return PRIMARY;
    case 'secondaryPreferred':
      return SECONDARY_PREFERRED;
    case 'nearest':
      return NEAREST;
    case 'secondary':
      return SECONDARY;
    case 'primaryPreferred':
      return PRIMARY_PREFERRED;
    default:
      return undefined;
  }
}
/** Modes by lower-case name: connection strings and the specification tests write 'SecondaryPreferred'. */
const MODES_BY_LOWER_CASE: ReadonlyMap<string, ReadPreferenceMode> = new Map(
  READ_PREFERENCE_MODES.map((m) => [m.toLowerCase(), m]),
);

export const primaryReadPreference: ReadPreference = PRIMARY;

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function toMode(value: unknown): ReadPreferenceMode {
  if (value === undefined || value === null) return 'primary';
  if (typeof value === 'string') {
    const mode = MODES_BY_LOWER_CASE.get(value.toLowerCase());
    if (mode) return mode;
  }
  throw new ReadPreferenceError(
    `unknown read preference mode ${describeValue(value)} (expected one of ${READ_PREFERENCE_MODES.join(', ')})`,
  );
}

/** The empty tag set, shared, so that emptiness is an identity check. */
const EMPTY_TAG_SET: TagSet = Object.freeze({});

function toTagSet(value: unknown, index: number): TagSet {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ReadPreferenceError(
      `tag set ${index} must be an object of string values such as { dc: 'east' }; got ${describeValue(value)}`,
    );
  }
  const source = value as Record<string, unknown>;
  let copy: Record<string, string> | undefined;
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue;
    const tagValue = source[key];
    if (typeof tagValue !== 'string') {
      throw new ReadPreferenceError(
        `tag values must be strings: tag set ${index} has ${key}: ${describeValue(tagValue)}`,
      );
    }
    (copy ??= {})[key] = tagValue;
  }
  return copy ? Object.freeze(copy) : EMPTY_TAG_SET;
}

function toTags(value: unknown): readonly TagSet[] {
  if (value === undefined || value === null) return NO_TAGS;
  if (!Array.isArray(value)) {
    throw new ReadPreferenceError(
      `tags must be an array of tag sets, e.g. [{ dc: 'east' }, {}]; got ${describeValue(value)}`,
    );
  }
  const sets: TagSet[] = [];
  for (let i = 0; i < value.length; i++) {
    const set = toTagSet(value[i], i);
    sets.push(set);
    // An empty set matches every server, so sets after it can never be reached.
    if (set === EMPTY_TAG_SET) break;
  }
  if (sets.length === 0 || sets[0] === EMPTY_TAG_SET) return NO_TAGS;
  return Object.freeze(sets);
}

function toMaxStaleness(value: unknown): number | null {
  if (value === undefined || value === null || value === -1) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ReadPreferenceError(
      `maxStalenessSeconds must be a positive whole number of seconds (at least 90 for a replica set), ` +
        `or -1/null for no maximum; got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Normalises and validates a read preference. Absent means 'primary'. Throws
 * {@link ReadPreferenceError} for an unknown mode, tags or maxStalenessSeconds with mode
 * 'primary', malformed tag sets, or a maxStalenessSeconds that is not a positive integer (or -1).
 * The checks that depend on the deployment (maxStalenessSeconds at least 90 and at least
 * heartbeatFrequencyMS + 10 s for a replica set) happen at selection.
 */
export function toReadPreference(input?: ReadPreferenceLike | null): ReadPreference {
  if (input === undefined || input === null) return primaryReadPreference;
  if (typeof input === 'string') return presetOf(input) ?? (presetOf(toMode(input)) as ReadPreference);
  if (typeof input !== 'object') {
    throw new ReadPreferenceError(
      `a read preference must be a mode string or an object with a mode; got ${describeValue(input)}`,
    );
  }
  if (input instanceof ValidReadPreference) return input;

  const source = input as {
    mode?: unknown;
    tags?: unknown;
    tagSets?: unknown;
    maxStalenessSeconds?: unknown;
  };
  const mode = toMode(source.mode);
  if (source.tags !== undefined && source.tagSets !== undefined && source.tags !== source.tagSets) {
    throw new ReadPreferenceError('give tags or tagSets, not both');
  }
  const tags = toTags(source.tags ?? source.tagSets);
  const maxStalenessSeconds = toMaxStaleness(source.maxStalenessSeconds);
  if (mode === 'primary') {
    if (tags.length > 0) {
      throw new ReadPreferenceError(
        `tag sets cannot be used with read preference mode 'primary' (got ${formatTagSets(tags)}); ` +
          `use 'primaryPreferred' or 'nearest' to read from tagged members`,
      );
    }
    if (maxStalenessSeconds !== null) {
      throw new ReadPreferenceError(
        `maxStalenessSeconds cannot be used with read preference mode 'primary' (got ${maxStalenessSeconds})`,
      );
    }
  }
  if (tags.length === 0 && maxStalenessSeconds === null) return presetOf(mode) as ReadPreference;
  return new ValidReadPreference(mode, tags, maxStalenessSeconds);
}

/** `{dc:'east', rack:'1'}` */
export function formatTagSet(set: TagSet): string {
  const parts: string[] = [];
  for (const key of Object.keys(set)) parts.push(`${key}:'${set[key] ?? ''}'`);
  return `{${parts.join(', ')}}`;
}

/** `[{dc:'east'}, {}]` */
export function formatTagSets(sets: readonly TagSet[]): string {
  return `[${sets.map(formatTagSet).join(', ')}]`;
}

/** Plain words for messages: `secondary with tags [{dc:'east'}] and maxStalenessSeconds=120`. */
export function formatReadPreference(readPreference: ReadPreference): string {
  const extras: string[] = [];
  if (readPreference.tags.length > 0) extras.push(`tags ${formatTagSets(readPreference.tags)}`);
  if (readPreference.maxStalenessSeconds !== null) {
    extras.push(`maxStalenessSeconds=${readPreference.maxStalenessSeconds}`);
  }
  return extras.length === 0 ? readPreference.mode : `${readPreference.mode} with ${extras.join(' and ')}`;
}
