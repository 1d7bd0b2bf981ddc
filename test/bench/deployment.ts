/**
 * The simulated deployments the benchmarks run against, behind the few operations they need, so
 * that every benchmark uses the simulator the same way: start a set, step its primary down, hear
 * its elections, count the hellos each member receives (handshakes apart from monitoring), close.
 */
import type { CommandEvent, ConnectionEvent, ElectionEvent } from '../../src/testing/simulated-deployment.js';
import { SimulatedReplicaSet } from '../../src/testing/simulated-replica-set.js';

export interface ReplicaSetSpec {
  readonly members: number;
  /** Tag half of the secondaries `{ dc: 'east' }` and the rest `{ dc: 'west' }`. */
  readonly tagged?: boolean;
  /** How long an election takes after the primary steps down (the simulator's default when absent). */
  readonly electionDelayMS?: number;
}

/** Hellos one member received, split into the first hello of each connection and the rest. */
export interface HelloCount {
  readonly handshakes: number;
  readonly monitoring: number;
}

export interface BenchReplicaSet {
  readonly uri: string;
  readonly members: readonly string[];
  readonly primary: string | undefined;
  /** The primary steps down; resolves with the newly elected primary. */
  stepDown(): Promise<string>;
  onElection(listener: (address: string) => void): void;
  offElection(listener: (address: string) => void): void;
  /** Starts counting hellos per member from now (handshakes and monitoring apart). */
  countHellos(): HelloCounter;
  close(): Promise<void>;
}

export interface HelloCounter {
  /** Counts so far, per member address. */
  counts(): ReadonlyMap<string, HelloCount>;
  stop(): void;
}

const helloNames = new Set(['hello', 'ismaster', 'isMaster']);

export async function startReplicaSet(spec: ReplicaSetSpec): Promise<BenchReplicaSet> {
  const tags = spec.tagged === true ? memberTags(spec.members) : undefined;
  const rs = await SimulatedReplicaSet.start({
    members: spec.members,
    setName: 'rs0',
    ...(tags === undefined ? {} : { tags }),
    ...(spec.electionDelayMS === undefined ? {} : { electionDelayMS: spec.electionDelayMS }),
  });
  const electionListeners = new Map<(address: string) => void, (event: ElectionEvent) => void>();
  return {
    uri: rs.uri,
    get members() {
      return rs.members;
    },
    get primary() {
      return rs.primary;
    },
    stepDown: () => rs.stepDown(),
    onElection(listener) {
      const wrapped = (event: ElectionEvent): void => listener(event.address);
      electionListeners.set(listener, wrapped);
      rs.on('primaryElected', wrapped);
    },
    offElection(listener) {
      const wrapped = electionListeners.get(listener);
      if (wrapped === undefined) return;
      electionListeners.delete(listener);
      rs.off('primaryElected', wrapped);
    },
    countHellos() {
      const counts = new Map<string, { handshakes: number; monitoring: number }>();
      // Connections opened since counting began whose first hello (the handshake) is still to come.
      const fresh = new Set<string>();
      for (const member of rs.members) counts.set(member, { handshakes: 0, monitoring: 0 });
      const listener = (event: CommandEvent): void => {
        if (!helloNames.has(event.commandName)) return;
        let count = counts.get(event.address);
        if (count === undefined) {
          count = { handshakes: 0, monitoring: 0 };
          counts.set(event.address, count);
        }
        // The first hello on a new connection is its handshake; the rest are monitoring checks.
        if (fresh.delete(`${event.address}/${event.connectionId}`)) count.handshakes++;
        else count.monitoring++;
      };
      const opened = (event: ConnectionEvent): void => {
        fresh.add(`${event.address}/${event.connectionId}`);
      };
      rs.on('connectionOpened', opened);
      rs.on('command', listener);
      return {
        counts: () => counts,
        stop: () => {
          rs.off('command', listener);
          rs.off('connectionOpened', opened);
        },
      };
    },
    close: () => rs.close(),
  };
}

function memberTags(members: number): Record<string, string>[] {
  return Array.from({ length: members }, (_, i) => ({
    dc: i % 2 === 1 ? 'east' : 'west',
    member: String(i),
  }));
}
