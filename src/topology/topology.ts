/**
 * The Topology: the one writer of the snapshot (the Wasp's Nest pattern).
 *
 * Everything known about the deployment lives in one frozen TopologyDescription. Every input
 * (a monitor's check, an application error, an SRV rescan, the opening) is one case of
 * TopologyInput, applied by `#apply` through the pure applyTopologyInput; when it returns a new
 * object, `#swap` assigns the one reference and ChangeQueue runs the effects in order: monitors
 * made to match the server list, events in the specification's order, waiting callers answered.
 * Readers take the reference once (`topology.snapshot`) and decide from it.
 *
 * Nobody but the monitors goes looking for a new primary: a caller that finds no suitable server
 * schedules a refresh (any number of requests are one round of checks) and waits in one shared
 * wait (SelectionWait) until a snapshot has what it needs or its deadline passes.
 */
import type { Clock } from '../time/clock.js';
import type {
  HeartbeatFailedInfo,
  HeartbeatStartedInfo,
  HeartbeatSucceededInfo,
} from '../monitor/server-monitor-types.js';
import type { SrvRescanFailure } from '../monitor/srv-poller.js';
import type { RejectedSrvRecord } from '../uri/srv.js';
import { NO_ERROR_ACTIONS, type ErrorActions } from '../description/application-error.js';
import { checksAfterChange } from '../description/checks-after-change.js';
import { initialTopologyDescription } from '../description/topology-description.js';
import { applyTopologyInput, type TopologyInput } from '../description/topology-input.js';
import type { Address, ServerDescription, TopologyDescription } from '../description/types.js';
import { TopologyClosedError, RefreshTimeoutError } from '../errors.js';
import {
  changeEvents,
  heartbeatFailedEvent,
  heartbeatStartedEvent,
  heartbeatSucceededEvent,
} from '../events/change-events.js';
import { ChangeQueue, type ChangeQueueHandlers } from './change-queue.js';
import { TopologyEventEmitter } from '../events/event-emitter.js';
import type { TopologyEventPayload, TopologyEventRecord, TopologyEvents } from '../events/events.js';
import { HighLevelEventDeriver } from '../events/high-level-events.js';
import {
  closeWhenCollected,
  countLiveTopology,
  deploymentKey,
  KeepAlive,
  stopWatching,
  TopologyResources,
} from './lifecycle.js';
import { MonitorSet, type MonitorSetOwner } from './monitor-set.js';
import { OperationCounts } from './operation-counts.js';
import { Refresher, type RefresherOptions } from './refresher.js';
import { pickServer } from '../selection/pick-server.js';
import { connectCriteria, selectionCriteria, type SelectionCriteria } from '../selection/criteria.js';
import { toReadPreference, type ReadPreferenceLike } from '../selection/read-preference.js';
import type { SelectionResult } from '../selection/select-servers.js';
import { SelectionCache, type SelectionSettingsSource } from '../selection/selection-cache.js';
import { selectionError, type SelectionFailure } from '../selection/selection-error.js';
import { SelectionWait, type SelectionWaitOptions } from './selection-wait.js';
import { openSrvTopology, startSrvPolling, type SrvPollingOwner } from './topology-srv.js';
import {
  copyOptions,
  resolveTopologySettings,
  type TopologyOptions,
  type TopologySettings,
  type UriTopologyOptions,
} from './topology-options.js';
import type {
  ReportErrorOptions,
  SelectServerNowOptions,
  SelectServerOptions,
  TopologyState,
  WaitForRefreshOptions,
} from './topology-types.js';
import { parseConnectionString } from '../uri/connection-string.js';

export type { TopologyOptions, TopologySettings } from './topology-options.js';

let nextTopologyId = 0;

/**
 * A MongoDB deployment as the client sees it, kept true by background monitors.
 *
 * ```ts
 * const topology = new Topology('mongodb://a,b,c/?replicaSet=rs0');
 * topology.on('primaryChanged', (e) => console.log(e.previous, '->', e.current));
 * await topology.connect();
 * const server = await topology.selectServer('secondaryPreferred', { timeoutMS: 5000 });
 * await topology.close();
 * ```
 */
