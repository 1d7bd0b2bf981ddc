/**
 * Operations the embedder reported in flight, per server: selection prefers the less busy of two
 * suitable servers (pickServer). Only servers with operations in flight are kept.
 */
import type { Address } from '../description/types.js';

export class OperationCounts {
  /** Made on the first operation: a topology used only for monitoring never needs it (184 B). */
  #counts: Map<Address, number> | null = null;

  /** How many operations are in flight on `address` (a function, to pass to pickServer as is). */
  readonly count = (address: Address): number => this.#counts?.get(address) ?? 0;

  started(address: Address): void {
    const counts = (this.#counts ??= new Map());
    counts.set(address, (counts.get(address) ?? 0) + 1);
  }

  finished(address: Address): void {
    const counts = this.#counts;
    if (counts === null) return;
    const count = (counts.get(address) ?? 0) - 1;
    if (count > 0) counts.set(address, count);
    else counts.delete(address);
  }
}
