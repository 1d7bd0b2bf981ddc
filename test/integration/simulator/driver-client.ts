/** What the official-driver tests share: client options for the simulator, and waiting on driver events. */
import type { MongoClient, MongoClientOptions, ServerDescriptionChangedEvent } from 'mongodb';

/** Quick heartbeats and short timeouts, so that failovers show within a test's time. */
export const driverClientOptions: MongoClientOptions = {
  heartbeatFrequencyMS: 500,
  serverSelectionTimeoutMS: 10_000,
  connectTimeoutMS: 500,
  socketTimeoutMS: 2_000,
};

/** Resolves with the first event `name` of `client` for which `accept` holds. */
export function nextEvent<T>(
  client: MongoClient,
  name: string,
  accept: (event: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const listener = (event: T): void => {
      if (!accept(event)) return;
      client.off(name, listener);
      resolve(event);
    };
    client.on(name, listener);
  });
}

/** Resolves with the client's next description of `address` (of any server when null) as a `type` server. */
export function serverBecomes(
  client: MongoClient,
  type: string,
  address: string | null,
): Promise<ServerDescriptionChangedEvent> {
  return nextEvent<ServerDescriptionChangedEvent>(
    client,
    'serverDescriptionChanged',
    (event) => (address === null || event.address === address) && event.newDescription.type === type,
  );
}
