/**
 * What every simulated deployment (replica set, sharded cluster, standalone) shares: its servers
 * on loopback, the network controls (kill, restart, partition, heal, latency, faults), command
 * counters, typed events a test can await, and a close() that leaves no socket or timer behind.
 */
import { EventEmitter } from 'node:events';
import type { Address } from '../description/types.js';
import { SimulatorOptionsError, WaspnestError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { ruleFromOptions, type FailCommandOptions } from './fail-command.js';
import { ActiveFailPoint, type FailCommandHandle, type FailPointEvent } from './fail-points.js';
import type { FaultEvent, FaultHandle, FaultSpec } from './faults.js';
import { TimerRegistry } from './timer-registry.js';
import { TlsTerminator, type SimulatedTlsOptions } from './tls-terminator.js';
import { WireServer, type WireRequestHandler, type WireServerEvent } from './wire-server.js';

/** A command arrived at a server. */
export interface CommandEvent {
  readonly address: Address;
  readonly connectionId: number;
  readonly commandName: string;
  /** The OP_MSG had exhaustAllowed set (the client accepts a stream of replies). */
  readonly exhaustAllowed: boolean;
  /** An awaitable hello (it carried maxAwaitTimeMS): the streaming protocol, with exhaustAllowed. */
  readonly awaitable: boolean;
}

export interface ConnectionEvent {
  readonly address: Address;
  readonly connectionId: number;
}

export interface ServerEvent {
  readonly address: Address;
}

/** A replica-set member became primary. */
export interface ElectionEvent {
  readonly address: Address;
  readonly term: number;
  /** The new electionId as 24 hex digits. */
  readonly electionId: string;
}

/** A replica set lost its primary. */
export interface PrimaryLostEvent {
  readonly address: Address;
  readonly reason: 'stepDown' | 'killed' | 'partitioned' | 'restarted' | 'elect';
}

export interface ReconfigEvent {
  readonly setVersion: number;
  readonly members: readonly Address[];
}

/** A server's topologyVersion changed (every awaitable hello on it was woken). */
export interface TopologyVersionEvent {
  readonly address: Address;
  readonly processId: string;
  readonly counter: number;
}

/** A secondary applied replicated writes. */
export interface ReplicationEvent {
  readonly address: Address;
  /** How many oplog entries the member has applied in all. */
  readonly applied: number;
  readonly lastWriteDate: Date;
}

/** Every event a simulated deployment emits, with its payload. */
export interface SimulatorEventMap {
  command: [CommandEvent];
  connectionOpened: [ConnectionEvent];
  connectionClosed: [ConnectionEvent];
  fault: [FaultEvent];
  /** A fail point acted on a command (emitted before it blocks, closes or fails it). */
  failPoint: [FailPointEvent];
  serverKilled: [ServerEvent];
  serverRestarted: [ServerEvent];
  serverPartitioned: [ServerEvent];
  serverHealed: [ServerEvent];
  memberAdded: [ServerEvent];
  memberRemoved: [ServerEvent];
  primaryElected: [ElectionEvent];
  primaryLost: [PrimaryLostEvent];
  reconfigured: [ReconfigEvent];
  topologyVersionChanged: [TopologyVersionEvent];
  replicated: [ReplicationEvent];
  closed: [];
}

export type SimulatorEventName = keyof SimulatorEventMap;

/** The payload `waitFor` resolves with (undefined for events without one). */
export type SimulatorEventPayload<K extends SimulatorEventName> = SimulatorEventMap[K] extends [infer P]
  ? P
  : undefined;

export interface WaitForOptions {
  /** Reject after this many ms; default: wait until the event or close(). */
  readonly timeoutMS?: number;
}

/** Thrown by controls used after close(), and by waits that close() ended. */
export class SimulatorClosedError extends WaspnestError {
  override name = 'SimulatorClosedError';
}

/** A wait with `timeoutMS` (waitFor, waitForPrimary, stepDown) that ran out. */
export class SimulatorTimeoutError extends WaspnestError {
  override name = 'SimulatorTimeoutError';
}

/**
 * A deployment's clock must read a date: cluster time counts whole seconds since the epoch, and a
 * timestamp of second 0 is the null timestamp to mongod.
 */
function checkClock(clock: Clock): Clock {
  const now = clock.now();
  if (!(Number.isFinite(now) && now >= 1000)) {
    throw new SimulatorOptionsError(
      `clock.now() must be wall-clock ms since the epoch (at least 1000), got ${now}; ` +
        'start a VirtualClock at a date, e.g. new VirtualClock(Date.UTC(2026, 0, 1))',
    );
  }
  return clock;
}

/** Base class of the simulated deployments. */
export abstract class SimulatedDeployment extends EventEmitter<SimulatorEventMap> {
  protected readonly timers: TimerRegistry;
  protected readonly servers = new Map<Address, WireServer>();
  #closing: Promise<void> | null = null;
  /** Fail points set with failCommand(), turned off by close(). */
  #failPoints = new Set<ActiveFailPoint>();
  #kind: string;
  #tls: TlsTerminator | null;

  /** Throws for unusable TLS options or clock, before any server listens. */
  protected constructor(kind: string, tls?: SimulatedTlsOptions, clock?: Clock) {
    super();
    this.#kind = kind;
    this.timers = new TimerRegistry(clock === undefined ? undefined : checkClock(clock));
    this.#tls = tls === undefined ? null : new TlsTerminator(tls);
    // Unhandled 'error' events would crash the test process; the simulator never emits one.
    this.setMaxListeners(0);
  }

  /** A connection string reaching every server of the deployment. */
  abstract get uri(): string;

  /** The servers speak TLS only (the deployment was started with the `tls` option); `uri` then says `tls=true`. */
  get usesTls(): boolean {
    return this.#tls !== null;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Crash a server: its connections close and new ones are refused until restart(). Open
   * connections are closed as the kernel closes a dead process's sockets (FIN); pass
   * `{ reset: true }` to reset them (RST) instead.
   */
  async kill(address: Address, options: { reset?: boolean } = {}): Promise<void> {
    const server = this.server(address);
    if (!server.up) return;
    this.beforeKill(address);
    await server.kill(options);
    this.afterKill(address);
    this.notify('serverKilled', { address });
  }

  /** Start a killed server again on the same port, as a new process. */
  async restart(address: Address): Promise<void> {
    const server = this.server(address);
    if (server.up) return;
    await server.start();
    this.afterRestart(address);
    this.notify('serverRestarted', { address });
  }

  /** Dead but connected: the server accepts connections and reads requests but never answers. */
  partition(address: Address): void {
    const server = this.server(address);
    if (server.partitioned) return;
    server.partitioned = true;
    this.afterPartition(address);
    this.notify('serverPartitioned', { address });
  }

  /** Ends a partition; requests received while partitioned stay unanswered. */
  heal(address: Address): void {
    const server = this.server(address);
    if (!server.partitioned) return;
    server.partitioned = false;
    this.afterHeal(address);
    this.notify('serverHealed', { address });
  }

  /** Delay before each command runs on this server (and before each streamed hello reply). */
  setLatency(address: Address, ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0))
      throw new SimulatorOptionsError(`latency must be a number of ms >= 0, got ${ms}`);
    this.server(address).latencyMS = ms;
  }

  /** Injects a fault on one server; see FaultSpec. */
  fault(address: Address, spec: FaultSpec): FaultHandle {
    return this.server(address).addFault(spec);
  }

  /**
   * Sets a `failCommand` fail point, as `configureFailPoint` does on mongod: matching commands are
   * held (`blockMS`), then their connection is closed, or they fail with `errorCode` without
   * running, or they run and get a `writeConcernError`. On `address` only, or on every server of
   * the deployment (one shared `times` count) when absent. The returned handle turns it off.
   * @throws SimulatorOptionsError naming the first bad option.
   */
  failCommand(options: FailCommandOptions, address?: Address): FailCommandHandle {
    const servers = address === undefined ? [...this.servers.values()] : [this.server(address)];
    this.assertOpen();
    const { rule, mode } = ruleFromOptions(options);
    const failPoint = new ActiveFailPoint(address ?? null, rule, mode);
    for (const server of servers) server.failPoints.add(failPoint);
    this.#failPoints.add(failPoint);
    return failPoint;
  }

  /** Removes every fault of one server, or of all servers. */
  async clearFaults(address?: Address): Promise<void> {
    const servers = address === undefined ? [...this.servers.values()] : [this.server(address)];
    await Promise.all(servers.map((server) => server.clearFaults()));
  }

  /**
   * Commands received by a server since start or the last reset: those named `name` (compared
   * case-insensitively, so 'isMaster' also counts 'ismaster'; 'hello' does not count the legacy
   * isMaster), or all when absent. Streamed hello replies are not commands: one awaitable hello
   * counts once however many replies it streams.
   */
  commandCount(address: Address, name?: string): number {
    return this.server(address).commandCount(name);
  }

  /** Counts per command name (as sent) of one server. */
  commandCounts(address: Address): Record<string, number> {
    return this.server(address).commandCounts();
  }

  /** Zeroes the command counters of one server, or of all. */
  resetCommandCounts(address?: Address): void {
    const servers = address === undefined ? [...this.servers.values()] : [this.server(address)];
    for (const server of servers) server.resetCommandCounts();
  }

  /**
   * Resolves with the payload of the next `event` for which `predicate` holds (any, when absent).
   * Rejects with SimulatorClosedError when the deployment closes first, SimulatorTimeoutError when
   * `timeoutMS` passes first.
   */
  waitFor<K extends SimulatorEventName>(
    event: K,
    predicate?: (payload: SimulatorEventPayload<K>) => boolean,
    options: WaitForOptions = {},
  ): Promise<SimulatorEventPayload<K>> {
    if (this.closed) return Promise.reject(new SimulatorClosedError(`the simulated ${this.#kind} is closed`));
    return new Promise((resolve, reject) => {
      const emitter = this as EventEmitter;
      let cancelTimer = (): void => undefined;
      const cleanup = (): void => {
        emitter.off(event, listener);
        emitter.off('closed', onClosed);
        cancelTimer();
      };
      const listener = (...args: unknown[]): void => {
        const payload = args[0] as SimulatorEventPayload<K>;
        let matched: boolean;
        try {
          matched = predicate === undefined || predicate(payload);
        } catch (error) {
          cleanup();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (!matched) return;
        cleanup();
        resolve(payload);
      };
      const onClosed = (): void => {
        cleanup();
        if (event === 'closed') resolve(undefined as SimulatorEventPayload<K>);
        else
          reject(new SimulatorClosedError(`the simulated ${this.#kind} closed while waiting for '${event}'`));
      };
      emitter.on(event, listener);
      if (event !== 'closed') emitter.on('closed', onClosed);
      if (options.timeoutMS !== undefined) {
        cancelTimer = this.timers.setTimeout(() => {
          cleanup();
          reject(new SimulatorTimeoutError(`no '${event}' event within ${options.timeoutMS} ms`));
        }, options.timeoutMS);
      }
    });
  }

  /** Stops every server and timer; resolves when no socket, listener or timer is left. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.beforeClose();
      for (const failPoint of this.#failPoints) failPoint.off();
      this.#failPoints.clear();
      this.timers.close();
      await Promise.all([...this.servers.values()].map((server) => server.close()));
      // A listener's handle finishes closing in the loop's close phase, after its 'close' event:
      // two turns of the loop later no handle of ours is left.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.afterClose();
      this.notify('closed');
      this.removeAllListeners();
    })();
    return this.#closing;
  }

  /**
   * Emits an event after the state it reports has changed. A listener that throws cannot leave the
   * deployment half-updated: its error is rethrown on the next tick, as an uncaught exception.
   */
  protected notify<K extends SimulatorEventName>(event: K, ...args: SimulatorEventMap[K]): void {
    try {
      (this as EventEmitter).emit(event, ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  /** The server at `address`; throws a clear error for an unknown address or a closed deployment. */
  protected server(address: Address): WireServer {
    this.assertOpen();
    const server = this.servers.get(address);
    if (!server) {
      throw new WaspnestError(
        `${address} is not a server of this simulated ${this.#kind}; its servers are ${[...this.servers.keys()].join(', ')}`,
      );
    }
    return server;
  }

  protected assertOpen(): void {
    if (this.closed) throw new SimulatorClosedError(`the simulated ${this.#kind} is closed`);
  }

  /** Creates a server whose events this deployment re-emits (not yet listening). */
  protected createServer(handler: WireRequestHandler, port = 0): WireServer {
    return new WireServer({
      handler,
      timers: this.timers,
      port,
      ...(this.#tls === null ? {} : { tls: this.#tls }),
      onEvent: (event) => this.#forward(event),
    });
  }

  /** The query of a connection string: `options` (name=value pairs), plus `tls=true` with TLS. */
  protected uriQuery(...options: string[]): string {
    const all = this.usesTls ? [...options, 'tls=true'] : options;
    return all.length === 0 ? '' : `?${all.join('&')}`;
  }

  /** Registers a listening server under its address. */
  protected register(server: WireServer): void {
    this.servers.set(server.address, server);
  }

  // Hooks for subclasses (a replica set elects, resyncs, ...).
  protected beforeKill(_address: Address): void {}
  protected afterKill(_address: Address): void {}
  protected afterRestart(_address: Address): void {}
  protected afterPartition(_address: Address): void {}
  protected afterHeal(_address: Address): void {}
  protected beforeClose(): void {}
  protected afterClose(): void {}

  #forward(event: WireServerEvent): void {
    switch (event.type) {
      case 'command':
        this.notify('command', {
          address: event.address,
          connectionId: event.connectionId,
          commandName: event.commandName,
          exhaustAllowed: event.exhaustAllowed,
          awaitable: event.awaitable,
        });
        return;
      case 'connectionOpened':
        this.notify('connectionOpened', { address: event.address, connectionId: event.connectionId });
        return;
      case 'connectionClosed':
        this.notify('connectionClosed', { address: event.address, connectionId: event.connectionId });
        return;
      case 'fault':
        this.notify('fault', event.fault);
        return;
      case 'failPoint':
        this.notify('failPoint', event.event);
        return;
    }
  }
}
