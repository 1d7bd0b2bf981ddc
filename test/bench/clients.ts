/**
 * The two clients every benchmark compares: our Topology and the official driver's MongoClient,
 * opened with the same options against the same deployment, and small helpers to wait until
 * each sees what a measurement needs.
 */
import {
  MongoClient,
  type MongoClientOptions,
  type ReadPreference,
  type ServerHeartbeatStartedEvent,
  type TopologyDescription,
  type TopologyDescriptionChangedEvent,
} from 'mongodb';
import { primaryOf } from '../../src/description/topology-description.js';
import type { TopologyDescription as OurSnapshot } from '../../src/description/types.js';
import type { ServerHeartbeatStartedEvent as OurHeartbeatStartedEvent } from '../../src/events/events.js';
import { Topology, type TopologyOptions } from '../../src/topology/topology.js';

/** What the benchmarks use of the driver's `Server` (an internal class). */
export interface DriverServer {
  readonly description: { readonly address: string };
}

/**
 * The driver's internal `Topology` as far as the benchmarks touch it: `selectServer` is what
 * every driver operation calls first, and the baseline figures were measured on it.
 */
export interface DriverTopology {
  readonly description: TopologyDescription;
  selectServer(
    selector: ReadPreference,
    options: {
      readonly serverSelectionTimeoutMS?: number;
      readonly operationName?: string;
      readonly deprioritizedServers?: DriverDeprioritized;
    },
  ): Promise<DriverServer>;
}

/** The driver's selectors call `has` on this; an empty set is what a fresh operation passes. */
export interface DriverDeprioritized {
  has(server: { readonly address: string }): boolean;
  add(server: { readonly address: string }): void;
}

/** Equivalent to the driver's empty `DeprioritizedServers` (which it does not export). */
export const noDeprioritizedServers: DriverDeprioritized = Object.freeze({
  has: () => false,
  add: () => {
    throw new Error('the benchmarks never deprioritize');
  },
});

/** The driver's internal topology of a connected client. */
export function driverTopology(client: MongoClient): DriverTopology {
  const topology = (client as unknown as { readonly topology?: DriverTopology }).topology;
  if (topology === undefined) throw new Error('the MongoClient is not connected (no topology)');
  return topology;
}

/** The primary's address in a driver description, if it shows one. */
export function driverPrimaryOf(description: TopologyDescription): string | undefined {
  for (const [address, server] of description.servers) if (server.type === 'RSPrimary') return address;
  return undefined;
}

/** Our primary's address in a snapshot, if it shows one. */
export function ourPrimaryOf(snapshot: OurSnapshot): string | undefined {
  return primaryOf(snapshot)?.address;
}

/** Whether every server of a driver description has answered and one of them is the primary. */
export function driverSettled(description: TopologyDescription, members: number): boolean {
  let known = 0;
  for (const server of description.servers.values()) if (server.type !== 'Unknown') known++;
  return known >= members && driverPrimaryOf(description) !== undefined;
}

/** Whether every server of our snapshot has answered and one of them is the primary. */
export function oursSettled(snapshot: OurSnapshot, members: number): boolean {
  let known = 0;
  for (const server of snapshot.servers.values()) if (server.type !== 'Unknown') known++;
  return known >= members && ourPrimaryOf(snapshot) !== undefined;
}

function timeoutError(what: string, timeoutMs: number): Error {
  return new Error(`${what} did not happen within ${timeoutMs} ms`);
}

/** Either client's `topologyDescriptionChanged` event, whose payload type differs by side. */
interface DescriptionChanges<Event> {
  on(event: 'topologyDescriptionChanged', listener: (event: Event) => void): unknown;
  off(event: 'topologyDescriptionChanged', listener: (event: Event) => void): unknown;
}

/**
 * Resolves with a client's view once `predicate` holds for it: the `current` view now, then
 * `viewAfter(event)` after each change. Rejects after `timeoutMs`.
 */
