/**
 * Runs the real `waspnest` command (src/cli/main.ts through tsx) in a child process and gives the
 * test its output line by line, so tests synchronise on what the command prints.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const mainScript = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliRun {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the first stdout line (already read or still to come) that satisfies `match`. */
  waitForLine(match: (line: string) => boolean): Promise<string>;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Resolves when the process exits, with its code (or 128 + signal number) and full output. */
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
}

export interface RunCliOptions {
  readonly env?: Record<string, string>;
  /** Modules to preload after tsx (e.g. the failing-DNS stub). */
  readonly preload?: readonly string[];
}

export function runCli(args: readonly string[], options: RunCliOptions = {}): CliRun {
  const preload = (options.preload ?? []).flatMap((module) => ['--import', module]);
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload, mainScript, ...args], {
    cwd: projectRoot,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stdout = '';
  let stderr = '';
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const reader = createInterface({ input: child.stdout });
  reader.on('line', (line) => {
    stdout += line + '\n';
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    child.on('close', (code, signal) => {
      for (const waiter of waiters.splice(0)) {
        // A line that never came: fail the waiting test with what the command said instead.
        waiter.resolve(`<<process exited (code ${code}) before the expected line; stderr: ${stderr}>>`);
      }
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    lines,
    exited,
    waitForLine(match) {
      const found = lines.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

/** Parses an NDJSON line, or returns null for anything else. */
export function parseJsonLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Every line of a command's NDJSON output, parsed (null for a line that is not an object). */
export function parseJsonLines(output: string): (Record<string, unknown> | null)[] {
  return output.trim().split('\n').map(parseJsonLine);
}
