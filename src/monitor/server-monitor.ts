/**
 * The real, socket-based server monitor: checks one server with hello on a dedicated connection
 * and tells the topology what it found. It polls (a check every heartbeatFrequencyMS) or streams
 * (awaitable hello with exhaust replies, so a step-down is seen when it happens), measures RTT
 * with a separate pinger while streaming, retries at once after a network error on a known
 * server, keeps at most one check in flight, and answers check requests at most once per
 * minHeartbeatFrequencyMS. A timeout that fired only because the process was paused is checked
 * again before anyone is told the server is down. Nothing here keeps the process alive.
 */
import { deserialize, type Document } from 'bson';
import { addRttSample, emptyRttStats, type RttStats } from '../description/round-trip-time.js';
import { HelloBytesTemplate } from '../description/hello-reply-bytes.js';
import {
  describeRepeatedHello,
  serverDescriptionFromError,
  serverDescriptionFromHello,
} from '../description/server-description.js';
import { ServerType } from '../description/server-type.js';
import { isDocument } from '../description/bson-values.js';
import { sameTopologyVersion, topologyVersionOrNull } from '../description/topology-version.js';
import type { Address, ServerDescription } from '../description/types.js';
import {
  MalformedReplyError,
  NetworkError,
  ProcessStallError,
  ServerReplyError,
  WaspnestError,
} from '../errors.js';
import { Cancellation } from '../net/cancel-signal.js';
import { Connection, newConnectionId, type ReplyWaiter, type WireReply } from '../net/connection.js';
import { sharedDnsCache } from '../net/dns-cache.js';
import { helloCommand } from '../net/handshake.js';
import { streamingEnabled } from '../net/faas-environment.js';
import { decodeBody } from '../net/wire-protocol.js';
import { CheckScheduler } from './check-scheduler.js';
import { RttPinger } from './rtt-pinger.js';
import type {
  CheckPhase,
  HeartbeatFailedInfo,
  HeartbeatStartedInfo,
  HeartbeatSucceededInfo,
  MonitorSettings,
  ServerMonitor,
  ServerMonitorFactory,
  ServerMonitorListener,
} from './server-monitor-types.js';

/** The socket-based ServerMonitorFactory the Topology uses by default. */
export const createServerMonitor: ServerMonitorFactory = (address, listener, settings) =>
  new SocketServerMonitor(address, listener, settings);

/** One check in flight: what cancelCheck()/close() need to interrupt it. */
interface CheckContext {
  /** Made only when the check opens a connection (the one step that takes a signal). */
  abort: Cancellation | null;
  connection: Connection | null;
  cancelled: boolean;
  /** The timer that started this check fired far too late: the process had been paused. */
  readonly afterStall: boolean;
}

type CheckOutcome =
  | {
      readonly ok: true;
      /** The reply document (decoded on first read when the reply was recognised from its bytes). */
      readonly reply: () => Document;
      /** Made from the reply's bytes when they matched the last reply's (no decoding, no reading). */
      readonly description?: ServerDescription;
      /** The reply's body bytes, when it came as an undecoded OP_MSG. */
      readonly body?: Buffer;
      readonly connection: Connection;
      readonly connectionId: string;
      readonly awaited: boolean;
      readonly duration: number;
      readonly dnsDuration?: number;
      readonly connectDuration?: number;
    }
  | {
      readonly ok: false;
      readonly error: Error;
      readonly phase: CheckPhase;
      readonly connectionId: string;
      readonly awaited: boolean;
      readonly duration: number;
    };

