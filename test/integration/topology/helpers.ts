/** Helpers of the Topology integration tests: waiting on events, never on time. */
import { systemClock, type Clock, type TimerHandle } from '../../../src/time/clock.js';
import type { TopologyDescription } from '../../../src/description/types.js';
import type { TopologyEvents } from '../../../src/events/events.js';
import type { Topology } from '../../../src/topology/topology.js';
import type { SimulatedDeployment } from '../../../src/testing/simulated-deployment.js';

/**
 * How long a helper waits for what it was asked to wait for before failing with a message naming
 * it: shorter than the test's own timeout, so that a wait that can never end says what it was.
 */
export const WAIT_LIMIT_MS = 20_000;

/** Runs `start` (it listens, and returns what stops listening); rejects after {@link WAIT_LIMIT_MS} naming `what`. */
export function limited<T>(what: string, start: (resolve: (value: T) => void) => () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`waited ${WAIT_LIMIT_MS} ms for ${what}; it never came`));
    }, WAIT_LIMIT_MS);
    timer.unref();
    const stop = start((value) => {
      clearTimeout(timer);
      stop();
      resolve(value);
    });
  });
}

/**
 * Resolves with the first snapshot (the current one, or a later one) for which `predicate` holds;
 * fails after {@link WAIT_LIMIT_MS} naming `what` (default: the predicate's source).
 */
export function until(
  topology: Topology,
  predicate: (snapshot: TopologyDescription) => boolean,
  what = `a snapshot where ${predicate.toString()}`,
): Promise<TopologyDescription> {
  const current = topology.snapshot;
  if (predicate(current)) return Promise.resolve(current);
  return limited(what, (resolve) => {
    const listener = (event: TopologyEvents['topologyDescriptionChanged'][0]): void => {
      if (predicate(event.newDescription)) resolve(event.newDescription);
    };
    topology.on('topologyDescriptionChanged', listener);
    return () => topology.off('topologyDescriptionChanged', listener);
  });
}

/**
 * Resolves with the payload of the next `name` event for which `predicate` holds; fails after
 * {@link WAIT_LIMIT_MS} naming the event (and `what`, when given).
 */
export function nextEvent<K extends keyof TopologyEvents>(
  topology: Topology,
  name: K,
  predicate: (payload: TopologyEvents[K][0]) => boolean = () => true,
  what = predicate.length > 0 ? `a '${name}' event where ${predicate.toString()}` : `a '${name}' event`,
): Promise<TopologyEvents[K][0]> {
  return limited(what, (resolve) => {
    const listener = (payload: TopologyEvents[K][0]): void => {
      if (predicate(payload)) resolve(payload);
    };
    topology.on(name, listener as never);
    return () => topology.off(name, listener as never);
  });
}

/** A replica set with a primary and every member known as primary or secondary. */
export const fullyDiscovered =
  (members: readonly string[]) =>
  (snapshot: TopologyDescription): boolean =>
    snapshot.type === 'ReplicaSetWithPrimary' &&
    members.every((address) => {
      const type = snapshot.servers.get(address)?.type;
      return type === 'RSPrimary' || type === 'RSSecondary';
    });

/** hello and legacy isMaster commands a server received. */
export function helloCount(deployment: SimulatedDeployment, address: string): number {
  let count = 0;
  for (const [name, n] of Object.entries(deployment.commandCounts(address))) {
    if (name.toLowerCase() === 'hello' || name.toLowerCase() === 'ismaster') count += n;
  }
  return count;
}

/** The system clock, counting the timers that are pending (set, neither fired nor cancelled). */
export interface CountingClock extends Clock {
  readonly pending: number;
}

export function countingClock(): CountingClock {
  let pending = 0;
  return {
    get pending() {
      return pending;
    },
    now: () => systemClock.now(),
    setTimeout(callback: () => void, ms: number): TimerHandle {
      let done = false;
      pending += 1;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        pending -= 1;
        return true;
      };
      const handle = systemClock.setTimeout(() => {
        if (finish()) callback();
      }, ms);
      return {
        cancel: () => {
          if (finish()) handle.cancel();
        },
      };
    },
  };
}

/** Counts the simulator's open connections, to wait until every one we opened is closed. */
export function connectionTracker(deployment: SimulatedDeployment): {
  readonly open: number;
  allClosed(): Promise<void>;
} {
  let open = 0;
  const waiters: (() => void)[] = [];
  deployment.on('connectionOpened', () => {
    open += 1;
  });
  deployment.on('connectionClosed', () => {
    open -= 1;
    if (open === 0) for (const resolve of waiters.splice(0)) resolve();
  });
  return {
    get open() {
      return open;
    },
    allClosed: () => (open === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
  };
}
