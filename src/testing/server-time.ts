/**
 * Time a command spends on the server without holding the process: work that mongod would do for
 * a while (a `$where` that calls `sleep(ms)`) adds to the running command's budget, and the wire
 * server holds the reply that long on the deployment's timers, so a client sees a slow command
 * (and can time out, or close the connection under it) while the simulator never blocks.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface ServerTimeBudget {
  ms: number;
}

const running = new AsyncLocalStorage<ServerTimeBudget>();

/** Runs a command's handler, resolving with its reply and the server time it spent. */
export async function withServerTime<T>(handler: () => Promise<T>): Promise<{ value: T; spentMS: number }> {
  const budget: ServerTimeBudget = { ms: 0 };
  const value = await running.run(budget, handler);
  return { value, spentMS: budget.ms };
}

/** Adds `ms` to the running command's server time (nothing outside a command). */
export function spendServerTime(ms: number): void {
  const budget = running.getStore();
  if (budget !== undefined && Number.isFinite(ms) && ms > 0) budget.ms += ms;
}