export class Topology extends TopologyEventEmitter {
  /** Identifies this topology in events (a per-process counter, like the official driver's). */
  readonly topologyId: number;
  /** The connection string without its password. */
  readonly redactedUri: string;

  /** The petiole: the one reference the whole nest hangs from. Assigned only in `#swap`. */
  #snapshot: TopologyDescription;
  #settings: TopologySettings;
  readonly #clock: Clock;
  /**
   * The options an SRV lookup resolves the settings from again (its TXT record is one more layer):
   * kept by a `mongodb+srv://` topology only, until the lookup starts.
   */
  #srvOptions: SrvOptions | null;
  readonly #resources = new TopologyResources();
  #state: TopologyState = 'idle';
  #connecting: Promise<this> | undefined;
  #closing: Promise<void> | undefined;
  /** Why opening failed (an SRV lookup), reported by every later call. */
  #startupError: Error | undefined;

  readonly #operations = new OperationCounts();
  readonly #operationCount = this.#operations.count;

  /**
   * What the parts of this topology call back: one object (see Topology.#Hooks). It is also every
   * report from the background (monitors, SRV rescans): the background holds it through #self
   * only, a weak reference, so that an unclosed topology can still be garbage-collected (and its
   * resources closed, see lifecycle.ts); its strong references are this topology's own parts.
   */
  readonly #hooks: TopologyHooks;
  readonly #self: WeakRef<TopologyHooks>;
  /** Snapshot changes whose side effects (monitors, events, waiters) are still to run, in order. */
  readonly #queue: ChangeQueue<Change, TopologyEventRecord>;
  readonly #waits: SelectionWait;
  readonly #refresher: Refresher;
  /** One monitor per server of the snapshot. */
  readonly #monitors: MonitorSet;

  /** Waiting callers keep the process alive (monitors alone do not). */
  readonly #keepAlive = new KeepAlive(this.#resources);

  /** Selection results of the current snapshot by criteria. */
  readonly #selections: SelectionCache;
  /** primaryChanged / writableChanged / readableChanged, derived the same way as the driver adapter's. */
  #highLevel: HighLevelEventDeriver;

