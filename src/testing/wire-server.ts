/**
 * One simulated server process on loopback: a TCP listener speaking the MongoDB wire protocol,
 * optionally over TLS (a TlsTerminator runs the handshake on each accepted connection). It frames
 * and decodes requests (OP_MSG, legacy OP_QUERY), hands each command to a handler,
 * and writes the reply — streaming an awaitable hello with moreToCome when the client allowed
 * exhaust. It also owns the network-level controls: latency, partition (accept but never answer),
 * kill/restart (connections reset, then refused), and reply-time faults.
 *
 * What the server does with a command is the handler's business (a replica-set member, a mongos,
 * a standalone); this file knows only bytes, connections and timing.
 */
import * as net from 'node:net';
import type * as tls from 'node:tls';
import type { Document } from 'bson';
import type { Address } from '../description/types.js';
import {
  decodeMessage,
  encodeOpMsg,
  encodeOpReply,
  FrameReader,
  OpMsgFlags,
  type OpMsg,
  type OpQuery,
  type WireMessage,
} from '../net/wire-protocol.js';
import {
  ActiveFault,
  DEFAULT_GARBAGE,
  DEFAULT_MALFORMED_HELLO_FIELDS,
  DEFAULT_WRONG_LENGTH,
  FaultTable,
  isHelloCommand,
  validateFaultSpec,
  type FaultEvent,
  type FaultSpec,
} from './faults.js';
import { withErrorLabels } from './error-labels.js';
import { FAIL_COMMAND_MESSAGE } from './fail-command.js';
import { FailPointTable, type ActiveFailPoint, type FailPointEvent } from './fail-points.js';
import { withServerTime } from './server-time.js';
import { CloseConnectionError, CommandError, internalErrorReply, ServerErrorCode } from './server-errors.js';
import { WaitAbortedError, type TimerRegistry } from './timer-registry.js';
import type { TlsTerminator } from './tls-terminator.js';

/** The mongod limit on one wire message. */
export const SIMULATED_MAX_MESSAGE_SIZE_BYTES = 48_000_000;

/** One command as a handler sees it. */
export interface WireRequest {
  /** The connection's id (a hello reply's `connectionId`). */
  readonly connectionId: number;
  /** The command name as sent (the body's first key). */
  readonly commandName: string;
  /** `$db` (OP_MSG) or the database of `<db>.$cmd` (OP_QUERY). */
  readonly db: string;
  readonly command: Document;
  /** Arrived as a legacy OP_QUERY. */
  readonly legacy: boolean;
  /** The `client.application.name` the connection's handshake gave, if any. */
  readonly appName: string | null;
  /** The client set exhaustAllowed: an awaitable hello may be streamed. */
  readonly exhaustAllowed: boolean;
  /** Each reply of a streaming hello after the first is produced by a re-run with `streamed: true`. */
  readonly streamed: boolean;
  /** Aborted when the connection closes or the server is killed. */
  readonly signal: AbortSignal;
  /** Waits out the server's latency; handlers call it after noting the state they were called in. */
  latency(): Promise<void>;
  /** The deployment's time (ms since the epoch, on its clock): dates and deadlines read it. */
  now(): number;
}

export interface WireRequestHandler {
  /** The reply document; throw CommandError for `ok: 0`. A WaitAbortedError means "no reply". */
  handle(request: WireRequest): Promise<Document>;
  /**
   * The reply for an error raised before the command reached `handle` (a fail point): the
   * server's labels, topologyVersion and cluster time, as for its own errors. Default: the bare error.
   */
  errorReply?(request: WireRequest, error: CommandError): Document;
}

export type WireServerEvent =
  | {
      readonly type: 'command';
      readonly address: Address;
      readonly connectionId: number;
      readonly commandName: string;
      readonly exhaustAllowed: boolean;
      readonly awaitable: boolean;
    }
  | { readonly type: 'connectionOpened'; readonly address: Address; readonly connectionId: number }
  | { readonly type: 'connectionClosed'; readonly address: Address; readonly connectionId: number }
  | { readonly type: 'fault'; readonly fault: FaultEvent }
  | { readonly type: 'failPoint'; readonly event: FailPointEvent };

