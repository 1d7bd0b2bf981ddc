/**
 * One wire connection to one server, as monitors use it: TCP or TLS to an already resolved IP,
 * the handshake, then one command at a time (OP_MSG, or legacy OP_QUERY before/without OP_MSG
 * support) and streamed exhaust replies. Frames are read through a bounded FrameReader. Every
 * failure destroys the connection and surfaces as a NetworkError, NetworkTimeoutError,
 * ProcessStallError, WireProtocolError or ServerReplyError naming the server's address.
 * Monitoring sockets are unref'd: they never keep the process alive on their own.
 */
import type { CancelSignal } from './cancel-signal.js';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Document } from 'bson';
import { reusableTimer, systemClock, type Clock, type ReusableTimer } from '../time/clock.js';
import type { Address } from '../description/types.js';
import {
  MalformedReplyError,
  NetworkError,
  NetworkTimeoutError,
  ProcessStallError,
  ServerReplyError,
  WaspnestError,
  WireProtocolError,
} from '../errors.js';
import type { CheckPhase, LookupFunction, TlsSettings } from './connection-settings.js';
import { isProcessStall, startDeadline } from '../time/deadline.js';
import type { DnsCache } from './dns-cache.js';
import { initialHelloCommand, type HandshakeSettings } from './handshake.js';
import { parseEndpoint, resolveAddress, type ResolvedAddress } from './resolve-address.js';
import {
  decodeBody,
  decodeMessage,
  DEFAULT_MAX_MESSAGE_SIZE_BYTES,
  encodeOpMsg,
  encodeOpQuery,
  FrameReader,
  OpMsgFlags,
  peekOpMsgBody,
  type OpMsgBytes,
  type WireMessage,
} from './wire-protocol.js';

/** A reply as commandBytes gives it: an OP_MSG body not decoded yet, or a decoded message. */
export type WireReply = WireMessage | OpMsgBytes;

/** Exhaust replies read ahead of the reader that we hold at most before calling it a protocol error. */
const MAX_QUEUED_REPLIES = 64;
/** OP_REPLY responseFlags bit: the query failed and documents[0] is the error. */
const QUERY_FAILURE = 2;

let nextRequestId = 1;
function newRequestId(): number {
  nextRequestId = nextRequestId >= 0x7fffffff ? 1 : nextRequestId + 1;
  return nextRequestId;
}

let nextConnectionNumber = 0;

/** A process-unique id for a connection to `address` (`<address>#<n>`), known before it connects. */
export function newConnectionId(address: Address): string {
  return `${address}#${++nextConnectionNumber}`;
}

/** Where to open the socket: resolved IPs (tried in order) and a port, or a Unix socket path. */
export type SocketTarget =
  | { readonly ips: readonly ResolvedAddress[]; readonly port: number; readonly hostname: string }
  | { readonly path: string };

export interface OpenOptions {
  /** The server's address (`host:port`): named in every error. */
  readonly address: Address;
  readonly target: SocketTarget;
  /** Limit for TCP connect plus TLS handshake, over all IPs; 0 = none. */
  readonly connectTimeoutMS: number;
  readonly tls?: TlsSettings;
  readonly clock?: Clock;
  readonly signal?: CancelSignal;
  /** Keep the event loop alive while this socket is open; default false (monitors must not). */
  readonly keepProcessAlive?: boolean;
  /** Named in heartbeat events; default `<address>#<n>`. */
  readonly id?: string;
}

export interface CommandOptions {
  /** Socket timeout for this reply in ms; 0 or absent = none. On expiry the connection is destroyed. */
  readonly timeoutMS?: number;
  /** Set OP_MSG exhaustAllowed: the server may stream replies with moreToCome. */
  readonly exhaustAllowed?: boolean;
}

export interface ConnectOptions extends Omit<OpenOptions, 'target'> {
  readonly lookup?: LookupFunction;
  readonly dnsCache?: DnsCache | null;
  readonly handshake?: HandshakeSettings;
  /** Called as each phase begins, so that a caller can say where a failure happened. */
  readonly onPhase?: (phase: CheckPhase) => void;
}

