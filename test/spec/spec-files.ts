/**
 * Finds the specification test files and recognises each one's format by its content,
 * never by a list of names, so that any directory of files in these formats can be run.
 */
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EJSON, type Document } from 'bson';

export type SpecFormat = 'sdam' | 'selection' | 'rtt' | 'uri' | 'in-window';

export interface SpecFile {
  /** Path relative to the spec directory, with `/` separators. */
  readonly path: string;
  /** The folder the file sits in, relative to the spec directory: one summary line each. */
  readonly area: string;
  /** The file parsed as canonical extended JSON (numberLong as Long, $oid as ObjectId). */
  readonly content: Document;
  readonly format: SpecFormat | null;
  /** Why the format was not recognised or the file could not be read. */
  readonly problem: string | null;
}

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * `SPEC_TESTS_DIR` when set; else `shared/spec-tests` beside the project (`../shared/spec-tests`),
 * or beside one of its parent folders, so a clone one level deeper still finds the shared copy.
 */
export function specTestsDir(): string {
  return sharedTestsDir('SPEC_TESTS_DIR', 'spec-tests');
}

/**
 * The directory named by the environment variable `envVar` when set; else `shared/<folder>`
 * beside the project or beside one of its parent folders (the first that exists), else the
 * path beside the project (which then does not exist, for the caller to report).
 */
export function sharedTestsDir(envVar: string, folder: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv && fromEnv.length > 0) return resolve(fromEnv);
  const besideProject = resolve(projectRoot, '..', 'shared', folder);
  for (let dir = resolve(projectRoot, '..'); ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', folder);
    if (specDirExists(candidate)) return candidate;
    if (dirname(dir) === dir) return besideProject;
  }
}

/**
 * In CI (`CI` set to anything but "" / "0" / "false"), specification data is required: a missing
 * directory, or one with no runnable case, fails instead of skipping, so that CI cannot be green
 * with zero specification cases run.
 */
export function specDataRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env['CI']?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

export function specDirExists(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory();
}

/** Every `.json` file under `dir`, depth first, in name order. */
export function collectJsonFiles(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) collectJsonFiles(full, out);
    else if (entry.isFile() && entry.name.endsWith('.json')) out.push(full);
  }
}

/** Recognise a file's format from the keys it has. */
export function recogniseFormat(content: Document): SpecFormat | null {
  if (Array.isArray(content['phases'])) return 'sdam';
  if ('topology_description' in content && 'read_preference' in content) return 'selection';
  if ('avg_rtt_ms' in content && 'new_rtt_ms' in content) return 'rtt';
  if ('mocked_topology_state' in content && 'outcome' in content) return 'in-window';
  if (Array.isArray(content['tests']) && (content['tests'] as Document[]).every((t) => 'uri' in t)) {
    return 'uri';
  }
  return null;
}

export function discoverSpecFiles(dir: string): SpecFile[] {
  const paths: string[] = [];
  collectJsonFiles(dir, paths);
  return paths.map((full) => {
    const path = relative(dir, full).split(sep).join('/');
    const area = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
    try {
      const content = EJSON.parse(readFileSync(full, 'utf8'), { relaxed: false }) as Document;
      const format = recogniseFormat(content);
      return { path, area, content, format, problem: format ? null : 'unrecognised file format' };
    } catch (err) {
      return { path, area, content: {}, format: null, problem: `cannot be read: ${(err as Error).message}` };
    }
  });
}