export interface WireServerOptions {
  readonly handler: WireRequestHandler;
  readonly timers: TimerRegistry;
  readonly onEvent?: (event: WireServerEvent) => void;
  /** Fixed port to listen on; default 0 (the OS picks one). */
  readonly port?: number;
  /** Speak TLS on every connection; default plain TCP. */
  readonly tls?: TlsTerminator;
}

interface ServerConnection {
  readonly id: number;
  /** The accepted TCP socket: reset (RST) acts on it, and closing it closes any TLS over it. */
  readonly tcp: net.Socket;
  /** Where requests are read and replies written: `tcp`, or the TLS socket once the handshake is done. */
  stream: net.Socket | null;
  readonly reader: FrameReader;
  readonly abort: AbortController;
  readonly closed: Promise<void>;
  /** The handshake's `client.application.name` (fail points can target it). */
  appName: string | null;
}

let nextReplyId = 1;
function replyId(): number {
  nextReplyId = nextReplyId >= 0x7fffffff ? 1 : nextReplyId + 1;
  return nextReplyId;
}

/** One simulated server's network face. */
export class WireServer {
  /** Extra delay before each command runs (and before each streamed reply), in ms. */
  latencyMS = 0;
  /** Accept connections and read requests, but never answer. */
  partitioned = false;
  readonly faults = new FaultTable();
  /** The fail points that see every command before the handler does. */
  readonly failPoints = new FailPointTable(() => this.address);

  #handler: WireRequestHandler;
  #timers: TimerRegistry;
  #onEvent: (event: WireServerEvent) => void;
  #port: number;
  #tls: TlsTerminator | null;
  #listener: net.Server | null = null;
  #listenerClosed: Promise<void>[] = [];
  #connections = new Set<ServerConnection>();
  #nextConnectionId = 1;
  #counts = new Map<string, number>();
  #refusals = new Set<ActiveFault>();
  #up = false;

  constructor(options: WireServerOptions) {
    this.#handler = options.handler;
    this.#timers = options.timers;
    this.#onEvent = options.onEvent ?? (() => undefined);
    this.#port = options.port ?? 0;
    this.#tls = options.tls ?? null;
  }

  /** The port, once listening (it stays the same across kill/restart). */
  get port(): number {
    return this.#port;
  }

  get address(): Address {
    return `127.0.0.1:${this.#port}`;
  }

  /** True between start/restart and kill/close: the "process" is running. */
  get up(): boolean {
    return this.#up;
  }

