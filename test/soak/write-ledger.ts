/**
 * What the soak's writers were told, and what the deployment holds at the end. Each write is an
 * upsert that increments a counter in a document of its own, so a write applied twice (a retry
 * that the server did not recognise as a retry) shows as a count of 2, and a lost one as 0.
 */
export type WriteOutcome = 'acknowledged' | 'failed';

export interface LedgerVerdict {
  readonly acknowledged: number;
  readonly failed: number;
  /** Acknowledged writes whose document is missing (lost). */
  readonly lost: readonly string[];
  /** Writes whose document counts more than one application. */
  readonly duplicated: readonly string[];
  /** Documents present that no writer sent. */
  readonly unexpected: readonly string[];
  /** Failed writes that were nevertheless applied once (allowed: the outcome was unknown). */
  readonly failedButApplied: number;
}

export class WriteLedger {
  readonly #outcomes = new Map<string, WriteOutcome>();

  record(id: string, outcome: WriteOutcome): void {
    this.#outcomes.set(id, outcome);
  }

  get size(): number {
    return this.#outcomes.size;
  }

  /** Compares the ledger with the counts found (document id → count). */
  verify(found: ReadonlyMap<string, number>): LedgerVerdict {
    const lost: string[] = [];
    const duplicated: string[] = [];
    const unexpected: string[] = [];
    let acknowledged = 0;
    let failed = 0;
    let failedButApplied = 0;
    for (const [id, outcome] of this.#outcomes) {
      const count = found.get(id) ?? 0;
      if (count > 1) duplicated.push(id);
      if (outcome === 'acknowledged') {
        acknowledged++;
        if (count === 0) lost.push(id);
      } else {
        failed++;
        if (count === 1) failedButApplied++;
      }
    }
    for (const id of found.keys()) if (!this.#outcomes.has(id)) unexpected.push(id);
    return { acknowledged, failed, lost, duplicated, unexpected, failedButApplied };
  }
}
