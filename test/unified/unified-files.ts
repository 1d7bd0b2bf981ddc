/**
 * Finds unified-format test files under a directory (any layout, not a fixed list), parses them
 * as canonical extended JSON (so 1.0 stays a double and $numberLong a Long) and names each one's
 * area after the folder it sits in.
 */
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { EJSON, type Document } from 'bson';
import { collectJsonFiles, sharedTestsDir } from '../spec/spec-files.js';
import type { UnifiedFile } from './format.js';

export interface LoadedFile {
  /** Path relative to the data directory, with `/` separators. */
  readonly path: string;
  /** e.g. `crud`, `transactions-convenient-api`, `unified-test-format/valid-pass`. */
  readonly area: string;
  readonly content: UnifiedFile | null;
  /** Why the file could not be read as a unified test file. */
  readonly problem: string | null;
}

/** `UNIFIED_TESTS_DIR` when set, else `shared/unified-tests` beside the checkout or a parent of it. */
export function unifiedTestsDir(): string {
  return sharedTestsDir('UNIFIED_TESTS_DIR', 'unified-tests');
}

/**
 * The area of a file: its first folder, except the format's own tests, which are split into
 * `valid-pass` and `valid-fail` (the runner's self-test reads them with opposite expectations).
 */
export function areaOf(path: string): string {
  const parts = path.split('/');
  const first = parts.length > 1 ? (parts[0] ?? '.') : '.';
  if (first === 'unified-test-format') {
    const kind = parts.find((p) => p === 'valid-pass' || p === 'valid-fail' || p === 'invalid');
    if (kind) return `${first}/${kind}`;
  }
  return first;
}

/** A file is a unified test file when it has `schemaVersion` and a `tests` array. */
function asUnifiedFile(content: Document): UnifiedFile | null {
  if (typeof content['schemaVersion'] !== 'string' || !Array.isArray(content['tests'])) return null;
  return content as UnifiedFile;
}

export function loadUnifiedFiles(dir: string): LoadedFile[] {
  const paths: string[] = [];
  collectJsonFiles(dir, paths);
  return paths.map((full) => {
    const path = relative(dir, full).split(sep).join('/');
    const area = areaOf(path);
    try {
      const parsed = EJSON.parse(readFileSync(full, 'utf8'), { relaxed: false }) as Document;
      const content = asUnifiedFile(parsed);
      return {
        path,
        area,
        content,
        problem: content ? null : 'not a unified test file (no schemaVersion or tests)',
      };
    } catch (err) {
      return { path, area, content: null, problem: `cannot be read: ${(err as Error).message}` };
    }
  });
}