  /** Connections open, TLS handshakes in progress included. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Starts listening (on the same port as before, after the first time). */
  async start(): Promise<void> {
    if (this.#timers.closed) throw new Error('the simulated deployment is closed');
    this.#up = true;
    if (this.#refusals.size === 0) await this.#listen();
  }

  /**
   * Crash: close every connection and stop listening, so new connections are refused. Connections
   * close as the kernel closes a dead process's sockets (FIN); with `reset` they are reset (RST).
   */
  async kill(options: { reset?: boolean } = {}): Promise<void> {
    this.#up = false;
    this.failPoints.processDied();
    this.#stopListening();
    const closing = [...this.#connections].map((connection) => {
      connection.abort.abort();
      if (options.reset === true) connection.tcp.resetAndDestroy();
      else hangUp(connection);
      return connection.closed;
    });
    await Promise.all([...closing, ...this.#drainListenerClosed()]);
  }

  /** Closes everything for good; idempotent. */
  async close(): Promise<void> {
    this.faults.clear();
    this.failPoints.clear();
    this.#refusals.clear();
    this.#up = false;
    this.#stopListening();
    const closing = [...this.#connections].map((connection) => {
      connection.abort.abort();
      hangUp(connection);
      return connection.closed;
    });
    await Promise.all([...closing, ...this.#drainListenerClosed()]);
  }

  /** Adds a fault; `refuse` stops listening at once. */
  addFault(spec: FaultSpec): ActiveFault {
    validateFaultSpec(spec);
    const fault = new ActiveFault(this.address, spec, (f) => this.#clearFault(f));
    if (spec.kind === 'refuse') {
      this.#refusals.add(fault);
      this.#stopListening();
      this.#emit({ type: 'fault', fault: fault.hit(null) });
    } else {
      this.faults.add(fault);
    }
    return fault;
  }

  /** Removes every fault (listening again if a `refuse` was in force and the server is up). */
  async clearFaults(): Promise<void> {
    this.faults.clear();
    const refusals = [...this.#refusals];
    for (const fault of refusals) fault.active = false;
    this.#refusals.clear();
    if (refusals.length > 0 && this.#up) await this.#listen();
  }

  /** How many commands named `name` (case-insensitively) arrived; all commands when absent. */
  commandCount(name?: string): number {
    let total = 0;
    for (const [commandName, count] of this.#counts) {
      if (name === undefined || name.toLowerCase() === commandName.toLowerCase()) total += count;
    }
    return total;
  }

  /** Counts per command name as sent. */
  commandCounts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  resetCommandCounts(): void {
    this.#counts.clear();
  }

  async #clearFault(fault: ActiveFault): Promise<void> {
    if (fault.spec.kind === 'refuse') {
      this.#refusals.delete(fault);
      if (this.#refusals.size === 0 && this.#up && !this.#timers.closed) await this.#listen();
    } else {
      this.faults.remove(fault);
    }
  }

  async #listen(): Promise<void> {
    if (this.#listener) return;
    const listener = net.createServer({ noDelay: true }, (socket) => this.#accept(socket));
    this.#listener = listener;
    this.#listenerClosed.push(new Promise((resolve) => listener.once('close', () => resolve())));
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        listener.off('listening', onListening);
        listener.off('close', onClose);
        listener.off('error', settle);
        if (error) {
          if (this.#listener === listener) this.#listener = null;
          reject(error);
        } else {
          resolve();
        }
      };
      const onListening = (): void => {
        const bound = listener.address();
        if (bound !== null && typeof bound === 'object') this.#port = bound.port;
        settle();
      };
      // Closed again before it was listening (a kill or refuse raced the start): nothing to wait for.
      const onClose = (): void => settle();
      listener.once('listening', onListening);
      listener.once('close', onClose);
      listener.once('error', settle);
      listener.listen({ host: '127.0.0.1', port: this.#port, exclusive: true });
    });
    // A listener error after start (rare on loopback) must not crash the process.
    listener.on('error', () => undefined);
  }

  #stopListening(): void {
    const listener = this.#listener;
    this.#listener = null;
    // close() stops accepting at once; its 'close' event waits for the connections it accepted.
    listener?.close();
  }

  #drainListenerClosed(): Promise<void>[] {
    const pending = this.#listenerClosed;
    this.#listenerClosed = [];
    return pending;
  }

  #accept(socket: net.Socket): void {
    if (!this.#up || this.#timers.closed) {
      socket.resetAndDestroy();
      return;
    }
    const id = this.#nextConnectionId++;
    let markClosed!: () => void;
    const connection: ServerConnection = {
      id,
      tcp: socket,
      stream: null,
      reader: new FrameReader({ maxMessageSizeBytes: SIMULATED_MAX_MESSAGE_SIZE_BYTES }),
      abort: new AbortController(),
      closed: new Promise((resolve) => (markClosed = resolve)),
      appName: null,
    };
    this.#connections.add(connection);
    socket.setNoDelay(true);
    // Clients reset connections all the time (that is what the driver does on timeouts); not an error here.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      connection.abort.abort();
      this.#connections.delete(connection);
      this.#emit({ type: 'connectionClosed', address: this.address, connectionId: id });
      markClosed();
    });
    const tlsTerminator = this.#tls;
    if (tlsTerminator) tlsTerminator.secure(socket, (secure) => this.#secured(connection, secure));
    else this.#read(connection, socket);
    // Opened when TCP accepts, TLS or not: a failed handshake shows as a connection opened and closed.
    this.#emit({ type: 'connectionOpened', address: this.address, connectionId: id });
  }

  #secured(connection: ServerConnection, socket: tls.TLSSocket): void {
    // An error after the handshake (a client reset) closes the TCP socket, which is handled there.
    socket.on('error', () => undefined);
    if (connection.abort.signal.aborted) {
      socket.destroy();
      return;
    }
    this.#read(connection, socket);
  }

  #read(connection: ServerConnection, stream: net.Socket): void {
    connection.stream = stream;
    stream.on('data', (chunk: Buffer) => this.#onData(connection, chunk));
  }

  #onData(connection: ServerConnection, chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = connection.reader.push(chunk);
    } catch {
      // A length we cannot trust: the stream cannot be resynchronised, so hang up as mongod does.
      hangUp(connection);
      return;
    }
    for (const frame of frames) {
      let message: WireMessage;
      try {
        message = decodeMessage(frame);
      } catch {
        hangUp(connection);
        return;
      }
      if (message.kind === 'reply') {
        // Servers do not take OP_REPLY; mongod closes the connection on an opcode it does not serve.
        hangUp(connection);
        return;
      }
      void this.#serve(connection, message).catch(() => hangUp(connection));
    }
  }

  async #serve(connection: ServerConnection, message: OpMsg | OpQuery): Promise<void> {
    const parsed = parseRequest(message);
    if (connection.appName === null && isHelloCommand(parsed.commandName))
      connection.appName = handshakeAppName(parsed.command);
    this.#counts.set(parsed.commandName, (this.#counts.get(parsed.commandName) ?? 0) + 1);
    const exhaustAllowed = message.kind === 'msg' && (message.flags & OpMsgFlags.exhaustAllowed) !== 0;
    this.#emit({
      type: 'command',
      address: this.address,
      connectionId: connection.id,
      commandName: parsed.commandName,
      exhaustAllowed,
      awaitable: isHelloCommand(parsed.commandName) && parsed.command['maxAwaitTimeMS'] != null,
    });
    if (this.partitioned) return;
    const noReply = message.kind === 'msg' && (message.flags & OpMsgFlags.moreToCome) !== 0;
    let request: WireRequest = {
      connectionId: connection.id,
      commandName: parsed.commandName,
      db: parsed.db,
      command: parsed.command,
      legacy: message.kind === 'query',
      appName: connection.appName,
      exhaustAllowed,
      streamed: false,
      signal: connection.abort.signal,
      latency: () => this.#timers.delay(this.latencyMS, connection.abort.signal),
      now: () => this.#timers.now(),
    };
    let responseTo = message.requestId;
    for (;;) {
      const document = parsed.error ? parsed.error.toReply() : await this.#run(connection, request);
      if (document === null || noReply || this.partitioned || connection.abort.signal.aborted) return;
      const stream = request.exhaustAllowed && isStreamable(request.command, document);
      const sent = await this.#reply(connection, request, document, responseTo, stream);
      if (sent === null || !stream) return;
      responseTo = sent;
      request = {
        ...request,
        streamed: true,
        command: { ...request.command, topologyVersion: document['topologyVersion'] as unknown },
      };
    }
  }

  /**
   * Runs the command through the fail points, then the handler; null when no reply must be sent
   * (the wait was aborted, or a fail point closed the connection).
   */
  async #run(connection: ServerConnection, request: WireRequest): Promise<Document | null> {
    try {
      if (request.commandName === 'configureFailPoint') return this.failPoints.configure(request);
      const failPoint = this.failPoints.evaluate(request);
      if (failPoint) return await this.#runFailed(connection, request, failPoint);
      return await this.#handle(request);
    } catch (error) {
      if (error instanceof WaitAbortedError || request.signal.aborted) return null;
      if (error instanceof CommandError) return error.toReply();
      if (error instanceof CloseConnectionError) {
        hangUp(connection);
        return null;
      }
      return internalErrorReply(error);
    }
  }

  /** A command a fail point acts on: held, then its connection closed, an error, or run with a write concern error. */
  async #runFailed(
    connection: ServerConnection,
    request: WireRequest,
    failPoint: ActiveFailPoint,
  ): Promise<Document | null> {
    const rule = failPoint.rule;
    const event: FailPointEvent = {
      address: this.address,
      connectionId: connection.id,
      commandName: request.commandName,
      blockMS: rule.blockMS,
      closeConnection: rule.closeConnection,
      errorCode: rule.errorCode,
      writeConcernError: rule.writeConcernError !== null,
    };
    failPoint.acted(event);
    this.#emit({ type: 'failPoint', event });
    if (rule.blockMS > 0) await this.#timers.delay(rule.blockMS, request.signal);
    if (rule.closeConnection) {
      hangUp(connection);
      return null;
    }
    if (rule.errorCode !== null) {
      await request.latency();
      const error = new CommandError(rule.errorCode, FAIL_COMMAND_MESSAGE);
      error.labelsOverride = rule.errorLabels;
      return withoutEmptyLabels(this.#errorReply(request, error));
    }
    const reply = await this.#handle(request);
    const writeConcernError = rule.writeConcernError;
    if (writeConcernError === null || reply['ok'] !== 1) return reply;
    let result: Document = { ...reply, writeConcernError: { ...writeConcernError } };
    if (rule.errorLabels === null) result = withErrorLabels(request.commandName, request.command, result);
    else result['errorLabels'] = [...rule.errorLabels];
    // A not-primary code carries the server's topologyVersion here too, as in an error reply.
    const probe = this.#errorReply(request, new CommandError(Number(writeConcernError['code']), ''));
    if (probe['topologyVersion'] !== undefined) result['topologyVersion'] = probe['topologyVersion'];
    return withoutEmptyLabels(result);
  }

  /** Runs the handler, then holds the reply for the server time the command spent (a $where's sleep). */
  async #handle(request: WireRequest): Promise<Document> {
    const { value, spentMS } = await withServerTime(() => this.#handler.handle(request));
    if (spentMS > 0) await this.#timers.delay(spentMS, request.signal);
    return value;
  }

  #errorReply(request: WireRequest, error: CommandError): Document {
    return this.#handler.errorReply?.(request, error) ?? error.toReply();
  }

  /** Writes one reply, through any fault in force. Returns its requestId, or null when nothing was sent. */
  async #reply(
    connection: ServerConnection,
    request: WireRequest,
    document: Document,
    responseTo: number,
    moreToCome: boolean,
  ): Promise<number | null> {
    const fault = this.faults.find(request.commandName);
    if (fault) this.#emit({ type: 'fault', fault: fault.hit(request.commandName) });
    let body = document;
    if (fault?.spec.kind === 'malformedHello')
      body = { ...document, ...(fault.spec.fields ?? DEFAULT_MALFORMED_HELLO_FIELDS) };
    if (fault?.spec.kind === 'slow') {
      try {
        await this.#timers.delay(fault.spec.delayMS, connection.abort.signal);
      } catch {
        return null;
      }
      if (this.partitioned) return null;
    }
    const requestId = replyId();
    let frame: Buffer;
    try {
      frame = encodeReply(request, body, requestId, responseTo, moreToCome);
    } catch (error) {
      frame = encodeReply(request, internalErrorReply(error), requestId, responseTo, false);
    }
    const socket = connection.stream;
    if (socket === null || socket.destroyed) return null;
    switch (fault?.spec.kind) {
      case 'reset':
        connection.tcp.resetAndDestroy();
        return null;
      case 'hang':
        return null;
      case 'truncatedFrame':
        socket.end(frame.subarray(0, Math.max(1, Math.floor(frame.length / 2))));
        return null;
      case 'wrongLength': {
        const wrong = Buffer.from(frame);
        wrong.writeInt32LE(fault.spec.length ?? DEFAULT_WRONG_LENGTH, 0);
        socket.write(wrong);
        return null;
      }
      case 'garbage':
        socket.write(Buffer.from(fault.spec.bytes ?? DEFAULT_GARBAGE));
        return null;
      default:
        socket.write(frame);
        return requestId;
    }
  }

  #emit(event: WireServerEvent): void {
    try {
      this.#onEvent(event);
    } catch {
      // A listener's bug must not break the server.
    }
  }
}