function waitForView<View, Event>(
  client: DescriptionChanges<Event>,
  viewAfter: (event: Event) => View,
  current: View | undefined,
  predicate: (view: View) => boolean,
  timeoutMs: number,
  what: string,
): Promise<View> {
  return new Promise((resolve, reject) => {
    const check = (view: View): void => {
      if (!predicate(view)) return;
      cleanup();
      resolve(view);
    };
    const listener = (event: Event): void => check(viewAfter(event));
    const timer = setTimeout(() => {
      cleanup();
      reject(timeoutError(what, timeoutMs));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('topologyDescriptionChanged', listener);
    };
    client.on('topologyDescriptionChanged', listener);
    if (current !== undefined) check(current);
  });
}

/** Resolves once `predicate(topology.snapshot)` holds (checked now and after every new snapshot). */
export function waitForOurs(
  topology: Topology,
  predicate: (snapshot: OurSnapshot) => boolean,
  timeoutMs: number,
  what = 'the topology condition',
): Promise<OurSnapshot> {
  return waitForView(topology, () => topology.snapshot, topology.snapshot, predicate, timeoutMs, what);
}

/** Resolves once `predicate(description)` holds for the driver (checked now and after every change). */
export function waitForDriver(
  client: MongoClient,
  predicate: (description: TopologyDescription) => boolean,
  timeoutMs: number,
  what = 'the driver condition',
): Promise<TopologyDescription> {
  const current = (client as unknown as { readonly topology?: { readonly description: TopologyDescription } })
    .topology?.description;
  const viewAfter = (event: TopologyDescriptionChangedEvent): TopologyDescription => event.newDescription;
  return waitForView(client, viewAfter, current, predicate, timeoutMs, what);
}

/** Options both sides understand, given once so that both sides get the same. */
export interface SharedOptions {
  readonly heartbeatFrequencyMS?: number;
  readonly serverMonitoringMode?: 'stream' | 'poll' | 'auto';
  readonly serverSelectionTimeoutMS?: number;
  readonly connectTimeoutMS?: number;
  readonly directConnection?: boolean;
}

export function ourOptions(shared: SharedOptions, extra: TopologyOptions = {}): TopologyOptions {
  return { ...shared, ...extra };
}

export function driverOptions(shared: SharedOptions, extra: MongoClientOptions = {}): MongoClientOptions {
  return { ...shared, ...extra };
}

/** Connects `client` and waits until `settled` resolves; closes the client if either fails. */
async function connectSettled<Client extends { connect(): Promise<unknown>; close(): Promise<void> }>(
  client: Client,
  beforeConnect: ((client: Client) => void) | undefined,
  settled: (client: Client) => Promise<unknown>,
): Promise<Client> {
  try {
    beforeConnect?.(client);
    await client.connect();
    await settled(client);
    return client;
  } catch (error) {
    await client.close();
    throw error;
  }
}

/** A connected Topology whose snapshot knows all `members` and the primary. */
export async function openOurs(
  uri: string,
  members: number,
  shared: SharedOptions,
  beforeConnect?: (topology: Topology) => void,
  timeoutMs = 20_000,
): Promise<Topology> {
  return connectSettled(new Topology(uri, ourOptions(shared)), beforeConnect, (topology) =>
    waitForOurs(
      topology,
      (s) => oursSettled(s, members),
      timeoutMs,
      `our topology knowing ${members} members`,
    ),
  );
}

/** A connected MongoClient whose description knows all `members` and the primary. */
export async function openDriver(
  uri: string,
  members: number,
  shared: SharedOptions,
  extra: MongoClientOptions = {},
  beforeConnect?: (client: MongoClient) => void,
  timeoutMs = 20_000,
): Promise<MongoClient> {
  return connectSettled(new MongoClient(uri, driverOptions(shared, extra)), beforeConnect, (client) =>
    waitForDriver(
      client,
      (d) => driverSettled(d, members),
      timeoutMs,
      `the driver knowing ${members} members`,
    ),
  );
}

/** Resolves `done` once a client has started an awaited (streaming) check on every member. */
export interface StreamingWatch {
  readonly done: Promise<void>;
  /** Stops listening. */
  cancel(): void;
}

/** Either client's `serverHeartbeatStarted` event, whose payload type differs by side. */
interface HeartbeatStarts<Event> {
  on(event: 'serverHeartbeatStarted', listener: (event: Event) => void): unknown;
  off(event: 'serverHeartbeatStarted', listener: (event: Event) => void): unknown;
}

function streamingStarted<Event extends { readonly awaited: boolean }>(
  client: HeartbeatStarts<Event>,
  members: number,
  addressOf: (event: Event) => string,
): StreamingWatch {
  const streaming = new Set<string>();
  let unsubscribe: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    const listener = (event: Event): void => {
      if (!event.awaited) return;
      streaming.add(addressOf(event));
      if (streaming.size >= members) {
        unsubscribe();
        resolve();
      }
    };
    client.on('serverHeartbeatStarted', listener);
    unsubscribe = () => client.off('serverHeartbeatStarted', listener);
  });
  return { done, cancel: () => unsubscribe() };
}

/** Watches our Topology stream to all `members` addresses; call it before connecting. */
export function ourStreamingStarted(topology: Topology, members: number): StreamingWatch {
  return streamingStarted(topology, members, (event: OurHeartbeatStartedEvent) => event.address);
}

/** Watches the driver's MongoClient stream to all `members` addresses; call it before connecting. */
export function driverStreamingStarted(client: MongoClient, members: number): StreamingWatch {
  return streamingStarted(client, members, (event: ServerHeartbeatStartedEvent) => event.connectionId);
}