/** How long each step of making a connection took, in clock ms. */
export interface ConnectTimings {
  readonly dnsMS: number;
  /** TCP connect plus TLS handshake. */
  readonly connectMS: number;
  /** The hello round trip of the handshake (the specification's first RTT sample). */
  readonly handshakeMS: number;
}

/** Who receives the reply of {@link Connection.sendCommandBytes}: exactly one call, once. */
export interface ReplyWaiter {
  resolve(message: WireReply): void;
  reject(error: Error): void;
}

export class Connection {
  readonly id: string;
  readonly address: Address;
  /** The IP (or socket path) actually connected to. */
  readonly remote: string;
  #socket: net.Socket;
  #clock: Clock;
  #reader: FrameReader;
  #waiter: ReplyWaiter | null = null;
  #queue: WireReply[] = [];
  /** The pending read leaves an OP_MSG body undecoded (commandBytes, nextReplyBytes). */
  #bodyBytes = false;
  /** responseTo values the next frame may carry; empty = no reply is expected. */
  #expected: number[] = [];
  /** The requestId of the command whose replies are being read. */
  #requestId = 0;
  #moreToCome = false;
  #destroyedBy: Error | null = null;
  #supportsOpMsg = false;
  #helloOk = false;
  /** The handshake has been answered (whether or not its reply was taken since). */
  #handshook = false;
  /**
   * The handshake reply until its one reader takes it: kept for the connection's life, it would
   * pin a decoded document and the socket chunk its binary fields view, for every connection.
   */
  #handshakeReply: Document | null = null;
  #timings: ConnectTimings | null = null;
  /** The pending read's deadline: one timer per connection, re-armed for each read. */
  #readTimer: ReusableTimer | null = null;
  #readTimeoutMS = 0;
  #readArmedAt = 0;
  #readWhat = '';