  /**
   * @param uri a `mongodb://` or `mongodb+srv://` connection string.
   * @param options override the connection string's options; see {@link TopologyOptions}.
   * @throws ConnectionStringError for a connection string that cannot be used.
   * @throws TopologyOptionsError for an invalid option or combination, or an unknown option key
   *   (the message names the nearest known one). Unknown connection-string options are ignored
   *   with a warning instead, as the specification requires (see {@link TopologyOptions.onWarning}).
   */
  constructor(uri: string, options: TopologyOptions = {}) {
    super();
    const parsed = parseConnectionString(uri);
    this.redactedUri = parsed.redacted;
    const constructorOptions = copyOptions(options);
    this.#settings = resolveTopologySettings(
      { scheme: parsed.scheme, hosts: parsed.hosts, srvHost: parsed.srvHost },
      parsed.options,
      constructorOptions,
    );
    this.#srvOptions = parsed.scheme === 'mongodb+srv' ? [parsed.options, constructorOptions] : null;
    for (const warning of parsed.warnings) this.#settings.onWarning(warning);
    this.#clock = this.#settings.clock;
    this.topologyId = nextTopologyId++;
    this.#snapshot = this.#initialDescription(this.#settings);
    this.#highLevel = this.#newDeriver();
    const graceMS = this.#settings.connectTimeoutMS > 0 ? this.#settings.connectTimeoutMS : 10_000;
    this.#hooks = new Topology.#Hooks(this, this.#clock, graceMS);
    this.#self = new WeakRef(this.#hooks);
    this.#queue = new ChangeQueue(this.#hooks);
    this.#monitors = new MonitorSet(this.#resources.monitors, this.#self);
    this.#selections = new SelectionCache(this.#snapshot, this.#hooks);
    this.#waits = new SelectionWait(this.#hooks);
    this.#refresher = new Refresher(this.#hooks);
  }

  /**
   * The callbacks of SelectionWait, Refresher, ChangeQueue, SelectionCache, the monitors
   * (MonitorSet) and the SRV poller, as the methods of one object per topology, on a prototype: a closure per callback
   * cost about 1.5 KB per topology (a heap snapshot of the scale benchmark), megabytes of RSS for
   * hundreds of topologies. A class written inside Topology's body reaches its private members.
   */
  static readonly #Hooks = class implements TopologyHooks {
    readonly #topology: Topology;
    readonly clock: Clock;
    /** Extra time for waiters whose deadline passed only because the process was paused. */
    readonly graceMS: number;

    constructor(topology: Topology, clock: Clock, graceMS: number) {
      this.#topology = topology;
      this.clock = clock;
      this.graceMS = graceMS;
    }

    // ---- shared
    snapshot(): TopologyDescription {
      return this.#topology.#snapshot;
    }

    /**
     * Selection waiters (SelectionWait) and refresh waiters (Refresher) both call this when their
     * first caller starts waiting and when their last is answered: the process is kept alive
     * while either has callers, read from both (their counts are already updated).
     */
    busyChanged(): void {
      const topology = this.#topology;
      topology.#keepAlive.needed(topology.#waits.size > 0 || topology.#refresher.waiting > 0);
    }

    // ---- SelectionCache
    selectionSettings(): TopologySettings {
      return this.#topology.#settings;
    }

    // ---- SelectionWait
    select(snapshot: TopologyDescription, criteria: SelectionCriteria): SelectionResult {
      return this.#topology.#selections.select(snapshot, criteria);
    }

    pick(candidates: readonly ServerDescription[]): ServerDescription | undefined {
      const topology = this.#topology;
      return pickServer(candidates, topology.#operationCount, topology.#settings.random);
    }

    selectionError(
      criteria: SelectionCriteria,
      snapshot: TopologyDescription,
      result: SelectionResult,
      failure: SelectionFailure,
    ): Error {
      return selectionError(criteria, snapshot, result, failure, this.clock.now());
    }

    startupError(): Error | undefined {
      return this.#topology.#startupError;
    }

    refresh(): void {
      this.#topology.scheduleRefresh();
    }

    // ---- Refresher
    get monitors(): MonitorSet {
      return this.#topology.#monitors;
    }

    selectionsWaiting(): boolean {
      const topology = this.#topology;
      return topology.#waits.size > 0 && topology.#state === 'open';
    }

    refreshed(round: number, snapshot: TopologyDescription): void {
      const topology = this.#topology;
      topology.#emit('refreshed', { topologyId: topology.topologyId, round, snapshot });
    }

    timeoutError(timeoutMS: number): Error {
      return new RefreshTimeoutError(
        `No check round completed within ${timeoutMS} ms: some server did not answer its check ` +
          `(${this.#topology.redactedUri})`,
      );
    }

    // ---- ChangeQueue
    applyChange([previous, next]: Change): void {
      this.#topology.#changeEffects(previous, next);
    }

    emit(event: TopologyEventRecord): void {
      // Listeners are guarded (GuardedEventEmitter): emit cannot throw here.
      this.#topology.emitRecord(event);
    }

    // ---- reports from the background: MonitorSet and the SRV poller
    accepting(): boolean {
      return this.#topology.#state === 'open';
    }

    heartbeatStarted(info: HeartbeatStartedInfo): void {
      this.#topology.#heartbeat('serverHeartbeatStarted', heartbeatStartedEvent, info);
    }

    heartbeatSucceeded(info: HeartbeatSucceededInfo): void {
      this.#topology.#heartbeat('serverHeartbeatSucceeded', heartbeatSucceededEvent, info);
    }

    heartbeatFailed(info: HeartbeatFailedInfo): void {
      this.#topology.#heartbeat('serverHeartbeatFailed', heartbeatFailedEvent, info);
    }

    // A check that timed out only because this process was paused is retried by the monitor
    // before it reports anything: the topology applies what it is given.
    description(address: Address, description: ServerDescription): void {
      const topology = this.#topology;
      topology.#apply({ kind: 'checked', address, description });
      topology.#refresher.reported(address);
    }

    replaceSeedList(hosts: readonly Address[]): void {
      const topology = this.#topology;
      if (topology.#state === 'open') {
        topology.#apply({ kind: 'seedList', hosts, now: topology.#clock.now() });
      }
    }

    rescanFailed(failure: SrvRescanFailure): void {
      const topology = this.#topology;
      topology.#emit('srvRescanFailed', { ...topology.#srvEventBase(), ...failure });
    }

    recordsRejected(rejected: readonly RejectedSrvRecord[]): void {
      const topology = this.#topology;
      topology.#emit('srvRecordsRejected', { ...topology.#srvEventBase(), rejected });
    }
  };

  /** The current snapshot: a frozen TopologyDescription. Take it once per decision. */
  get snapshot(): TopologyDescription {
    return this.#snapshot;
  }

  /** The resolved settings (options merged, defaults applied). */
  get settings(): TopologySettings {
    return this.#settings;
  }

  /** Where the topology is in its life; see {@link TopologyState}. */
  get state(): TopologyState {
    return this.#state;
  }

  /**
   * Starts monitoring (unless `lazy`) and resolves once a server is known that a read could use
   * (a primary or secondary, a mongos, a standalone, a load balancer), like the official driver's
   * `MongoClient.connect()`. That is all it waits for: not for a primary (in a replica set the
   * first member to answer may be a secondary, and the topology then reads ReplicaSetNoPrimary
   * with the primary it names as PossiblePrimary), and not for every member (the others may still
   * be Unknown). To wait for a primary, `await topology.selectServer('primary')`.
   * Rejects with ServerSelectionError after serverSelectionTimeoutMS
   * (monitoring goes on: a later call may succeed), with the SRV lookup's error for a
   * `mongodb+srv://` string that cannot be resolved, and with TopologyClosedError when the
   * topology is closed before or meanwhile; closed topologies do not reopen.
   *
   * Idempotent and safe to call concurrently: callers share one promise. In lazy mode it resolves
   * at once, and monitoring starts on first use. A pending call (this one, selectServer,
   * waitForRefresh) keeps the process alive; the monitors alone never do.
   */
  connect(): Promise<this> {
    if (this.#state === 'closed') return Promise.reject(this.#closedError());
    if (this.#connecting !== undefined) return this.#connecting;
    if (this.#settings.lazy && this.#state === 'idle') {
      this.#connecting = Promise.resolve(this);
      return this.#connecting;
    }
    const connecting = this.#connect();
    this.#connecting = connecting;
    // A failed connect is forgotten, so that a later call tries again (unless the topology closed).
    connecting.catch(() => {
      if (this.#connecting === connecting && this.#state !== 'closed') this.#connecting = undefined;
    });
    return connecting;
  }

  async #connect(): Promise<this> {
    this.#start();
    await this.#waits.select(connectCriteria, this.#settings.serverSelectionTimeoutMS);
    return this;
  }

  /**
   * A server for `readPreference` (default 'primary') from the current snapshot, or undefined.
   * Never waits; when nothing matches it also schedules a refresh.
   * @throws TopologyClosedError after close(); ReadPreferenceError for an invalid read preference.
   */
  selectServerNow(
    readPreference?: ReadPreferenceLike,
    options?: SelectServerNowOptions,
  ): ServerDescription | undefined {
    this.#use();
    const deprioritized = options?.deprioritized;
    let server: ServerDescription | undefined;
    if (deprioritized === undefined || deprioritized.length === 0) {
      // The common case, allocation-free on a hit: the cached selection of this snapshot.
      const cached = this.#selections.cached(
        this.#snapshot,
        toReadPreference(readPreference),
        options?.operation,
      );
      server = cached.only ?? this.#pick(cached.result);
    } else {
      server = this.#pick(
        this.#selections.select(this.#snapshot, selectionCriteria(readPreference, options)),
      );
    }
    if (server === undefined) this.scheduleRefresh();
    return server;
  }

  /**
   * A server for `readPreference` (default 'primary'). Decides from the current snapshot when it
   * can (no timer, no waiting); otherwise schedules one refresh and waits in the shared wait for a
   * snapshot that has a suitable server, until `timeoutMS` (default serverSelectionTimeoutMS).
   *
   * @throws ServerSelectionError when the deadline passes (the message says why, and names the read
   *   preference), or at once when waiting cannot help (incompatible servers, a read preference
   *   unusable for this deployment).
   * @throws TopologyClosedError when the topology is or gets closed; the signal's reason when it aborts.
   */
  selectServer(
    readPreference?: ReadPreferenceLike,
    options?: SelectServerOptions,
  ): Promise<ServerDescription> {
    // Not `async`: a hit returns the settled promise shared by every caller of this snapshot and
    // criteria, so an awaited selection allocates nothing. Errors still arrive as rejections.
    try {
      this.#use();
      const deprioritized = options?.deprioritized;
      let result: SelectionResult;
      if (deprioritized === undefined || deprioritized.length === 0) {
        const cached = this.#selections.cached(
          this.#snapshot,
          toReadPreference(readPreference),
          options?.operation,
        );
        const only = cached.only;
        if (only !== undefined) return (cached.resolved ??= Promise.resolve(only));
        result = cached.result;
      } else {
        result = this.#selections.select(this.#snapshot, selectionCriteria(readPreference, options));
      }
      const server = this.#pick(result);
      if (server !== undefined) return Promise.resolve(server);
      // The miss path: the wait needs the full criteria (the result above is the same selection).
      return this.#waits.afterMiss(
        selectionCriteria(readPreference, options),
        result,
        options?.timeoutMS ?? this.#settings.serverSelectionTimeoutMS,
        options?.signal,
      );
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** One of the suitable servers, the less busy of two at random (pickServer). */
  #pick(result: SelectionResult): ServerDescription | undefined {
    return pickServer(result.inLatencyWindow, this.#operationCount, this.#settings.random);
  }

  /**
   * Wakes the monitors now. Any number of calls are one request: until the round of checks it
   * started completes (every polling monitor reported once), further calls join it. Each monitor
   * still checks at most once per minHeartbeatFrequencyMS; a streaming monitor with an awaitable
   * hello in flight needs no waking (its server answers as soon as anything changes).
   */
  scheduleRefresh(): void {
    if (this.#state === 'closed') return;
    this.#use();
    if (this.#state === 'open') this.#refresher.request();
  }

  /**
   * Resolves with the snapshot after the next completed check round: a refresh is scheduled (or
   * the one under way joined), and every monitor reports once. A streaming monitor whose
   * awaitable hello is in flight counts as current (its server answers the moment anything
   * changes), so with only such monitors this resolves at once. Callers share one round and one
   * deadline timer.
   * @throws RefreshTimeoutError after `timeoutMS` (default serverSelectionTimeoutMS); TopologyClosedError.
   */
  async waitForRefresh(options?: WaitForRefreshOptions): Promise<TopologyDescription> {
    this.#use();
    if (this.#startupError !== undefined) throw this.#startupError;
    if (this.#state === 'resolving') {
      // The seed list is not known yet: the first round starts with the monitors.
      await this.#waits.select(
        connectCriteria,
        options?.timeoutMS ?? this.#settings.serverSelectionTimeoutMS,
      );
    }
    this.scheduleRefresh();
    // No round: nothing to wait for (no monitors, or only streaming ones, which are current).
    if (!this.#refresher.inProgress) return this.#snapshot;
    return this.#refresher.wait(options?.timeoutMS ?? this.#settings.serverSelectionTimeoutMS);
  }

  /**
   * Feeds an application error (from an operation on `address`) to the state machine: a stale
   * error (old pool generation, old topologyVersion) changes nothing; otherwise the server may be
   * marked Unknown, its pool cleared (the `poolCleared` event; see {@link poolGeneration}), its
   * in-flight check cancelled and an immediate check requested.
   * @returns what was done.
   */
  reportError(address: Address, error: unknown, options?: ReportErrorOptions): ErrorActions {
    const snapshot = this.#snapshot;
    if (this.#state === 'closed' || !snapshot.servers.has(address)) return NO_ERROR_ACTIONS;
    const server = snapshot.servers.get(address);
    return this.#apply({
      kind: 'applicationError',
      address,
      error,
      context: {
        now: this.#clock.now(),
        when: options?.when ?? 'afterHandshakeCompletes',
        maxWireVersion: options?.maxWireVersion ?? server?.maxWireVersion ?? 0,
        poolGeneration: this.poolGeneration(address),
        errorGeneration: options?.generation,
      },
    });
  }

  /** The current pool generation of `address` (0 until its pool is first cleared). */
  poolGeneration(address: Address): number {
    return this.#monitors.poolGeneration(address);
  }

  /** Counts an operation started on `address` (selection prefers the less busy of two servers). */
  operationStarted(address: Address): void {
    this.#operations.started(address);
  }

  /** Uncounts an operation started with {@link operationStarted}. */
  operationFinished(address: Address): void {
    this.#operations.finished(address);
  }

  /** Runs `operation` counted as in flight on `address`. */
  async withOperation<T>(address: Address, operation: () => T | Promise<T>): Promise<T> {
    this.operationStarted(address);
    try {
      return await operation();
    } finally {
      this.operationFinished(address);
    }
  }

  /** How many operations the embedder reported as in flight on `address`. */
  operationCount(address: Address): number {
    return this.#operationCount(address);
  }

  /**
   * What is waiting: `selections` callers of selectServer/connect, in `groups` distinct criteria
   * (each group costs one selection per new snapshot), and `refreshes` callers of waitForRefresh.
   */
  get waiting(): { readonly selections: number; readonly groups: number; readonly refreshes: number } {
    return { selections: this.#waits.size, groups: this.#waits.groups, refreshes: this.#refresher.waiting };
  }

  /** Whether a write could be sent now (a primary, mongos, standalone or load balancer is known). */
  isWritable(): boolean {
    return this.#highLevel.stateOf(this.#snapshot).writable;
  }

  /** Whether a read with `readPreference` could be sent now (default 'nearest': any data-bearing server). */
  isReadable(readPreference?: ReadPreferenceLike): boolean {
    if (readPreference === undefined) return this.#highLevel.stateOf(this.#snapshot).readable;
    return (
      this.#selections.select(this.#snapshot, selectionCriteria(readPreference, undefined)).inLatencyWindow
        .length > 0
    );
  }

  /**
   * Stops monitoring: every waiting call rejects with TopologyClosedError, every monitor, socket
   * and timer of this topology goes, `serverClosed` and `topologyClosed` are emitted. The last
   * snapshot stays readable. Idempotent (every call returns the same promise); closed topologies do
   * not reopen. The promise resolves once the monitors' sockets have finished closing.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const wasStarted = this.#state !== 'idle';
    this.#state = 'closed';
    const error = this.#closedError();
    stopWatching(this.#resources);
    this.#resources.close();
    this.#waits.rejectAll(error);
    this.#refresher.rejectAll(error);
    if (wasStarted) {
      for (const address of this.#snapshot.servers.keys()) {
        this.#emit('serverClosed', { topologyId: this.topologyId, address });
      }
      this.#emit('topologyClosed', { topologyId: this.topologyId });
    }
    // Sockets destroyed above finish closing within this turn of the event loop: resolve after it,
    // so that a caller who awaited close() finds none of them among the process's handles.
    this.#closing = new Promise((resolve) => setImmediate(resolve));
    return this.#closing;
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Every public entry point: fails after close, starts monitoring on first use. */
  #use(): void {
    if (this.#state === 'closed') throw this.#closedError();
    if (this.#state === 'idle') this.#start();
  }

  #closedError(): TopologyClosedError {
    return new TopologyClosedError(
      `The topology for ${this.redactedUri} is closed; create a new Topology to reconnect`,
    );
  }

  #start(): void {
    if (this.#state !== 'idle') return;
    const settings = this.#settings;
    closeWhenCollected(this, this.#resources);
    this.#resources.add(countLiveTopology(deploymentKey(settings), settings.maxTopologiesPerDeployment));
    this.#emit('topologyOpening', { topologyId: this.topologyId });
    // The first primary's durationMS counts from here.
    this.#highLevel = this.#newDeriver();

    if (settings.scheme === 'mongodb+srv') {
      this.#state = 'resolving';
      this.#resolveSeedList();
      return;
    }
    this.#state = 'open';
    // The snapshot already holds the seeds: tell listeners as if from an empty topology.
    const empty = initialTopologyDescription([], { now: this.#clock.now() });
    this.#queue.change([empty, this.#snapshot]);
    this.#opened();
  }

  /**
   * Monitoring began with these servers. Every monitor checks at once, so that first check is a
   * round under way (requests join it); a load balancer, never checked, becomes a LoadBalancer.
   */
  #opened(): void {
    this.#apply({ kind: 'opened', now: this.#clock.now() });
    this.#refresher.opened();
  }

  /** A `mongodb+srv://` topology opens once its SRV lookup completed the seed list and settings. */
  #resolveSeedList(): void {
    // Set for a mongodb+srv:// string, which is the only one that gets here (once: #start).
    const [uriOptions, constructorOptions] = this.#srvOptions as SrvOptions;
    this.#srvOptions = null;
    void openSrvTopology(this.#settings, uriOptions, constructorOptions, {
      resolving: () => this.#state === 'resolving',
      resolved: (settings, ttlMS) => {
        this.#state = 'open';
        const initial = this.#initialDescription(settings);
        this.#swap(renumbered(initial, this.#snapshot.version + 1), settings);
        this.#opened();
        const poller = startSrvPolling(settings, this.#self, ttlMS);
        this.#resources.add(() => poller.stop());
      },
      failed: (error) => {
        this.#state = 'failed';
        this.#startupError = error;
        this.#waits.rejectAll(error);
        this.#refresher.rejectAll(error);
      },
    });
  }

  #srvEventBase(): { readonly topologyId: number; readonly srvHost: string } {
    return { topologyId: this.topologyId, srvHost: this.#settings.srvHost as string };
  }

  #newDeriver(): HighLevelEventDeriver {
    return new HighLevelEventDeriver({
      startedAt: this.#clock.now(),
      localThresholdMS: this.#settings.localThresholdMS,
      heartbeatFrequencyMS: this.#settings.heartbeatFrequencyMS,
    });
  }

  #initialDescription(settings: TopologySettings): TopologyDescription {
    return initialTopologyDescription(settings.seeds, {
      directConnection: settings.directConnection,
      ...(settings.replicaSet === null ? {} : { replicaSet: settings.replicaSet }),
      loadBalanced: settings.loadBalanced,
      now: this.#clock.now(),
    });
  }

  // ---- the one writer ------------------------------------------------------------------------

  /** Every input goes through here: the pure transition, the swap, then the actions it asks for. */
  #apply(input: TopologyInput): ErrorActions {
    const { snapshot, actions } = applyTopologyInput(this.#snapshot, input);
    this.#swap(snapshot);
    if (input.kind !== 'checked' && input.kind !== 'applicationError') return actions;
    const { address } = input;
    if (actions.clearPool) this.#clearPool(address, actions.interruptInUseConnections);
    if (actions.cancelInFlightCheck) this.#monitors.cancelCheck(address);
    if (actions.requestImmediateCheck) this.#monitors.requestCheck(address);
    return actions;
  }

  /**
   * The only assignment of the snapshot, and of the settings after construction (an SRV lookup
   * completes them together with the first real seed list). Same object: nothing happens.
   * Otherwise the side effects run in order, one change after the other even when a listener
   * causes another swap: monitors are made to match the servers, events are emitted, waiters are
   * answered.
   */
  #swap(next: TopologyDescription, settings: TopologySettings = this.#settings): void {
    const previous = this.#snapshot;
    if (next === previous) return;
    this.#snapshot = next;
    this.#settings = settings;
    this.#selections.snapshotChanged(next);
    this.#queue.change([previous, next]);
  }

  /** The side effects of one swap, in order (ChangeQueue runs one change's after the other's). */
  #changeEffects(previous: TopologyDescription, next: TopologyDescription): void {
    this.#queue.queue(changeEvents(previous, next, this.topologyId, this.#highLevel, this.#clock.now()));
    this.#reconcileMonitors();
    // Checks that find a new primary now rather than at the next heartbeat.
    this.#monitors.requestChecks(checksAfterChange(previous, next));
    this.#queue.flush();
    this.#waits.snapshotChanged(this.#snapshot);
    this.#refresher.finishIfComplete();
    this.#queue.flush();
  }

  /** Gives every server of the current snapshot a monitor, and closes the monitors of removed ones. */
  #reconcileMonitors(): void {
    if (this.#state !== 'open') return;
    for (const address of this.#monitors.reconcile(this.#snapshot, this.#settings)) {
      this.#refresher.removed(address);
    }
  }

  #clearPool(address: Address, interruptInUseConnections: boolean): void {
    const generation = this.#monitors.clearPool(address);
    this.#emit('poolCleared', {
      topologyId: this.topologyId,
      address,
      generation,
      interruptInUseConnections,
    });
  }

  // ---- events ------------------------------------------------------------------------------

  /** Queues an event and emits the queue, unless a change is being processed (it emits then). */
  #emit<K extends keyof TopologyEvents>(name: K, payload: TopologyEventPayload<K>): void {
    this.#queue.emit({ name, payload });
  }

  /** Heartbeats come every few seconds from every server: no payload when nobody listens. */
  #heartbeat<K extends keyof TopologyEvents, I>(
    name: K,
    event: (topologyId: number, info: I) => TopologyEventPayload<K>,
    info: I,
  ): void {
    if (this.listenerCount(name) > 0) this.#emit(name, event(this.topologyId, info));
  }

  protected override listenerWarning(event: string, message: string): string {
    return (
      `A listener of the waspnest topology event '${event}' threw: ${message}. The other listeners and the ` +
      "monitors went on; listen to 'listenerError' to receive these errors (this warning is shown once)."
    );
  }
}

/** The connection string's options and the constructor's, which an SRV lookup's TXT record joins. */
type SrvOptions = readonly [uri: UriTopologyOptions, constructor: TopologyOptions];

/** One change of the snapshot: the previous and the next. */
type Change = readonly [TopologyDescription, TopologyDescription];

/** Everything the parts of a topology call back (implemented once, by Topology.#Hooks). */
type TopologyHooks = SelectionWaitOptions &
  RefresherOptions &
  MonitorSetOwner &
  SrvPollingOwner &
  ChangeQueueHandlers<Change, TopologyEventRecord> &
  SelectionSettingsSource;

/** The same description under another version number (the SRV seed list replaces a placeholder). */
function renumbered(description: TopologyDescription, version: number): TopologyDescription {
  return Object.freeze({ ...description, version });
}
