/**
 * The matrix: every (test, topology) pair the runOnRequirements admit, run on one reused
 * deployment per topology (the topologies' lanes run side by side, each lane's pairs one by one).
 */
import { DeploymentLane } from './deployment-lane.js';
import { schemaVersionProblem, type UnifiedFile, type UnifiedTest } from './format.js';
import { decidePair, serverParameterNames, type MatrixTopology, type ServerFacts } from './requirements.js';
import { runPair } from './run-pair.js';
import type { LoadedFile } from './unified-files.js';

export type PairStatus = 'passed' | 'failed' | 'skipped';

export interface PairResult {
  readonly file: string;
  readonly area: string;
  readonly test: string;
  /** 'n/a' for a file that could not be read at all. */
  readonly topology: MatrixTopology | 'n/a';
  readonly status: PairStatus;
  readonly reason?: string;
  readonly ms?: number;
}

export interface MatrixOptions {
  readonly topologies: readonly MatrixTopology[];
  /** Keep files whose path contains this. */
  readonly pathFilter?: string;
  /** Keep tests whose description contains this. */
  readonly testFilter?: string;
  /** Per-pair time limit. */
  readonly timeoutMS: number;
  /** Deployments per topology, each running pairs one at a time (default 1). */
  readonly lanesPerTopology?: number;
  /** Called after each pair (progress). */
  readonly onResult?: (result: PairResult) => void;
}

export interface MatrixRun {
  readonly results: PairResult[];
  readonly facts: ReadonlyMap<MatrixTopology, ServerFacts>;
  readonly deploymentRestarts: number;
}

interface PlannedPair {
  readonly file: LoadedFile & { content: UnifiedFile };
  readonly test: UnifiedTest;
}

export function selectFiles(
  files: readonly LoadedFile[],
  options: Pick<MatrixOptions, 'pathFilter'>,
): LoadedFile[] {
  return files.filter((f) => !options.pathFilter || f.path.includes(options.pathFilter));
}

export async function runMatrix(files: readonly LoadedFile[], options: MatrixOptions): Promise<MatrixRun> {
  const selected = selectFiles(files, options);
  const results: PairResult[] = [];
  const report = (result: PairResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  for (const f of selected) {
    if (!f.content)
      report({
        file: f.path,
        area: f.area,
        test: '(file)',
        topology: 'n/a',
        status: 'failed',
        reason: f.problem ?? 'unreadable',
      });
  }
  const readable = selected.filter((f): f is LoadedFile & { content: UnifiedFile } => f.content !== null);
  const parameterNames = serverParameterNames(
    readable.flatMap((f) => [
      f.content.runOnRequirements,
      ...f.content.tests.map((t) => t.runOnRequirements),
    ]),
  );
  const perTopology = Math.max(1, options.lanesPerTopology ?? 1);
  const lanes = await Promise.all(
    options.topologies.flatMap((t) =>
      Array.from({ length: perTopology }, () => DeploymentLane.start(t, parameterNames)),
    ),
  );
  try {
    await Promise.all(
      options.topologies.map(async (topology) => {
        const mine = lanes.filter((lane) => lane.topology === topology);
        const pairs = planPairs(readable, mine[0]!.facts, options, report);
        // The lanes of a topology take the next pair from one queue.
        await Promise.all(
          mine.map(async (lane) => {
            for (let next = pairs.shift(); next; next = pairs.shift()) {
              const { file, test } = next;
              const run = await runPair(file.content, test, lane, options.timeoutMS);
              report({
                file: file.path,
                area: file.area,
                test: String(test.description),
                topology,
                status: run.passed ? 'passed' : 'failed',
                ms: run.ms,
                ...(run.reason !== undefined ? { reason: run.reason } : {}),
              });
            }
          }),
        );
      }),
    );
  } finally {
    await Promise.all(lanes.map((lane) => lane.close().catch(() => undefined)));
  }
  const order = (r: PairResult) => `${r.file}\u0000${r.test}\u0000${r.topology}`;
  results.sort((a, b) => order(a).localeCompare(order(b)));
  return {
    results,
    facts: new Map(lanes.map((lane) => [lane.topology, lane.facts])),
    deploymentRestarts: lanes.reduce((n, lane) => n + lane.restarts, 0),
  };
}

/** The pairs of one topology to run; skipped and unrunnable pairs are reported at once. */
function planPairs(
  files: readonly (LoadedFile & { content: UnifiedFile })[],
  facts: ServerFacts,
  options: MatrixOptions,
  report: (result: PairResult) => void,
): PlannedPair[] {
  const pairs: PlannedPair[] = [];
  for (const file of files) {
    for (const test of file.content.tests) {
      if (options.testFilter && !String(test.description).includes(options.testFilter)) continue;
      const base = {
        file: file.path,
        area: file.area,
        test: String(test.description),
        topology: facts.topology,
      };
      const decision = decidePair(file.content.runOnRequirements, test.runOnRequirements, facts);
      if (decision.kind === 'absent') continue;
      if (decision.kind === 'skip') {
        report({ ...base, status: 'skipped', reason: decision.reason });
      } else if (decision.kind === 'fail') {
        report({ ...base, status: 'failed', reason: decision.reason });
      } else if (test.skipReason !== undefined) {
        report({ ...base, status: 'skipped', reason: `skipReason in the file: ${test.skipReason}` });
      } else {
        const schemaProblem = schemaVersionProblem(file.content.schemaVersion);
        if (schemaProblem) report({ ...base, status: 'failed', reason: `runner: ${schemaProblem}` });
        else pairs.push({ file, test });
      }
    }
  }
  return pairs;
}
