/**
 * Power of two choices (server selection specification, "operationCount-based selection within
 * the latency window"): pick two distinct servers at random and take the one with fewer
 * operations in flight. This spreads load away from a busy or slow server without the herding
 * that "always the least loaded" causes when many callers decide from the same counts.
 */
import type { Address, ServerDescription } from '../description/types.js';

/**
 * One server from `candidates` (normally the latency window): a single candidate is returned as
 * is; with none, undefined. Ties go to the first of the two random picks, so they are broken
 * uniformly. `random` must return numbers in [0, 1) like Math.random; inject one for determinism.
 */
export function pickServer(
  candidates: readonly ServerDescription[],
  operationCount: (address: Address) => number,
  random: () => number = Math.random,
): ServerDescription | undefined {
  const n = candidates.length;
  if (n === 0) return undefined;
  if (n === 1) return candidates[0];
  const i = Math.max(0, Math.min(n - 1, Math.floor(random() * n)));
  let j = Math.max(0, Math.min(n - 2, Math.floor(random() * (n - 1))));
  if (j >= i) j += 1;
  const first = candidates[i] as ServerDescription;
  const second = candidates[j] as ServerDescription;
  return operationCount(second.address) < operationCount(first.address) ? second : first;
}
