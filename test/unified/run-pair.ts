/**
 * "Executing a Test" for one (test, topology) pair: initialData, entities, operations, then the
 * event and outcome assertions, all within a time limit; then, whatever happened, sessions ended,
 * cursors and clients closed and the deployment reset for the next pair.
 */
import type { Document } from 'bson';
import type { MongoClient } from 'mongodb';
import { checkOutcome, loadInitialData } from './collection-data.js';
import type { DeploymentLane } from './deployment-lane.js';
import { createEntities } from './entity-factory.js';
import { EntityMap, RunnerError } from './entity-map.js';
import { assertExpectedEvents } from './event-expectations.js';
import { assertExpectedLogMessages } from './client-logs.js';
import { executeOperation } from './execute-operation.js';
import type { UnifiedFile, UnifiedTest } from './format.js';
import { MatchError } from './matcher.js';
import type { TestContext } from './test-context.js';

export interface PairRun {
  readonly passed: boolean;
  /** Why it failed (or a note about repairs, when it passed). */
  readonly reason?: string;
  readonly ms: number;
}

class TimedOut extends Error {}

/** Names an error for the report: runner gaps, failed expectations, or what the server said. */
export function describeFailure(err: unknown): string {
  if (err instanceof TimedOut) return err.message;
  if (err instanceof RunnerError) return `runner: ${err.message}`;
  if (err instanceof MatchError) return err.message;
  const e = err as Error;
  return e?.message ?? String(err);
}

/** Names the step of the test an error came from. */
async function phase<T>(name: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw Object.assign(new Error(`${name}: ${describeFailure(err)}`), { cause: err });
  }
}

function usesFailPoints(test: UnifiedTest): boolean {
  return JSON.stringify(test.operations).includes('"configureFailPoint"');
}

async function closeEntities(entities: EntityMap, clients: readonly MongoClient[]): Promise<void> {
  const quiet = (p: Promise<unknown>) => p.catch(() => undefined);
  for (const [, entity] of entities.values()) {
    if (entity.kind === 'cursor') await quiet(entity.cursor.close());
  }
  for (const [, entity] of entities.values()) {
    if (entity.kind === 'session') await quiet(entity.session.endSession());
  }
  await Promise.all(clients.map((c) => quiet(c.close())));
}

export async function runPair(
  file: UnifiedFile,
  test: UnifiedTest,
  lane: DeploymentLane,
  timeoutMS: number,
): Promise<PairRun> {
  const started = Date.now();
  const entities = new EntityMap();
  const clients: MongoClient[] = [];
  const failPoints = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const abandoned = { value: false };
  let run: Promise<void> = Promise.resolve();
  let failure: string | undefined;
  try {
    const body = async () => {
      if (file.initialData) await phase('initialData', loadInitialData(lane.internal, file.initialData));
      const clusterTime: Document | null = lane.topology === 'sharded' ? await lane.clusterTime() : null;
      const context: TestContext = {
        entities,
        lane,
        failPoints,
        clients,
        clusterTime,
        fastHeartbeat: usesFailPoints(test),
        deadline: started + timeoutMS,
        abandoned,
        execute: (operation, propagate) => executeOperation(operation, context, propagate),
      };
      await phase('createEntities', createEntities(file.createEntities ?? [], context));
      test.operations.forEach((op, i) => {
        if (op === null || typeof op !== 'object') throw new RunnerError(`operation ${i} is not a document`);
      });
      for (const [i, operation] of test.operations.entries()) {
        try {
          await executeOperation(operation, context, false);
        } catch (err) {
          throw Object.assign(new Error(`operation ${i} (${operation.name}): ${describeFailure(err)}`), {
            cause: err,
          });
        }
      }
      for (const [, entity] of entities.values())
        if (entity.kind === 'client') entity.events.recording = false;
      for (const expectation of test.expectEvents ?? []) {
        const client = entities.getKind(expectation.client, 'client');
        assertExpectedEvents(expectation, client.events, entities);
      }
      for (const expectation of test.expectLogMessages ?? []) {
        const client = entities.getKind(expectation['client'], 'client');
        if (!client.logs) {
          throw new RunnerError(
            `expectLogMessages: client ${String(expectation['client'])} does not observe log messages`,
          );
        }
        assertExpectedLogMessages(expectation, client.logs, entities);
      }
      if (test.expectTracingMessages)
        throw new RunnerError('expectTracingMessages: tracing assertions are not implemented by the runner');
      if (test.outcome) await phase('outcome', checkOutcome(lane.internal, test.outcome));
    };
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimedOut(`timed out after ${timeoutMS} ms`)), timeoutMS);
    });
    run = body();
    run.catch(() => undefined); // after a timeout, its late rejection is expected and ignored
    await Promise.race([run, limit]);
  } catch (err) {
    failure = describeFailure(err);
  } finally {
    clearTimeout(timer);
    abandoned.value = true;
    await closeEntities(entities, clients);
    // A timed-out body fails fast once its clients are closed; let it end before the reset so
    // that nothing it still does (a fail point, a write) reaches the next test.
    await Promise.race([
      run.catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
  }
  const repaired = await lane.reset(failPoints);
  const ms = Date.now() - started;
  if (failure !== undefined) return { passed: false, reason: failure, ms };
  return repaired ? { passed: true, reason: `after the test: ${repaired}`, ms } : { passed: true, ms };
}
