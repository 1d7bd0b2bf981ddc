/**
 * A simulated server's topologyVersion: a processId that changes when the process restarts and a
 * counter that rises with every change a client should hear about. Awaitable hellos wait on it.
 */
import { Long, ObjectId } from 'bson';
import { CommandError, ServerErrorCode } from './server-errors.js';
import type { TimerRegistry } from './timer-registry.js';
import { WaitAbortedError } from './timer-registry.js';
import type { WireRequest } from './wire-server.js';

export class TopologyVersionClock {
  #processId = new ObjectId();
  #counter = 0;
  #waiters = new Set<() => void>();

  get processId(): ObjectId {
    return this.#processId;
  }

  get counter(): number {
    return this.#counter;
  }

  /** The value a hello reply carries. */
  toDocument(): { processId: ObjectId; counter: Long } {
    return { processId: this.#processId, counter: Long.fromNumber(this.#counter) };
  }

  /** A change clients should see: wakes every awaitable hello. */
  bump(): void {
    this.#counter++;
    this.#wake();
  }

  /** A new process: new processId, counter from 0. */
  restart(): void {
    this.#processId = new ObjectId();
    this.#counter = 0;
    this.#wake();
  }

  /** True when a client's topologyVersion equals ours (so an awaitable hello must wait). */
  isCurrent(topologyVersion: unknown): boolean {
    if (topologyVersion === null || typeof topologyVersion !== 'object') return false;
    const { processId, counter } = topologyVersion as { processId?: unknown; counter?: unknown };
    const sameProcess =
      processId instanceof ObjectId
        ? processId.equals(this.#processId)
        : typeof processId === 'string' && processId === this.#processId.toHexString();
    if (!sameProcess) return false;
    const value =
      typeof counter === 'number'
        ? counter
        : Long.isLong(counter)
          ? counter.toNumber()
          : typeof counter === 'bigint'
            ? Number(counter)
            : NaN;
    return value === this.#counter;
  }

  /** Resolves at the next bump/restart or after `maxAwaitMS`; rejects with WaitAbortedError on abort. */
  waitForChange(maxAwaitMS: number, signal: AbortSignal, timers: TimerRegistry): Promise<void> {
    if (signal.aborted || timers.closed) return Promise.reject(new WaitAbortedError('wait aborted'));
    return new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        this.#waiters.delete(wake);
        cancel();
        forget();
        signal.removeEventListener('abort', onAbort);
      };
      const wake = (): void => {
        finish();
        resolve();
      };
      const onAbort = (): void => {
        finish();
        reject(new WaitAbortedError('wait aborted'));
      };
      const cancel = timers.setTimeout(wake, maxAwaitMS);
      // The deployment's close reaches every waiter through one list, not a listener each.
      const forget = timers.onClose(onAbort);
      this.#waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}

/**
 * For an awaitable hello (`topologyVersion` + `maxAwaitTimeMS`): waits while the client's
 * topologyVersion is still current, until it changes or maxAwaitTimeMS passes. Returns at once for
 * an ordinary hello.
 */
export async function awaitTopologyChange(
  clock: TopologyVersionClock,
  request: WireRequest,
  timers: TimerRegistry,
): Promise<void> {
  const maxAwait: unknown = request.command['maxAwaitTimeMS'];
  if (maxAwait === undefined || maxAwait === null) return;
  const ms =
    typeof maxAwait === 'number' ? maxAwait : Long.isLong(maxAwait) ? maxAwait.toNumber() : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new CommandError(ServerErrorCode.BadValue, 'maxAwaitTimeMS must be a non-negative integer');
  }
  const topologyVersion: unknown = request.command['topologyVersion'];
  if (topologyVersion === undefined || topologyVersion === null) {
    throw new CommandError(31368, 'A request with a maxAwaitTimeMS must also have a topologyVersion');
  }
  if (clock.isCurrent(topologyVersion)) await clock.waitForChange(ms, request.signal, timers);
}