export class SocketServerMonitor implements ServerMonitor {
  readonly address: Address;
  readonly #listener: ServerMonitorListener;
  readonly #settings: MonitorSettings;
  readonly #streaming: boolean;
  /** When checks happen (pacing, one wake-up, the wait after a cancelled check). */
  readonly #checks: CheckScheduler;
  #connection: Connection | null = null;
  #check: CheckContext | null = null;
  #rtt: RttStats = emptyRttStats;
  #pinger: RttPinger | null = null;
  /** The last reply's topologyVersion as the server sent it (to send back in awaitable hellos). */
  #topologyVersion: Document | undefined;
  /** When the last awaitable hello was sent, to pace servers that answer them at once. */
  #lastAwaitableSentAt = -Infinity;
  /** The one retry a paused-process timeout gets has been used. */
  #stallRetried = false;
  /** The previous check failed: no second immediate retry, whatever the topology says. */
  #previousCheckFailed = false;
  #awaitableFrame: {
    readonly connection: Connection;
    readonly topologyVersion: Document;
    readonly frame: Buffer;
  } | null = null;
  /** The polling hello of the current connection, encoded once (its requestId is rewritten per send). */
  #helloFrame: { readonly connection: Connection; readonly frame: Buffer } | null = null;
  /**
   * The bytes of the last reply read in full (a copy) and the newest description made from them:
   * a reply whose bytes match outside the volatile fields makes the same description with new RTT
   * and time. The newest, not the first: it is the one the snapshot holds, so each server keeps
   * one description alive rather than two.
   */
  #lastHello: LastHello | null = null;
  /**
   * The polling check in flight on an open connection, and its reply or failure once it came
   * (until #endPoll reads them): fields, not a promise chain, so a check allocates less.
   */
  #pollCheck: CheckContext | null = null;
  #pollConnection: Connection | null = null;
  #pollStarted = 0;
  #pollReply: WireReply | null = null;
  #pollError: Error | null = null;

  /** The polling hello's waiter type: inside the class, so that it can set the fields above. */
  static readonly #PollWaiter = class PollWaiter implements ReplyWaiter {
    readonly #monitor: SocketServerMonitor;
    constructor(monitor: SocketServerMonitor) {
      this.#monitor = monitor;
    }
    resolve(reply: WireReply): void {
      this.#monitor.#pollReply = reply;
      queueMicrotask(this.#monitor.#endPollTask);
    }
    reject(error: Error): void {
      this.#monitor.#pollError = error;
      queueMicrotask(this.#monitor.#endPollTask);
    }
  };

  /**
   * What the connection calls with the polling hello's reply: made once, its methods on a
   * prototype (no closures kept per server).
   */
  readonly #pollWaiter: ReplyWaiter = new SocketServerMonitor.#PollWaiter(this);
  readonly #endPollTask = (): void => this.#endPoll();

  constructor(address: Address, listener: ServerMonitorListener, settings: MonitorSettings) {
    this.address = address;
    this.#listener = listener;
    this.#settings = settings;
    this.#streaming = streamingEnabled(settings.mode);
    this.#checks = new CheckScheduler({
      clock: settings.clock,
      heartbeatFrequencyMS: settings.heartbeatFrequencyMS,
      minHeartbeatFrequencyMS: settings.minHeartbeatFrequencyMS,
      begin: (afterStall) => this.#beginCheck(afterStall),
    });
  }

  /** Whether this monitor streams when the server supports it (mode, and FaaS detection for auto). */
  get streamingEnabled(): boolean {
    return this.#streaming;
  }

  /** The RTT statistics the next description will carry. */
  get roundTripTime(): RttStats {
    return this.#rtt;
  }

  /** The RTT pinger, once streaming has started it (diagnostics and tests). */
  get rttPinger(): RttPinger | null {
    return this.#pinger;
  }

  start(): void {
    this.#checks.start();
  }

  requestCheck(): void {
    // A check in flight answers the request (in streaming mode the pending awaitable hello
    // reports any change itself).
    this.#checks.requestCheck();
  }

  cancelCheck(): void {
    if (this.#checks.state === 'closed') return;
    const reason = new NetworkError(
      `check of ${this.address} cancelled: the application reported a network error`,
    );
    const check = this.#check;
    if (check) {
      check.cancelled = true;
      check.abort?.abort(reason);
      check.connection?.destroy(reason);
    }
    this.#dropConnection(reason);
  }

  close(): void {
    if (this.#checks.state === 'closed') return;
    this.#checks.close();
    const reason = new NetworkError(`monitor of ${this.address} closed`);
    this.#check?.abort?.abort(reason);
    this.#check?.connection?.destroy(reason);
    this.#check = null;
    this.#dropConnection(reason);
    this.#pinger?.close();
    this.#pinger = null;
  }

  #beginCheck(afterStall: boolean): void {
    const check: CheckContext = {
      abort: null,
      connection: null,
      cancelled: false,
      afterStall,
    };
    this.#check = check;
    const existing = this.#connection !== null && !this.#connection.destroyed ? this.#connection : null;
    if (
      existing !== null &&
      !existing.moreToCome &&
      !(this.#streaming && this.#topologyVersion !== undefined)
    ) {
      this.#beginPoll(check, existing);
      return;
    }
    void this.#runCheck(check, existing).then((outcome) => this.#finishCheck(check, outcome));
  }

  /**
   * A polling hello on an open connection, the check almost every heartbeat is: sent with a
   * waiter made once, its reply handled in one microtask (as late as an awaited one would be).
   */
  #beginPoll(check: CheckContext, connection: Connection): void {
    check.connection = connection;
    this.#pollCheck = check;
    this.#pollConnection = connection;
    this.#pollStarted = this.#settings.clock.now();
    this.#emit('heartbeatStarted', new StartedInfo(this.address, false, connection.id));
    connection.sendCommandBytes(
      this.#pollingHello(connection),
      'hello',
      this.#settings.connectTimeoutMS,
      this.#pollWaiter,
    );
  }

  #endPoll(): void {
    const check = this.#pollCheck;
    const connection = this.#pollConnection;
    const reply = this.#pollReply;
    const error = this.#pollError;
    this.#pollCheck = null;
    this.#pollConnection = null;
    this.#pollReply = null;
    this.#pollError = null;
    if (check === null || connection === null) return;
    const { clock } = this.#settings;
    const started = this.#pollStarted;
    let outcome: CheckOutcome;
    try {
      if (reply === null) throw error ?? new WaspnestError(`check of ${this.address} ended without a reply`);
      this.#rtt = addRttSample(this.#rtt, clock.now() - started);
      outcome = this.#replied(connection, reply, false, started);
    } catch (failure) {
      outcome = {
        ok: false,
        error: asError(failure),
        phase: 'check',
        connectionId: connection.id,
        awaited: false,
        duration: clock.now() - started,
      };
    }
    this.#finishCheck(check, outcome);
  }

  /** A check on a new connection (`existing` null), or an awaitable or streamed hello on `existing`. */
  async #runCheck(check: CheckContext, existing: Connection | null): Promise<CheckOutcome> {
    const settings = this.#settings;
    const { clock } = settings;
    const started = clock.now();

    if (existing === null) {
      const connectionId = newConnectionId(this.address);
      // Before the event: a listener may cancel the check from inside it.
      const abort = new Cancellation();
      check.abort = abort;
      this.#emit('heartbeatStarted', new StartedInfo(this.address, false, connectionId));
      let phase: CheckPhase = 'dns';
      try {
        const connection = await Connection.connect(this.address, {
          address: this.address,
          id: connectionId,
          connectTimeoutMS: settings.connectTimeoutMS,
          tls: settings.tls,
          clock,
          lookup: settings.lookup,
          dnsCache: settings.dnsCache ?? sharedDnsCache,
          signal: abort,
          onPhase: (p) => (phase = p),
          handshake: {
            appName: settings.appName,
            serverApi: settings.serverApi,
            loadBalanced: settings.loadBalanced,
            metadata: settings.clientMetadata,
          },
        });
        check.connection = connection;
        const timings = connection.timings;
        // The handshake's hello round trip is the first RTT sample (not DNS or TCP setup).
        if (timings) this.#rtt = addRttSample(this.#rtt, timings.handshakeMS);
        const handshakeReply = connection.takeHandshakeReply() ?? {};
        this.#lastHello = null;
        return {
          ok: true,
          reply: () => handshakeReply,
          connection,
          connectionId,
          awaited: false,
          duration: clock.now() - started,
          dnsDuration: timings?.dnsMS,
          connectDuration: timings ? timings.connectMS + timings.handshakeMS : undefined,
        };
      } catch (error) {
        return {
          ok: false,
          error: asError(error),
          phase,
          connectionId,
          awaited: false,
          duration: clock.now() - started,
        };
      }
    }

    check.connection = existing;
    const streamTimeout =
      settings.connectTimeoutMS > 0 ? settings.connectTimeoutMS + settings.heartbeatFrequencyMS : 0;
    try {
      let reply: WireReply;
      this.#emit('heartbeatStarted', new StartedInfo(this.address, true, existing.id));
      const topologyVersion = this.#topologyVersion;
      if (existing.moreToCome || topologyVersion === undefined) {
        // (#beginCheck sends a check here only with one of the two.)
        reply = await existing.nextReplyBytes({ timeoutMS: streamTimeout });
      } else {
        this.#lastAwaitableSentAt = clock.now();
        reply = await existing.commandBytes(this.#awaitableHello(existing, topologyVersion), 'hello', {
          timeoutMS: streamTimeout,
        });
      }
      return this.#replied(existing, reply, true, started);
    } catch (error) {
      const failure = asError(error);
      return {
        ok: false,
        error: failure,
        phase: 'check',
        connectionId: existing.id,
        awaited: true,
        duration: clock.now() - started,
      };
    }
  }

  /**
   * The outcome of a reply to a check on `connection` (what a polled and an awaited hello share).
   * @throws what `documentOf` throws for a reply that is not a usable document.
   */
  #replied(connection: Connection, reply: WireReply, awaited: boolean, started: number): CheckOutcome {
    const connectionId = connection.id;
    const duration = this.#settings.clock.now() - started;
    const body = reply.kind === 'msgBytes' ? reply.body : undefined;
    const description = body === undefined ? undefined : this.#repeatedHello(body);
    if (description !== undefined && body !== undefined) {
      return new RepeatedReplyOutcome(body, description, connection, awaited, duration);
    }
    const document = connection.documentOf(reply);
    return {
      ok: true,
      reply: () => document,
      ...(body === undefined ? {} : { body }),
      connection,
      connectionId,
      awaited,
      duration,
    };
  }

  /**
   * The awaitable hello for `connection` and `topologyVersion`, encoded once for each (a repeated
   * reply keeps the same topologyVersion object, so a quiet server costs no encoding).
   */
  #awaitableHello(connection: Connection, topologyVersion: Document): Buffer {
    const cached = this.#awaitableFrame;
    if (cached !== null && cached.connection === connection && cached.topologyVersion === topologyVersion) {
      return cached.frame;
    }
    const command = helloCommand({
      helloOk: connection.helloOk,
      topologyVersion,
      maxAwaitTimeMS: this.#settings.heartbeatFrequencyMS,
      serverApi: this.#settings.serverApi,
    });
    const frame = connection.encodeCommand('admin', command, { exhaustAllowed: true });
    this.#awaitableFrame = { connection, topologyVersion, frame };
    return frame;
  }

  /** The polling hello for `connection`, encoded on its first check. */
  #pollingHello(connection: Connection): Buffer {
    const cached = this.#helloFrame;
    if (cached !== null && cached.connection === connection) return cached.frame;
    const command = helloCommand({ helloOk: connection.helloOk, serverApi: this.#settings.serverApi });
    const frame = connection.encodeCommand('admin', command);
    this.#helloFrame = { connection, frame };
    return frame;
  }

  /**
   * The description of a reply whose bytes match the last fully read reply's outside the
   * volatile fields, or undefined (read it in full). Only lastWrite is decoded, and only when
   * its bytes changed.
   */
  #repeatedHello(body: Buffer): ServerDescription | undefined {
    const last = this.#lastHello;
    if (last === null) return undefined;
    const same = last.template.match(body);
    if (same === null) return undefined;
    const options = { now: this.#settings.clock.now(), roundTripTime: this.#rtt };
    if (!same.lastWriteChanged) {
      const description = describeRepeatedHello(last.description, options);
      if (description !== undefined) last.description = description;
      return description;
    }
    let value: unknown;
    try {
      value =
        same.lastWriteStart < 0
          ? undefined
          : decodeBody(body.subarray(same.lastWriteStart, same.lastWriteEnd));
    } catch {
      return undefined; // the full reading says what is wrong
    }
    const description = describeRepeatedHello(last.description, options, { value });
    if (description !== undefined) this.#lastHello = lastHelloOf(body, description);
    return description;
  }

  #finishCheck(check: CheckContext, outcome: CheckOutcome): void {
    if (this.#check === check) this.#check = null;
    if (this.#checks.state === 'closed') {
      if (outcome.ok) outcome.connection.destroy();
      return;
    }
    this.#checks.checkEnded();
    if (outcome.ok && check.cancelled) {
      // Cancelled after the reply arrived: the application's error wins; reconnect next time.
      outcome.connection.destroy();
      this.#checks.nextHeartbeat();
      return;
    }
    if (outcome.ok) this.#succeeded(outcome);
    else this.#failed(check, outcome);
  }

  #succeeded(outcome: Extract<CheckOutcome, { ok: true }>): void {
    const { clock } = this.#settings;
    const { connection } = outcome;
    this.#connection = connection;
    const previousTopologyVersion = this.#topologyVersion;
    const repeated = outcome.description;
    const description =
      repeated ??
      serverDescriptionFromHello(this.address, outcome.reply(), {
        now: clock.now(),
        roundTripTime: this.#rtt,
      });
    if (description.type === ServerType.Unknown && description.error !== null) {
      this.#lastHello = null;
      // A reply that is not a usable hello: the server is confused, not healthy.
      const error = new MalformedReplyError(description.error.message, outcome.reply());
      this.#failed(null, {
        ok: false,
        error,
        phase:
          outcome.dnsDuration !== undefined || outcome.connectDuration !== undefined ? 'handshake' : 'check',
        connectionId: outcome.connectionId,
        awaited: outcome.awaited,
        duration: outcome.duration,
        description,
      });
      return;
    }
    this.#stallRetried = false;
    this.#previousCheckFailed = false;
    if (repeated === undefined) {
      // A repeated reply has the same topologyVersion bytes: the one kept is still right.
      const topologyVersion: unknown = outcome.reply()['topologyVersion'];
      this.#topologyVersion = isDocument(topologyVersion) ? (topologyVersion as Document) : undefined;
      this.#lastHello = outcome.body === undefined ? null : lastHelloOf(outcome.body, description);
    }
    const info = new SucceededInfo(this.address, connection.id, outcome);
    this.#emit('heartbeatSucceeded', info);
    this.#emit('description', description);
    if (this.#checks.state !== 'idle') return; // a listener closed us

    if (this.#streaming && this.#topologyVersion !== undefined) {
      this.#startPinger();
      // Normally the awaitable hello waited maxAwaitTimeMS or reported a change; a server that
      // answers it at once with nothing new is paced, so that it cannot make us spin.
      const unchanged =
        !connection.moreToCome &&
        outcome.awaited &&
        unchangedTopologyVersion(previousTopologyVersion, this.#topologyVersion);
      if (unchanged) this.#checks.paceFrom(this.#lastAwaitableSentAt);
      else this.#checks.checkNow();
      return;
    }
    this.#checks.nextHeartbeat();
  }

  #failed(
    check: CheckContext | null,
    outcome: Extract<CheckOutcome, { ok: false }> & { description?: ServerDescription },
  ): void {
    const { clock } = this.#settings;
    const { error } = outcome;
    this.#dropConnection(error);
    this.#rtt = emptyRttStats;
    this.#lastHello = null;
    const failedInfo: HeartbeatFailedInfo = {
      address: this.address,
      awaited: outcome.awaited,
      connectionId: outcome.connectionId,
      duration: outcome.duration,
      failure: error,
      phase: outcome.phase,
    };

    if (check?.cancelled) {
      // The application already marked the server Unknown; wait (a requestCheck may wake us).
      this.#emit('heartbeatFailed', failedInfo);
      this.#checks.nextHeartbeat();
      return;
    }
    // A deadline that passed while this process was paused, or a connection that died during the
    // pause (peers and NATs drop idle connections), says nothing about the server's health now.
    const pausedProcess =
      error instanceof ProcessStallError ||
      (check?.afterStall === true && outcome.phase === 'check' && error instanceof NetworkError);
    if (pausedProcess && !this.#stallRetried) {
      this.#stallRetried = true;
      this.#emit('heartbeatFailed', failedInfo);
      this.#checks.checkNow();
      return;
    }
    this.#stallRetried = false;

    const previous = this.#settings.currentDescription();
    const wasKnown = previous !== undefined && previous.type !== ServerType.Unknown;
    const retryNow = error instanceof NetworkError && wasKnown && !this.#previousCheckFailed;
    this.#previousCheckFailed = true;
    // Only an error reply vouches for a topologyVersion; a failed connection says nothing of it.
    const topologyVersion =
      error instanceof ServerReplyError ? topologyVersionOrNull(error.reply['topologyVersion']) : null;
    this.#topologyVersion = undefined;
    const description =
      outcome.description ??
      serverDescriptionFromError(this.address, error, { now: clock.now(), topologyVersion });
    this.#emit('heartbeatFailed', failedInfo);
    this.#emit('description', description);
    if (retryNow) this.#checks.checkNow();
    else this.#checks.nextHeartbeat();
  }

  #startPinger(): void {
    if (this.#pinger || this.#checks.state === 'closed') return;
    this.#pinger = new RttPinger(this.address, this.#settings, (sample) => {
      this.#rtt = addRttSample(this.#rtt, sample);
    });
    this.#pinger.start();
  }

  #dropConnection(reason: Error): void {
    this.#connection?.destroy(reason);
    this.#connection = null;
  }

  /** Listener calls must not throw into the monitor; if one does, the loop goes on and Node warns. */
  #emit<K extends keyof ServerMonitorListener>(
    name: K,
    argument: Parameters<ServerMonitorListener[K]>[0],
  ): void {
    try {
      (this.#listener[name] as (a: typeof argument) => void).call(this.#listener, argument);
    } catch (error) {
      process.emitWarning(
        new WaspnestError(`a server monitor listener (${name}) threw: ${asError(error).message}`, {
          cause: error,
        }),
      );
    }
  }
}