/** A fail point's `errorLabels: []` means no labels: mongod then sends no `errorLabels` field. */
function withoutEmptyLabels(reply: Document): Document {
  const labels: unknown = reply['errorLabels'];
  if (!Array.isArray(labels) || labels.length > 0) return reply;
  const { errorLabels: _none, ...rest } = reply;
  return rest;
}

/** Closes a connection (FIN); over TLS, the TLS socket first, so that it ends cleanly. */
function hangUp(connection: ServerConnection): void {
  (connection.stream ?? connection.tcp).destroy();
}

function encodeReply(
  request: WireRequest,
  document: Document,
  requestId: number,
  responseTo: number,
  moreToCome: boolean,
): Buffer {
  if (request.legacy) return encodeOpReply({ requestId, responseTo, documents: [document] });
  return encodeOpMsg({ requestId, responseTo, flags: moreToCome ? OpMsgFlags.moreToCome : 0, document });
}

/** An awaitable hello whose reply carries a topologyVersion may be streamed. */
function isStreamable(command: Document, reply: Document): boolean {
  return (
    isHelloCommand(firstKey(command)) &&
    command['topologyVersion'] != null &&
    command['maxAwaitTimeMS'] != null &&
    reply['ok'] === 1 &&
    reply['topologyVersion'] != null
  );
}

