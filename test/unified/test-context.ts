/**
 * What operations of one running test share: the entity map, the deployment, the fail points to
 * turn off afterwards, the test's deadline, and the way to run a nested operation (withTransaction
 * callbacks, runOnThread).
 */
import type { Document } from 'bson';
import type { DeploymentLane } from './deployment-lane.js';
import type { EntityFactoryContext } from './entity-factory.js';
import type { Entity, EntityKind, EntityMap, EntityOf } from './entity-map.js';
import type { Operation } from './format.js';
import type { OperationArguments } from './operation-arguments.js';

export interface TestContext extends EntityFactoryContext {
  readonly entities: EntityMap;
  readonly lane: DeploymentLane;
  /** Names of the fail points the test configured (turned off on every server afterwards). */
  readonly failPoints: Set<string>;
  /** Date.now() after which waits give up. */
  readonly deadline: number;
  /** Set when the test ran out of time: no further operation may start (it would outlive the reset). */
  readonly abandoned: { value: boolean };
  /**
   * Runs one operation with its assertions. `propagate`: inside a withTransaction callback the
   * operation's error is rethrown after its assertions held, so that withTransaction sees it.
   */
  execute(operation: Operation, propagate: boolean): Promise<void>;
}

/** What an entity operation produced. */
export interface OperationOutcome {
  readonly value?: unknown;
  /** The value is a list of root-level documents (find, aggregate, ...): extra keys allowed in each. */
  readonly rootList?: boolean;
  /** An entity to store under saveResultAsEntity (cursors, change streams). */
  readonly entity?: Entity;
}

export type OperationHandler<K extends EntityKind> = (
  target: EntityOf<K>,
  args: OperationArguments,
  ctx: TestContext,
) => Promise<OperationOutcome>;

export type OperationTable<K extends EntityKind> = Readonly<Record<string, OperationHandler<K>>>;

/** A list of documents the driver returned, to be matched as root-level documents. */
export function documents(value: readonly Document[]): OperationOutcome {
  return { value, rootList: true };
}