/** A reply's template and the newest description made from it (see #lastHello). */
interface LastHello {
  readonly template: HelloBytesTemplate;
  description: ServerDescription;
}

/** What a later reply is compared with: a copy of `body` (not a view into a socket's buffer). */
function lastHelloOf(body: Buffer, description: ServerDescription): LastHello | null {
  const template = HelloBytesTemplate.of(Buffer.from(body));
  return template === null ? null : { template, description };
}

/**
 * A successful check as the monitor reports it, with the reply decoded on first read. A class
 * with `reply` on its prototype, not a literal with its own getter and spreads: V8 keeps such a
 * literal in dictionary mode, and at 1,000 servers polled every second each of those reports was
 * seen to keep its reply, and the reply's socket bytes, until the next full GC (scale-memory.ts).
 */
class SucceededInfo implements HeartbeatSucceededInfo {
  readonly address: Address;
  readonly awaited: boolean;
  readonly connectionId: string;
  readonly duration: number;
  // Declared, not defined: present only for a check that opened a connection.
  declare readonly dnsDuration?: number;
  declare readonly connectDuration?: number;
  readonly #outcome: Extract<CheckOutcome, { ok: true }>;

  constructor(address: Address, connectionId: string, outcome: Extract<CheckOutcome, { ok: true }>) {
    this.address = address;
    this.awaited = outcome.awaited;
    this.connectionId = connectionId;
    this.duration = outcome.duration;
    const self = this as { dnsDuration?: number; connectDuration?: number };
    if (outcome.dnsDuration !== undefined) self.dnsDuration = outcome.dnsDuration;
    if (outcome.connectDuration !== undefined) self.connectDuration = outcome.connectDuration;
    this.#outcome = outcome;
  }