/** The application name a handshake hello carries (`client.application.name`), or null. */
function handshakeAppName(command: Document): string | null {
  const client: unknown = command['client'];
  if (client === null || typeof client !== 'object') return null;
  const application: unknown = (client as Document)['application'];
  if (application === null || typeof application !== 'object') return null;
  const name: unknown = (application as Document)['name'];
  return typeof name === 'string' ? name : null;
}

function firstKey(document: Document): string {
  for (const key in document) return key;
  return '';
}

interface ParsedRequest {
  readonly commandName: string;
  readonly db: string;
  readonly command: Document;
  /** Set when the request is unusable: answered at once with this error. */
  readonly error?: CommandError;
}

function parseRequest(message: OpMsg | OpQuery): ParsedRequest {
  if (message.kind === 'msg') {
    const command = message.document;
    const commandName = firstKey(command);
    const db = command['$db'];
    if (typeof db !== 'string' || db === '') {
      return {
        commandName,
        db: '',
        command,
        error: new CommandError(ServerErrorCode.MissingDollarDb, 'OP_MSG requests require a $db argument'),
      };
    }
    return { commandName, db, command };
  }
  const wrapped = message.query['$query'];
  const command =
    wrapped !== null && typeof wrapped === 'object' && !Array.isArray(wrapped)
      ? (wrapped as Document)
      : message.query;
  const commandName = firstKey(command);
  const dot = message.fullCollectionName.indexOf('.');
  const db = dot < 0 ? message.fullCollectionName : message.fullCollectionName.slice(0, dot);
  const collection = dot < 0 ? '' : message.fullCollectionName.slice(dot + 1);
  if (collection !== '$cmd') {
    return {
      commandName: 'find',
      db,
      command,
      error: new CommandError(
        ServerErrorCode.UnsupportedOpQueryCommand,
        `OP_QUERY on ${message.fullCollectionName} is no longer supported; use OP_MSG`,
      ),
    };
  }
  if (!isHelloCommand(commandName)) {
    return {
      commandName,
      db,
      command,
      error: new CommandError(
        ServerErrorCode.UnsupportedOpQueryCommand,
        `Unsupported OP_QUERY command: ${commandName}. The client driver may require an upgrade.`,
      ),
    };
  }
  return { commandName, db, command };
}
