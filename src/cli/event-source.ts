/** What the CLI listens to: our Topology, or a MongoClient through watchMongoClient. */
import type { TopologyEvents } from '../events/events.js';

type TopologyListener<K extends keyof TopologyEvents> = (...args: TopologyEvents[K]) => void;

/** The part of an emitter of the topology events the CLI uses. */
export interface AnyEventSource {
  on<K extends keyof TopologyEvents>(event: K, listener: TopologyListener<K>): unknown;
  off<K extends keyof TopologyEvents>(event: K, listener: TopologyListener<K>): unknown;
}

/** Listens to `event` of `source`; returns the function that stops listening. */
export function listen<K extends keyof TopologyEvents>(
  source: AnyEventSource,
  event: K,
  listener: TopologyListener<K>,
): () => void {
  source.on(event, listener);
  return () => source.off(event, listener);
}