  get reply(): Document {
    return this.#outcome.reply();
  }
}

/**
 * The outcome of a reply recognised from its bytes, the usual heartbeat: its document is decoded
 * only if a heartbeat listener reads it. A class, not a literal and a closure (see
 * description/plain-constructor.ts for why per-heartbeat values avoid literals).
 */
class RepeatedReplyOutcome {
  readonly ok = true;
  readonly connectionId: string;
  #document: Document | undefined;

  constructor(
    readonly body: Buffer,
    readonly description: ServerDescription,
    readonly connection: Connection,
    readonly awaited: boolean,
    readonly duration: number,
  ) {
    this.connectionId = connection.id;
  }

  reply(): Document {
    return (this.#document ??= decodeRepeatedReply(this.body));
  }
}

/** A heartbeatStarted report (a class: made on every heartbeat, see RepeatedReplyOutcome). */
class StartedInfo implements HeartbeatStartedInfo {
  constructor(
    readonly address: Address,
    readonly awaited: boolean,
    readonly connectionId: string,
  ) {}
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new WaspnestError(String(error));
}

/** Both replies carried a topologyVersion, and it is the same (two missing ones are not "unchanged"). */
function unchangedTopologyVersion(a: Document | undefined, b: Document | undefined): boolean {
  const x = topologyVersionOrNull(a);
  return x !== null && sameTopologyVersion(x, topologyVersionOrNull(b));
}

/**
 * A repeated reply was compared with the last one for structure, not for valid UTF-8 in its
 * volatile fields: a listener reading it gets the document even then, never an exception.
 */
function decodeRepeatedReply(body: Uint8Array): Document {
  try {
    return decodeBody(body);
  } catch {
    return deserialize(body, { promoteLongs: true, promoteValues: true, validation: { utf8: false } });
  }
}
