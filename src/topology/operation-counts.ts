/**
 * Operations the embedder reported in flight, per server: selection prefers the less busy of two
 * suitable servers (pickServer). Only servers with operations in flight are kept.
 */
import type { Address } from '../description/types.js';

export class OperationCounts {
  readonly #counts = new Map<Address, number>();

  /** How many operations are in flight on `address` (a function, to pass to pickServer as is). */
  readonly count = (address: Address): number => this.#counts.get(address) ?? 0;

  started(address: Address): void {
    this.#counts.set(address, this.count(address) + 1);
  }

  finished(address: Address): void {
    const count = this.count(address) - 1;
    if (count > 0) this.#counts.set(address, count);
    else this.#counts.delete(address);
  }
}
