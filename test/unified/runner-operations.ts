/**
 * The special operations on the `testRunner` object: fail points, session and collection
 * assertions, nested entity creation, threads, waiting for and counting events, topology records.
 */
import type { Document } from 'bson';
import type { ClientEvents } from './client-events.js';
import { RunnerError, type ClientEntity } from './entity-map.js';
import { countMatching } from './event-expectations.js';
import { createEntities } from './entity-factory.js';
import type { Operation } from './format.js';
import { assertMatches } from './matcher.js';
import type { OperationArguments } from './operation-arguments.js';
import type { TestContext } from './test-context.js';

type RunnerOperation = (args: OperationArguments, ctx: TestContext) => Promise<void>;

/** The format's limit for waitForEvent, waitForThread and waitForPrimaryChange. */
const WAIT_LIMIT_MS = 10_000;

/** Waits until `done()` holds, re-checking on each event of `events`; fails at the deadline. */
async function waitUntil(
  events: ClientEvents,
  done: () => boolean,
  ctx: TestContext,
  what: () => string,
  limitMS = WAIT_LIMIT_MS,
): Promise<void> {
  if (done()) return;
  const until = Math.min(ctx.deadline, Date.now() + limitMS);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        unsubscribe();
        reject(new Error(`${what()}: not seen in time`));
      },
      Math.max(0, until - Date.now()),
    );
    const unsubscribe = events.subscribe(() => {
      if (!done()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

/**
 * The driver connects on the first operation. A test that waits for monitoring events before any
 * operation needs the monitoring started: connect then (not awaited; failures surface later).
 * An explicit `connect()` checks a connection out and in; the driver's own implicit connect (its
 * `autoConnect`) skips that with `__skipPingOnConnect`, and so does this one: the pool stays
 * empty, as the back-pressure tests need (their fail point must meet the first handshake).
 */
function startMonitoring(client: ClientEntity): void {
  const driver = client.client as unknown as {
    topology?: unknown;
    s: { options: { __skipPingOnConnect?: boolean } };
  };
  if (driver.topology) return;
  driver.s.options.__skipPingOnConnect = true;
  client.client
    .connect()
    .catch(() => undefined)
    .finally(() => delete driver.s.options.__skipPingOnConnect);
}

function sessionOf(args: OperationArguments, ctx: TestContext) {
  return ctx.entities.getKind(args.required('session'), 'session');
}

/** The mongos/server a session's transaction is pinned to (the driver keeps it internal). */
function pinnedAddress(session: unknown): string | undefined {
  const server = (session as { transaction?: { server?: { description?: { address?: string } } } })
    .transaction?.server;
  return server?.description?.address;
}

const TRANSACTION_STATES: Readonly<Record<string, string>> = {
  NO_TRANSACTION: 'none',
  STARTING_TRANSACTION: 'starting',
  TRANSACTION_IN_PROGRESS: 'in_progress',
  TRANSACTION_COMMITTED: 'committed',
  TRANSACTION_COMMITTED_EMPTY: 'committed',
  TRANSACTION_ABORTED: 'aborted',
};

function lastTwoLsids(client: ClientEntity): [unknown, unknown] {
  const started = client.events.all.filter(
    (e) => e.name === 'commandStartedEvent' && e.event['commandName'] !== 'configureFailPoint',
  );
  if (started.length < 2)
    throw new Error(`fewer than two commands were started on the client (${started.length})`);
  const lsid = (i: number) => (started[i]!.event['command'] as Document)['lsid'];
  return [lsid(started.length - 2), lsid(started.length - 1)];
}

async function collectionNames(ctx: TestContext, databaseName: string): Promise<string[]> {
  const list = await ctx.lane.internal.db(databaseName).listCollections({}, { nameOnly: true }).toArray();
  return list.map((c) => c.name);
}

async function indexNames(ctx: TestContext, databaseName: string, collectionName: string): Promise<string[]> {
  try {
    const indexes = await ctx.lane.internal
      .db(databaseName)
      .collection(collectionName)
      .listIndexes()
      .toArray();
    return indexes.map((i) => String(i['name']));
  } catch (err) {
    if ((err as { code?: number }).code === 26) return []; // NamespaceNotFound: no collection, no index
    throw err;
  }
}

function primaryOf(description: Document | undefined | null): string | null {
  const servers = description?.['servers'] as Map<string, { type: string }> | undefined;
  if (!servers) return null;
  for (const [address, server] of servers) if (server.type === 'RSPrimary') return address;
  return null;
}

export const runnerOperations: Readonly<Record<string, RunnerOperation>> = {
  async failPoint(args, ctx) {
    const { client } = ctx.entities.getKind(args.required('client'), 'client');
    const command = args.requiredDocument('failPoint');
    ctx.failPoints.add(String(command['configureFailPoint']));
    await client.db('admin').command(command, { readPreference: 'primary' });
  },
  async targetedFailPoint(args, ctx) {
    const { session } = sessionOf(args, ctx);
    const command = args.requiredDocument('failPoint');
    const address = pinnedAddress(session);
    if (!address) throw new Error('targetedFailPoint: the session is not pinned to a server');
    ctx.failPoints.add(String(command['configureFailPoint']));
    await ctx.lane.direct(address).db('admin').command(command);
  },
  async assertSessionPinned(args, ctx) {
    if (!sessionOf(args, ctx).session.isPinned) throw new Error('the session is not pinned');
  },
  async assertSessionUnpinned(args, ctx) {
    if (sessionOf(args, ctx).session.isPinned)
      throw new Error(`the session is pinned to ${pinnedAddress(sessionOf(args, ctx).session)}`);
  },
  async assertSessionTransactionState(args, ctx) {
    const { session } = sessionOf(args, ctx);
    // The driver keeps the transaction state machine internal; its state names map to the format's.
    const raw = String((session as unknown as { transaction: { state: string } }).transaction.state);
    const state = TRANSACTION_STATES[raw] ?? raw;
    const expected = args.requiredString('state');
    if (state !== expected) throw new Error(`transaction state is ${state}, expected ${expected}`);
  },
  async assertSessionDirty(args, ctx) {
    if (!sessionOf(args, ctx).session.serverSession?.isDirty) throw new Error('the session is not dirty');
  },
  async assertSessionNotDirty(args, ctx) {
    if (sessionOf(args, ctx).session.serverSession?.isDirty) throw new Error('the session is dirty');
  },
  async assertSameLsidOnLastTwoCommands(args, ctx) {
    const [a, b] = lastTwoLsids(ctx.entities.getKind(args.required('client'), 'client'));
    assertMatches(a, b, { root: false });
  },
  async assertDifferentLsidOnLastTwoCommands(args, ctx) {
    const [a, b] = lastTwoLsids(ctx.entities.getKind(args.required('client'), 'client'));
    let same = true;
    try {
      assertMatches(a, b, { root: false });
    } catch {
      same = false;
    }
    if (same) throw new Error('the last two commands used the same lsid');
  },
  async assertCollectionExists(args, ctx) {
    const name = args.requiredString('collectionName');
    if (!(await collectionNames(ctx, args.requiredString('databaseName'))).includes(name)) {
      throw new Error(`collection ${name} does not exist`);
    }
  },
  async assertCollectionNotExists(args, ctx) {
    const name = args.requiredString('collectionName');
    if ((await collectionNames(ctx, args.requiredString('databaseName'))).includes(name)) {
      throw new Error(`collection ${name} exists`);
    }
  },
  async assertIndexExists(args, ctx) {
    const name = args.requiredString('indexName');
    const names = await indexNames(
      ctx,
      args.requiredString('databaseName'),
      args.requiredString('collectionName'),
    );
    if (!names.includes(name)) throw new Error(`index ${name} does not exist (indexes: ${names.join(', ')})`);
  },
  async assertIndexNotExists(args, ctx) {
    const name = args.requiredString('indexName');
    const names = await indexNames(
      ctx,
      args.requiredString('databaseName'),
      args.requiredString('collectionName'),
    );
    if (names.includes(name)) throw new Error(`index ${name} exists`);
  },
  async createEntities(args, ctx) {
    await createEntities(args.requiredArray('entities'), ctx);
  },
  async assertNumberConnectionsCheckedOut(args, ctx) {
    const { events } = ctx.entities.getKind(args.required('client'), 'client');
    const expected = Number(args.required('connections'));
    if (events.checkedOut !== expected) {
      throw new Error(`${events.checkedOut} connection(s) checked out, expected ${expected}`);
    }
  },
  async runOnThread(args, ctx) {
    const { thread } = ctx.entities.getKind(args.required('thread'), 'thread');
    const operation = args.requiredDocument('operation') as Operation;
    thread.run(() => ctx.execute(operation, false));
  },
  async waitForThread(args, ctx) {
    const { thread } = ctx.entities.getKind(args.required('thread'), 'thread');
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('waitForThread: the thread did not finish within 10 s')),
        WAIT_LIMIT_MS,
      );
    });
    try {
      await Promise.race([thread.join(), limit]);
    } finally {
      clearTimeout(timer);
    }
  },
  async waitForEvent(args, ctx) {
    const client = ctx.entities.getKind(args.required('client'), 'client');
    const event = args.requiredDocument('event');
    const count = Number(args.required('count'));
    startMonitoring(client);
    await waitUntil(
      client.events,
      () => countMatching(client.events, event, ctx.entities) >= count,
      ctx,
      () =>
        `waitForEvent ${Object.keys(event)[0]} x${count} (seen ${countMatching(client.events, event, ctx.entities)})`,
    );
  },
  async assertEventCount(args, ctx) {
    const client = ctx.entities.getKind(args.required('client'), 'client');
    const event = args.requiredDocument('event');
    const count = Number(args.required('count'));
    const seen = countMatching(client.events, event, ctx.entities);
    if (seen !== count) throw new Error(`${Object.keys(event)[0]}: ${seen} event(s), expected ${count}`);
  },
  async wait(args) {
    const ms = Number(args.required('ms'));
    await new Promise((resolve) => setTimeout(resolve, ms));
  },
  async recordTopologyDescription(args, ctx) {
    const client = ctx.entities.getKind(args.required('client'), 'client');
    const description = client.topology.current;
    if (!description) throw new Error('the client has not described its topology yet');
    ctx.entities.add(args.required('id'), { kind: 'topologyDescription', description });
  },
  async assertTopologyType(args, ctx) {
    const { description } = ctx.entities.getKind(args.required('topologyDescription'), 'topologyDescription');
    const expected = args.requiredString('topologyType');
    if (description['type'] !== expected)
      throw new Error(`topology type is ${String(description['type'])}, expected ${expected}`);
  },
  async waitForPrimaryChange(args, ctx) {
    const client = ctx.entities.getKind(args.required('client'), 'client');
    const prior = ctx.entities.getKind(args.required('priorTopologyDescription'), 'topologyDescription');
    const before = primaryOf(prior.description);
    startMonitoring(client);
    const limit = args.has('timeoutMS') ? Number(args.optional('timeoutMS')) : WAIT_LIMIT_MS;
    await waitUntil(
      client.events,
      () => {
        const now = primaryOf(client.topology.current);
        return now !== null && now !== before;
      },
      ctx,
      () => `waitForPrimaryChange (primary still ${String(before)})`,
      limit,
    );
  },
};

/** Runs a testRunner operation; an unknown name is the runner's gap, named as such. */
export async function runRunnerOperation(
  name: string,
  args: OperationArguments,
  ctx: TestContext,
): Promise<void> {
  const operation = runnerOperations[name];
  if (!operation) throw new RunnerError(`testRunner operation ${name} is not implemented by the runner`);
  await operation(args, ctx);
}
