/**
 * The simulator's side of each failover: which member it elected, when, and why. The demo
 * measures detection as the time from this moment to our topology's primaryChanged.
 */
import type { Address } from '../description/types.js';

export interface Election {
  readonly address: Address;
  /** When the simulator made `address` primary (the demo's clock, ms). */
  readonly at: number;
  /** The fault that led to it: 'stepDown', 'kill', 'partition', or 'initial'. */
  readonly cause: string;
}

export class ElectionLog {
  readonly elections: Election[] = [];

  record(election: Election): void {
    this.elections.push(election);
  }

  /**
   * The election that made `address` primary for an announcement seen at `seenAt`: the latest
   * one at or before `seenAt`. Falls back to the first one after it, for an election moment
   * learnt a little late (it then counts as detected at once).
   */
  electionOf(address: Address, seenAt: number): Election | undefined {
    let before: Election | undefined;
    let after: Election | undefined;
    for (const e of this.elections) {
      if (e.address !== address) continue;
      if (e.at <= seenAt) before = e;
      else if (after === undefined) after = e;
    }
    return before ?? after;
  }

  /**
   * Elections after the initial one that our topology never announced: no announcement of
   * that address at or after the election (announcements are `{ address, at }`).
   */
  missed(announced: readonly { readonly address: Address; readonly at: number }[]): Election[] {
    return this.elections.filter(
      (e) => e.cause !== 'initial' && !announced.some((a) => a.address === e.address && a.at >= e.at),
    );
  }
}