  private constructor(socket: net.Socket, address: Address, remote: string, id: string, clock: Clock) {
    this.#socket = socket;
    this.address = address;
    this.remote = remote;
    this.id = id;
    this.#clock = clock;
    this.#reader = new FrameReader({ maxMessageSizeBytes: DEFAULT_MAX_MESSAGE_SIZE_BYTES });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => this.destroy(this.#socketError(error)));
    socket.on('close', () => this.destroy(this.#closedError()));
  }

  /** Resolves the address, opens the socket and runs the handshake: a ready connection. */
  static async connect(address: Address, options: ConnectOptions): Promise<Connection> {
    const clock = options.clock ?? systemClock;
    const endpoint = parseEndpoint(address);
    let target: SocketTarget;
    let dnsMS = 0;
    if (endpoint.kind === 'unix') {
      target = { path: endpoint.path };
    } else {
      options.onPhase?.('dns');
      const resolution = await resolveAddress(endpoint.host, {
        lookup: options.lookup,
        cache: options.dnsCache,
        clock,
        timeoutMS: options.connectTimeoutMS,
        signal: options.signal,
      });
      dnsMS = resolution.durationMS;
      target = { ips: resolution.addresses, port: endpoint.port, hostname: resolution.hostname };
    }
    options.onPhase?.('connect');
    const connectStarted = clock.now();
    const connection = await Connection.open({ ...options, address, target, clock });
    const connectMS = clock.now() - connectStarted;
    options.onPhase?.('handshake');
    const onAbort = (): void => connection.destroy(abortReason(options.signal, address));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const handshakeStarted = clock.now();
      await connection.handshake(options.handshake ?? {}, { timeoutMS: options.connectTimeoutMS });
      connection.#timings = { dnsMS, connectMS, handshakeMS: clock.now() - handshakeStarted };
      return connection;
    } catch (error) {
      connection.destroy(error instanceof Error ? error : undefined);
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Opens the socket (TCP, or TLS when `tls.enabled`), trying each resolved IP in order. */
  static async open(options: OpenOptions): Promise<Connection> {
    const clock = options.clock ?? systemClock;
    const id = options.id ?? newConnectionId(options.address);
    const { target } = options;
    const destinations: Destination[] =
      'path' in target
        ? [{ path: target.path, label: target.path }]
        : target.ips.map((ip) => ({ host: ip.address, port: target.port, label: formatIp(ip) }));
    if (destinations.length === 0) throw new NetworkError(`no address to connect to for ${options.address}`);

    const started = clock.now();
    const failures: Error[] = [];
    for (const destination of destinations) {
      const spent = clock.now() - started;
      const remaining = options.connectTimeoutMS > 0 ? options.connectTimeoutMS - spent : 0;
      if (options.connectTimeoutMS > 0 && remaining <= 0) break;
      try {
        const socket = await openSocket(options, destination, remaining, clock);
        return new Connection(socket, options.address, destination.label, id, clock);
      } catch (error) {
        if (options.signal?.aborted || error instanceof ProcessStallError) throw error;
        failures.push(error instanceof Error ? error : new NetworkError(String(error)));
      }
    }
    const last = failures[failures.length - 1];
    if (failures.length <= 1 && last) throw last;
    const tried = failures.map((f) => f.message).join('; ');
    throw failures.every((f) => f instanceof NetworkTimeoutError) && last
      ? last
      : new NetworkError(`could not connect to ${options.address}: ${tried}`, { cause: last });
  }

  /**
   * The handshake reply (hello or legacy hello), once the handshake has run; the connection
   * lets go of it here, so the first call gets it and later ones get null.
   */
  takeHandshakeReply(): Document | null {
    const reply = this.#handshakeReply;
    this.#handshakeReply = null;
    return reply;
  }

  get timings(): ConnectTimings | null {
    return this.#timings;
  }

  /** The server answered the handshake with helloOk: monitoring uses `hello`, not `isMaster`. */
  get helloOk(): boolean {
    return this.#helloOk;
  }

  /** The last reply had moreToCome: more exhaust replies will follow without a request. */
  get moreToCome(): boolean {
    return this.#moreToCome;
  }

  get destroyed(): boolean {
    return this.#destroyedBy !== null;
  }

  /**
   * Sends the first command (see initialHelloCommand) and remembers what the reply negotiates:
   * OP_MSG for wire version >= 6, `hello` when helloOk, and the server's maxMessageSizeBytes.
   */
  async handshake(settings: HandshakeSettings, options: { timeoutMS?: number } = {}): Promise<Document> {
    const { command, useOpMsg } = initialHelloCommand(settings);
    this.#supportsOpMsg = useOpMsg;
    const reply = await this.command('admin', command, options);
    const maxWireVersion = reply['maxWireVersion'];
    if (useOpMsg || (typeof maxWireVersion === 'number' && maxWireVersion >= 6)) this.#supportsOpMsg = true;
    this.#helloOk = reply['helloOk'] === true || useOpMsg;
    const maxMessageSize = reply['maxMessageSizeBytes'];
    if (typeof maxMessageSize === 'number' && Number.isInteger(maxMessageSize) && maxMessageSize >= 16) {
      if (this.#reader.buffered > 0) {
        const error = new WireProtocolError(
          `${this.address} sent bytes nobody asked for after its handshake reply`,
        );
        this.destroy(error);
        throw error;
      }
      this.#reader = new FrameReader({ maxMessageSizeBytes: maxMessageSize });
    }
    this.#handshook = true;
    this.#handshakeReply = reply;
    return reply;
  }

  /**
   * Runs one command and returns its reply document. An `ok: 0` reply is a ServerReplyError
   * (the connection stays usable); anything else that goes wrong destroys the connection.
   */
  async command(db: string, document: Document, options: CommandOptions = {}): Promise<Document> {
    const reply = this.#send(
      this.encodeCommand(db, document, options),
      commandName(document),
      options,
      false,
    );
    return this.documentOf(await reply);
  }

  /**
   * A command as this connection sends it (OP_MSG, or OP_QUERY before the handshake says OP_MSG
   * works), to be sent with {@link commandBytes}, as often as wanted.
   */
  encodeCommand(db: string, document: Document, options: { exhaustAllowed?: boolean } = {}): Buffer {
    return this.#supportsOpMsg
      ? encodeOpMsg({
          requestId: 0,
          flags: options.exhaustAllowed === true ? OpMsgFlags.exhaustAllowed : 0,
          document: { ...document, $db: db },
        })
      : encodeOpQuery({
          requestId: 0,
          fullCollectionName: `${db}.$cmd`,
          query: document,
          numberToReturn: -1,
        });
  }

  /**
   * Sends a command encoded by {@link encodeCommand} (its requestId is written in place, so the
   * frame must not be in use by another call) and returns the reply with an OP_MSG body left
   * undecoded: the monitor compares it with the last reply before decoding anything. Unlike
   * `command`, an ok: 0 reply is not an error here; {@link documentOf} says so when decoding.
   */
  commandBytes(frame: Buffer, what: string, options: { timeoutMS?: number } = {}): Promise<WireReply> {
    // Not `async` (one promise and one turn fewer per heartbeat); errors still come as rejections.
    try {
      return this.#send(frame, what, options, true);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** The reply document of `reply`, as `command` gives it (an ok: 0 reply is a ServerReplyError). */
  documentOf(reply: WireReply): Document {
    if (reply.kind !== 'msgBytes') return replyDocument(this.address, reply);
    let document: Document;
    try {
      document = decodeBody(reply.body);
    } catch (error) {
      const failure = this.#protocolError(error);
      this.destroy(failure);
      throw failure;
    }
    return replyDocument(this.address, { ...reply, kind: 'msg', document });
  }

  /**
   * Like {@link commandBytes}, with the reply (or the failure) handed to `waiter` instead of a
   * promise: `resolve` is called from the socket's data event, `reject` from destroy (or at once,
   * when the command cannot be sent); exactly one of them, once. For the monitor's polling hello,
   * which then makes no promise and no async frame per check.
   */
  sendCommandBytes(frame: Buffer, what: string, timeoutMS: number, waiter: ReplyWaiter): void {
    try {
      this.#start(frame, true);
    } catch (error) {
      waiter.reject(error as Error);
      return;
    }
    const queued = this.#queue.shift();
    if (queued) waiter.resolve(queued);
    else this.#wait(waiter, timeoutMS, what);
    this.#socket.write(frame);
  }

  #send(
    frame: Buffer,
    what: string,
    options: { timeoutMS?: number },
    bodyBytes: boolean,
  ): Promise<WireReply> {
    this.#start(frame, bodyBytes);
    const reply = this.#read(options.timeoutMS ?? 0, what);
    this.#socket.write(frame);
    return reply;
  }

  /** Makes `frame` the command whose reply is awaited (its requestId written in place); throws when busy. */
  #start(frame: Buffer, bodyBytes: boolean): void {
    this.#assertUsable();
    if (this.#moreToCome || this.#expected.length > 0 || this.#waiter) {
      throw new WaspnestError(
        `connection ${this.id} is busy: one command at a time, and exhaust replies first`,
      );
    }
    const requestId = newRequestId();
    frame.writeInt32LE(requestId, 4);
    this.#requestId = requestId;
    this.#expected = [requestId];
    this.#bodyBytes = bodyBytes;
  }

  /** Reads the next streamed reply after one that had moreToCome. */
  async nextReply(options: { timeoutMS?: number } = {}): Promise<Document> {
    return this.documentOf(await this.nextReplyBytes(options));
  }

  /** Like nextReply, with an OP_MSG body left undecoded (see commandBytes). */
  async nextReplyBytes(options: { timeoutMS?: number } = {}): Promise<WireReply> {
    this.#assertUsable();
    if (!this.#moreToCome && this.#queue.length === 0) {
      throw new WaspnestError(
        `connection ${this.id}: no exhaust reply is coming (the last reply had no moreToCome)`,
      );
    }
    this.#bodyBytes = true;
    return this.#read(options.timeoutMS ?? 0, 'exhaust');
  }

  /** Closes the socket at once; a pending read fails with `reason`. Idempotent. */
  destroy(reason?: Error): void {
    if (this.#destroyedBy) return;
    const error = reason ?? new NetworkError(`connection ${this.id} to ${this.address} was closed`);
    this.#destroyedBy = error;
    this.#moreToCome = false;
    this.#expected = [];
    this.#queue = [];
    this.#socket.destroy();
    this.#readTimer?.dispose();
    const waiter = this.#waiter;
    this.#waiter = null;
    if (waiter) waiter.reject(error);
  }

  #assertUsable(): void {
    if (this.#destroyedBy) {
      throw new NetworkError(
        `connection ${this.id} to ${this.address} is closed: ${this.#destroyedBy.message}`,
        {
          cause: this.#destroyedBy,
        },
      );
    }
  }

  #read(timeoutMS: number, what: string): Promise<WireReply> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise<WireReply>((resolve, reject) => this.#wait({ resolve, reject }, timeoutMS, what));
  }

  /** Makes `waiter` the pending read's, with its deadline. */
  #wait(waiter: ReplyWaiter, timeoutMS: number, what: string): void {
    this.#waiter = waiter;
    // No limit for 0 (the specification's connectTimeoutMS=0) or a non-finite value.
    if (!(timeoutMS > 0) || !Number.isFinite(timeoutMS)) return;
    this.#readTimeoutMS = timeoutMS;
    this.#readWhat = what;
    this.#readArmedAt = this.#clock.now();
    this.#readTimer ??= reusableTimer(this.#clock, () => this.#readTimedOut());
    this.#readTimer.arm(timeoutMS);
  }

