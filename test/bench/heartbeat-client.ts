/**
 * Either side's client as the heartbeat measurements see it. Our Topology and the driver's
 * MongoClient both emit the server monitoring spec's heartbeat events under the same names with
 * the same `awaited` and `failure` fields, so one function can time or count either.
 *
 * Types only: a child process that must load just one side's library can still use it.
 */

/** What a heartbeat event tells on both sides. */
export interface HeartbeatEvent {
  /** True for a streaming (awaitable hello) check. */
  readonly awaited: boolean;
}

export interface HeartbeatFailedEvent {
  readonly failure: Error;
  /** Where the check failed; only our events say it. */
  readonly phase?: string;
}

type StartedOrSucceeded = 'serverHeartbeatStarted' | 'serverHeartbeatSucceeded';

export interface HeartbeatClient {
  on(event: StartedOrSucceeded, listener: (event: HeartbeatEvent) => void): unknown;
  on(event: 'serverHeartbeatFailed', listener: (event: HeartbeatFailedEvent) => void): unknown;
  off(event: StartedOrSucceeded, listener: (event: HeartbeatEvent) => void): unknown;
  connect(): Promise<unknown>;
  close(): Promise<void>;
}
