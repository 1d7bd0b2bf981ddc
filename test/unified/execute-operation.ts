/**
 * "Executing an Operation": resolve the object, run the entity or testRunner operation, then
 * check expectError / expectResult and save the result. A RunnerError (a malformed operation, an
 * undefined entity, an operation the runner lacks) always fails the test, even under
 * ignoreResultAndError; an error of the operation itself is what the assertions look at.
 */
import { clientOperations, databaseOperations } from './database-operations.js';
import { collectionOperations } from './collection-operations.js';
import { cursorOperations } from './cursor-operations.js';
import { RunnerError, type Entity } from './entity-map.js';
import { assertExpectedError } from './expected-error.js';
import type { Operation } from './format.js';
import { assertMatches, MatchError } from './matcher.js';
import { OperationArguments } from './operation-arguments.js';
import { toResultValue } from './result-documents.js';
import { runRunnerOperation } from './runner-operations.js';
import { bucketOperations, sessionOperations } from './session-operations.js';
import type { OperationOutcome, OperationTable, TestContext } from './test-context.js';

const TABLES: { readonly [K in Entity['kind']]?: OperationTable<K> } = {
  client: clientOperations,
  database: databaseOperations,
  collection: collectionOperations,
  session: sessionOperations,
  bucket: bucketOperations,
  cursor: cursorOperations,
};

/** An operation whose own outcome broke the test (not a runner problem). */
export class OperationFailure extends Error {
  override name = 'OperationFailure';
}

function label(operation: Operation): string {
  return `${operation.name} on ${operation.object}`;
}

async function runEntityOperation(operation: Operation, ctx: TestContext): Promise<OperationOutcome> {
  const target = ctx.entities.get(operation.object);
  const table = TABLES[target.kind] as OperationTable<typeof target.kind> | undefined;
  const handler = table && Object.hasOwn(table, operation.name) ? table[operation.name] : undefined;
  if (!handler)
    throw new RunnerError(`operation ${operation.name} on a ${target.kind} is not implemented by the runner`);
  const args = new OperationArguments(operation.arguments, operation.name, ctx.entities);
  return handler(target as never, args, ctx);
}

function checkShape(operation: Operation): void {
  if (typeof operation.name !== 'string' || typeof operation.object !== 'string') {
    throw new RunnerError('an operation needs a name and an object');
  }
  if (
    operation.ignoreResultAndError &&
    (operation.expectError || operation.expectResult !== undefined || operation.saveResultAsEntity)
  ) {
    throw new RunnerError(
      `${label(operation)}: ignoreResultAndError excludes expectError, expectResult and saveResultAsEntity`,
    );
  }
  if (operation.expectError && (operation.expectResult !== undefined || operation.saveResultAsEntity)) {
    throw new RunnerError(`${label(operation)}: expectError excludes expectResult and saveResultAsEntity`);
  }
}

function matchResult(operation: Operation, outcome: OperationOutcome, ctx: TestContext): void {
  const expected = operation.expectResult;
  const actual = toResultValue(outcome.value);
  try {
    if (outcome.rootList && Array.isArray(expected) && Array.isArray(actual)) {
      if (expected.length !== actual.length) {
        throw new MatchError(`expected ${expected.length} document(s), got ${actual.length}`);
      }
      expected.forEach((e, i) => assertMatches(e, actual[i], { entities: ctx.entities, root: true }));
    } else {
      assertMatches(expected, actual, { entities: ctx.entities, root: true });
    }
  } catch (err) {
    if (err instanceof MatchError)
      throw new OperationFailure(`${label(operation)}: result does not match: ${err.message}`);
    throw err;
  }
}

export async function executeOperation(
  operation: Operation,
  ctx: TestContext,
  propagate: boolean,
): Promise<void> {
  checkShape(operation);
  if (operation.object === 'testRunner') {
    await runRunnerOperation(
      operation.name,
      new OperationArguments(operation.arguments, operation.name, ctx.entities),
      ctx,
    );
    return;
  }
  let outcome: OperationOutcome | undefined;
  let error: unknown;
  try {
    outcome = await runEntityOperation(operation, ctx);
  } catch (err) {
    if (err instanceof RunnerError) throw err;
    error = err;
  }
  if (operation.ignoreResultAndError) {
    if (propagate && error) throw error;
    return;
  }
  if (operation.expectError) {
    if (!error) {
      throw new OperationFailure(
        `${label(operation)}: expected an error, got ${JSON.stringify(toResultValue(outcome?.value)) ?? 'a result'}`,
      );
    }
    try {
      assertExpectedError(operation.expectError, error, ctx.entities);
    } catch (err) {
      if (err instanceof MatchError) throw new OperationFailure(`${label(operation)}: ${err.message}`);
      throw err;
    }
    if (propagate) throw error;
    return;
  }
  if (error) {
    const e = error as Error & { code?: unknown };
    throw new OperationFailure(
      `${label(operation)} failed: ${e.name}${e.code !== undefined ? ` ${String(e.code)}` : ''}: ${e.message}`,
      { cause: error },
    );
  }
  if (!outcome) return;
  if (operation.expectResult !== undefined) matchResult(operation, outcome, ctx);
  if (operation.saveResultAsEntity) {
    ctx.entities.add(
      operation.saveResultAsEntity,
      outcome.entity ?? { kind: 'value', value: toResultValue(outcome.value) },
    );
  }
}