  /** The pending read's deadline passed (see startDeadline for why a paused process is told apart). */
  #readTimedOut(): void {
    if (this.#waiter === null || this.#destroyedBy) return;
    const timeoutMS = this.#readTimeoutMS;
    const what = this.#readWhat;
    const elapsedMS = this.#clock.now() - this.#readArmedAt;
    const pending =
      this.#reader.buffered > 0 ? ` (${this.#reader.buffered} bytes of an incomplete message received)` : '';
    this.destroy(
      isProcessStall(timeoutMS, elapsedMS)
        ? new ProcessStallError(
            `no reply to ${what} from ${this.address} before its ${timeoutMS} ms deadline, but this process was paused ` +
              `(${Math.round(elapsedMS)} ms passed): the server may be fine`,
            elapsedMS,
          )
        : new NetworkTimeoutError(`${what} to ${this.address} timed out after ${timeoutMS} ms${pending}`),
    );
  }

  #onData(chunk: Buffer): void {
    if (this.#destroyedBy) return;
    let frames: Buffer[];
    try {
      frames = this.#reader.push(chunk);
    } catch (error) {
      this.destroy(this.#protocolError(error));
      return;
    }
    for (const frame of frames) {
      if (this.#destroyedBy) return;
      let message: WireReply;
      try {
        message = (this.#bodyBytes ? peekOpMsgBody(frame) : null) ?? decodeMessage(frame);
      } catch (error) {
        this.destroy(this.#protocolError(error));
        return;
      }
      this.#deliver(message);
    }
  }

  #deliver(message: WireReply): void {
    if (!this.#expected.includes(message.responseTo)) {
      this.destroy(
        new WireProtocolError(
          `${this.address} sent a reply to request ${message.responseTo}, which this connection is not waiting for`,
        ),
      );
      return;
    }
    if (message.kind === 'query') {
      this.destroy(new WireProtocolError(`${this.address} sent an OP_QUERY where a reply was expected`));
      return;
    }
    const streaming =
      (message.kind === 'msg' || message.kind === 'msgBytes') &&
      (message.flags & OpMsgFlags.moreToCome) !== 0;
    this.#moreToCome = streaming;
    // Servers answer each streamed reply to the previous reply's requestId; accept the request's too.
    this.#expected = streaming ? [message.requestId, this.#requestId] : [];
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = null;
      this.#readTimer?.cancel();
      waiter.resolve(message);
    } else if (this.#queue.push(message) > MAX_QUEUED_REPLIES) {
      this.destroy(
        new WireProtocolError(`${this.address} streamed more than ${MAX_QUEUED_REPLIES} unread replies`),
      );
    }
  }

  #protocolError(error: unknown): Error {
    const detail = error instanceof Error ? error.message : String(error);
    return new WireProtocolError(`invalid message from ${this.address}: ${detail}`, { cause: error });
  }

  #socketError(error: Error & { code?: string }): Error {
    return new NetworkError(`connection ${this.id} to ${this.address} failed: ${socketFailure(error)}`, {
      cause: error,
    });
  }

