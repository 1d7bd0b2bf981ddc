/**
 * The logical clock of a simulated replica set or sharded cluster: operation timestamps and the
 * `$clusterTime` every reply gossips (drivers need it for sessions and retryable writes).
 */
import { Binary, Long, Timestamp, type Document } from 'bson';

export class ClusterClock {
  /** @param now the deployment's time, ms since the epoch. */
  constructor(private readonly now: () => number) {}

  #seconds = 0;
  #increment = 0;

  /** A new timestamp, strictly greater than every earlier one. */
  tick(): Timestamp {
    const now = Math.floor(this.now() / 1000);
    if (now > this.#seconds) {
      this.#seconds = now;
      this.#increment = 1;
    } else {
      this.#increment++;
    }
    return new Timestamp({ t: this.#seconds, i: this.#increment });
  }

  /** The latest timestamp handed out (ticks once if none was). */
  current(): Timestamp {
    if (this.#seconds === 0) return this.tick();
    return new Timestamp({ t: this.#seconds, i: this.#increment });
  }

  /** The `$clusterTime` document: unsigned (no auth), as a keyless mongod gives it. */
  clusterTimeDocument(): Document {
    return {
      clusterTime: this.current(),
      signature: { hash: new Binary(Buffer.alloc(20), 0), keyId: Long.fromNumber(0) },
    };
  }
}
