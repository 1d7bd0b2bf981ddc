/**
 * The invariant behind a waiting `selectServer`: a call that rejects because its time ran out
 * must not have had, in any snapshot swapped in while it waited, a server suitable for what it
 * asked. A SnapshotWitness keeps every snapshot a Topology swaps in (seen through its events and
 * through explicit `sample()` calls), and checks a time-out against them.
 *
 * Snapshot versions grow by exactly one per swap, so the witness knows when it missed one: it
 * then says its evidence is incomplete rather than vouching for a snapshot it never saw.
 */
import type { TopologyDescription } from '../../src/description/types.js';
import type { TopologyEvents } from '../../src/events/events.js';
import type { Topology } from '../../src/topology/topology.js';
import { toReadPreference, type ReadPreferenceLike } from '../../src/selection/read-preference.js';
import { selectServers } from '../../src/selection/select-servers.js';

/** Events after which the snapshot may be a new one. */
const SAMPLED_ON = [
  'topologyDescriptionChanged',
  'serverDescriptionChanged',
  'serverHeartbeatSucceeded',
  'serverHeartbeatFailed',
  'primaryChanged',
  'refreshed',
  'poolCleared',
] as const satisfies readonly (keyof TopologyEvents)[];

export interface SelectionSettings {
  readonly heartbeatFrequencyMS: number;
  readonly localThresholdMS?: number;
  /**
   * Accept versions the witness never saw, standing in the newest earlier one it saw. Sound only
   * when the events it listens to fire for every change that matters: a swap that emits no event
   * changed no field the spec compares, only RTT and times, which decide suitability only under
   * maxStalenessSeconds (so a read preference with it is still checked strictly).
   */
  readonly metricOnlyGaps?: boolean;
}

export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

export class SnapshotWitness {
  readonly #topology: Topology;
  readonly #snapshots = new Map<number, TopologyDescription>();
  readonly #listener = (): void => {
    this.sample();
  };

  constructor(topology: Topology) {
    this.#topology = topology;
    for (const event of SAMPLED_ON) topology.on(event, this.#listener);
    this.sample();
  }

  /** The snapshot now; call it after each step that may swap one in. */
  sample(): number {
    const snapshot = this.#topology.snapshot;
    if (!this.#snapshots.has(snapshot.version)) this.#seen++;
    this.#snapshots.set(snapshot.version, snapshot);
    return snapshot.version;
  }

  #seen = 0;

  /** How many distinct snapshots were seen. */
  get seen(): number {
    return this.#seen;
  }

  /**
   * A call for `readPreference` that started waiting at snapshot version `from` timed out at
   * version `to`. Throws an InvariantViolation naming the snapshot and the server when one of
   * the snapshots in between held a suitable server, or when the witness missed a snapshot.
   */
  assertTimeoutJustified(
    readPreference: ReadPreferenceLike,
    from: number,
    to: number,
    settings: SelectionSettings,
  ): void {
    const rp = toReadPreference(readPreference);
    const gapsAllowed = settings.metricOnlyGaps === true && rp.maxStalenessSeconds === null;
    let standIn: TopologyDescription | undefined;
    for (let earlier = from; earlier >= 0 && standIn === undefined; earlier--)
      standIn = this.#snapshots.get(earlier);
    for (let version = from; version <= to; version++) {
      const seen = this.#snapshots.get(version);
      if (seen !== undefined) standIn = seen;
      const snapshot = seen ?? (gapsAllowed ? standIn : undefined);
      if (snapshot === undefined) {
        throw new InvariantViolation(
          `incomplete evidence: snapshot v${version} (between v${from} and v${to}) was never seen`,
        );
      }
      const result = selectServers(snapshot, rp, {
        operation: 'read',
        heartbeatFrequencyMS: settings.heartbeatFrequencyMS,
        localThresholdMS: settings.localThresholdMS ?? 15,
      });
      const server = result.suitable[0];
      if (server !== undefined) {
        throw new InvariantViolation(
          `a call for ${JSON.stringify(readPreference)} waiting from v${from} timed out at v${to}, ` +
            `but snapshot v${version} held a suitable server: ${server.address} (${server.type})`,
        );
      }
    }
  }

  /** Drops the snapshots older than `version` (no check will ask for them), so a long run stays flat. */
  forgetBefore(version: number): void {
    for (const seen of this.#snapshots.keys()) if (seen < version) this.#snapshots.delete(seen);
  }

  stop(): void {
    for (const event of SAMPLED_ON) this.#topology.off(event, this.#listener);
  }
}