  #closedError(): Error {
    const buffered = this.#reader.buffered;
    if (buffered > 0) {
      return new WireProtocolError(
        `${this.address} closed the connection in the middle of a message (${buffered} bytes of it received)`,
      );
    }
    // A server that requires TLS closes a plain connection without a word: say so when that fits.
    const hint =
      !this.#handshook && !(this.#socket instanceof tls.TLSSocket)
        ? ' before answering the handshake (a server that requires TLS does this to a plain connection: connect with tls=true)'
        : '';
    return new NetworkError(`connection ${this.id} to ${this.address} was closed by the server${hint}`);
  }
}

function commandName(document: Document): string {
  return Object.keys(document)[0] ?? 'command';
}

function formatIp(ip: ResolvedAddress): string {
  return ip.family === 6 ? `[${ip.address}]` : ip.address;
}

/** One place to try: an IP and port, or a socket path; `label` names it in errors. */
type Destination =
  | { readonly host: string; readonly port: number; readonly label: string }
  | { readonly path: string; readonly label: string };

function abortReason(signal: CancelSignal | undefined, address: Address): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new NetworkError(`connecting to ${address} was cancelled`);
}

/** The command reply inside a message; `ok: 0` (or an OP_REPLY query failure) is a ServerReplyError. */
function replyDocument(address: Address, message: WireMessage): Document {
  let document: Document | undefined;
  let failed = false;
  if (message.kind === 'msg') {
    document = message.document;
  } else if (message.kind === 'reply') {
    document = message.documents[0];
    failed = (message.responseFlags & QUERY_FAILURE) !== 0;
  }
  if (document === undefined) throw new WireProtocolError(`${address} sent a reply without a document`);
  const ok: unknown = document['ok'];
  if (ok === undefined && !failed) {
    throw new MalformedReplyError(`${address} sent a reply without an "ok" field`, document);
  }
  if (
    failed ||
    !(ok === 1 || ok === true || (typeof ok === 'number' && ok !== 0) || isTruthyNumberLike(ok))
  ) {
    const errmsg = document['errmsg'] ?? document['$err'];
    const code = typeof document['code'] === 'number' ? document['code'] : undefined;
    const codeName = typeof document['codeName'] === 'string' ? document['codeName'] : undefined;
    const text = typeof errmsg === 'string' ? errmsg : 'command failed';
    throw new ServerReplyError(
      `${address} replied with an error: ${text}${codeName ? ` (${codeName})` : ''}`,
      code,
      codeName,
      document,
    );
  }
  return document;
}

/** `ok` as a BSON wrapper (Double, Int32, Long) that promoteValues left unpromoted. */
function isTruthyNumberLike(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const valueOf = (value as { valueOf?: () => unknown }).valueOf;
  if (typeof valueOf !== 'function') return false;
  const primitive = valueOf.call(value);
  return (typeof primitive === 'number' || typeof primitive === 'bigint') && Number(primitive) !== 0;
}

/** Words for the socket errors Node reports as `<syscall> <CODE> <address>`. */
const socketErrorWords: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the peer',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'the peer closed the connection',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};

/**
 * A socket error, said once: Node's "connect ECONNREFUSED 127.0.0.1:1" repeats the code and the
 * address the message already names, so it becomes "ECONNREFUSED (connection refused)". Messages
 * that say more than their code (TLS errors) are kept, after the code.
 */
function socketFailure(error: Error & { code?: string }): string {
  const code = error.code;
  if (code === undefined) return error.message;
  if (!error.message.includes(code)) return `${code}: ${error.message}`;
  const words = socketErrorWords[code];
  return words === undefined ? error.message : `${code} (${words})`;
}

/** ` (ip)` when the address was a host name that resolved to `label`; nothing when it was the IP already. */
function destinationNote(address: Address, label: string): string {
  const host = address.slice(0, address.lastIndexOf(':')); // IPv6 in brackets, as formatIp writes it
  return host === label ? '' : ` (${label})`;
}

/** One socket to one destination, connected (and TLS-established) within `timeoutMS` (0 = no limit). */
function openSocket(
  options: OpenOptions,
  destination: Destination,
  timeoutMS: number,
  clock: Clock,
): Promise<net.Socket> {
  const { address, signal } = options;
  const where = destinationNote(address, destination.label);
  return new Promise<net.Socket>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal, address));
      return;
    }
    const tlsSettings = options.tls?.enabled === true ? options.tls : undefined;
    let socket: net.Socket;
    if (tlsSettings) {
      const hostname = 'hostname' in options.target ? options.target.hostname : undefined;
      // SNI must be a name, never an IP literal; certificate checks use it (or the IP) as the identity.
      const servername =
        tlsSettings.servername ?? (hostname && net.isIP(hostname) === 0 ? hostname : undefined);
      const tlsOptions: tls.ConnectionOptions = {
        ...('path' in destination
          ? { path: destination.path }
          : { host: destination.host, port: destination.port }),
        servername,
        ca: tlsSettings.ca,
        cert: tlsSettings.cert,
        key: tlsSettings.key,
        rejectUnauthorized: tlsSettings.allowInvalidCertificates !== true,
      };
      if (tlsSettings.allowInvalidHostnames === true) tlsOptions.checkServerIdentity = () => undefined;
      socket = tls.connect(tlsOptions);
    } else {
      socket =
        'path' in destination
          ? net.connect({ path: destination.path })
          : net.connect({ host: destination.host, port: destination.port });
    }
    if (options.keepProcessAlive !== true) socket.unref();
    const readyEvent = tlsSettings ? 'secureConnect' : 'connect';

    const timer = startDeadline(clock, timeoutMS, ({ elapsedMS, stalled }) =>
      fail(
        stalled
          ? new ProcessStallError(
              `connecting to ${address}${where} was cut short: this process was paused (${Math.round(elapsedMS)} ms passed, ` +
                `${timeoutMS} ms allowed)`,
              elapsedMS,
            )
          : new NetworkTimeoutError(
              `connecting to ${address}${where} timed out after ${Math.round(timeoutMS)} ms`,
            ),
      ),
    );
    const onError = (error: Error & { code?: string }): void => {
      const kind = tlsSettings ? 'TLS connection' : 'connection';
      fail(
        new NetworkError(`${kind} to ${address}${where} failed: ${socketFailure(error)}`, {
          cause: error,
        }),
      );
    };
    const onClose = (): void =>
      fail(new NetworkError(`connection to ${address}${where} closed while connecting`));
    const onAbort = (): void => fail(abortReason(signal, address));
    const onReady = (): void => {
      cleanup();
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 120_000);
      resolve(socket);
    };
    function cleanup(): void {
      timer.cancel();
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off(readyEvent, onReady);
      signal?.removeEventListener('abort', onAbort);
    }
    function fail(error: Error): void {
      cleanup();
      socket.destroy();
      reject(error);
    }
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once(readyEvent, onReady);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
