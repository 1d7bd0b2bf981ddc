/**
 * A tiny scriptable MongoDB wire server on loopback for connection and monitor tests: each request
 * goes to a handler that answers (OP_REPLY for OP_QUERY, OP_MSG for OP_MSG, streamed replies with
 * moreToCome), writes raw bytes, hangs, or drops the connection. Uses the project's wire codec.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Long, type Document, type ObjectId } from 'bson';
import {
  decodeMessage,
  encodeOpMsg,
  encodeOpReply,
  FrameReader,
  OpMsgFlags,
  type OpMsg,
  type OpQuery,
} from '../../../src/net/wire-protocol.js';

export interface ReceivedRequest {
  readonly kind: 'msg' | 'query';
  /** The command name (first key of the command document). */
  readonly name: string;
  readonly document: Document;
  readonly flags: number;
  readonly requestId: number;
  /** 1 for the first accepted connection, 2 for the next, ... */
  readonly connection: number;
}

export class ServerSideConnection {
  readonly number: number;
  readonly socket: net.Socket;
  #respondTo = 0;
  #kind: 'msg' | 'query' = 'msg';
  #nextId = 1_000_000;

  constructor(number: number, socket: net.Socket) {
    this.number = number;
    this.socket = socket;
  }

  /** Called for each request before the handler: replies answer it. */
  begin(request: OpMsg | OpQuery): void {
    this.#respondTo = request.requestId;
    this.#kind = request.kind;
  }

  /** Answers the current request; with moreToCome, later replies answer this one (exhaust). */
  reply(document: Document, options: { moreToCome?: boolean } = {}): void {
    if (this.socket.destroyed) return;
    const requestId = this.#nextId++;
    if (this.#kind === 'query') {
      this.socket.write(encodeOpReply({ requestId, responseTo: this.#respondTo, documents: [document] }));
      return;
    }
    const flags = options.moreToCome === true ? OpMsgFlags.moreToCome : 0;
    this.socket.write(encodeOpMsg({ requestId, responseTo: this.#respondTo, flags, document }));
    if (options.moreToCome === true) this.#respondTo = requestId;
  }

  /** The requestId the next reply would answer (to build hand-made frames). */
  get respondTo(): number {
    return this.#respondTo;
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export type RequestHandler = (request: ReceivedRequest, connection: ServerSideConnection) => void;

export interface WireTestServerOptions {
  readonly host?: string;
  /** Listen on a Unix socket path instead of TCP. */
  readonly path?: string;
  readonly tls?: { key: string; cert: string };
}

export class WireTestServer {
  readonly requests: ReceivedRequest[] = [];
  readonly connections: ServerSideConnection[] = [];
  handler: RequestHandler;
  #server: net.Server;
  #waiters: { predicate: (r: ReceivedRequest) => boolean; resolve: (r: ReceivedRequest) => void }[] = [];
  #connectionWaiters: ((c: ServerSideConnection) => void)[] = [];

  private constructor(server: net.Server, handler: RequestHandler) {
    this.#server = server;
    this.handler = handler;
  }

  static async start(handler: RequestHandler, options: WireTestServerOptions = {}): Promise<WireTestServer> {
    const holder: { self?: WireTestServer } = {};
    const onSocket = (socket: net.Socket): void => {
      if (holder.self) holder.self.#accept(socket);
    };
    const server = options.tls
      ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, onSocket)
      : net.createServer(onSocket);
    const self = new WireTestServer(server, handler);
    holder.self = self;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (options.path !== undefined) server.listen(options.path, resolve);
      else server.listen(0, options.host ?? '127.0.0.1', resolve);
    });
    // The test process must be free to exit whatever the server holds.
    server.unref();
    return self;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** `127.0.0.1:<port>`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Resolves with the next request matching `predicate` that arrives after this call. */
  nextRequest(predicate: (r: ReceivedRequest) => boolean = () => true): Promise<ReceivedRequest> {
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }));
  }

  /** Resolves with the next accepted connection. */
  nextConnection(): Promise<ServerSideConnection> {
    return new Promise((resolve) => this.#connectionWaiters.push(resolve));
  }

  count(name: string): number {
    return this.requests.filter((r) => r.name === name).length;
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    socket.unref();
    const connection = new ServerSideConnection(this.connections.length + 1, socket);
    this.connections.push(connection);
    for (const waiter of this.#connectionWaiters.splice(0)) waiter(connection);
    const reader = new FrameReader();
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const message = decodeMessage(frame);
        if (message.kind === 'reply') continue;
        const document = message.kind === 'msg' ? message.document : message.query;
        const request: ReceivedRequest = {
          kind: message.kind,
          name: Object.keys(document)[0] ?? '',
          document,
          flags: message.flags,
          requestId: message.requestId,
          connection: connection.number,
        };
        this.requests.push(request);
        connection.begin(message);
        this.handler(request, connection);
        const index = this.#waiters.findIndex((w) => w.predicate(request));
        if (index >= 0) this.#waiters.splice(index, 1)[0]?.resolve(request);
      }
    });
  }
}

/** A hello reply of a healthy standalone; `extra` overrides or adds fields. */
export function helloReply(extra: Document = {}): Document {
  return {
    ok: 1,
    isWritablePrimary: true,
    ismaster: true,
    helloOk: true,
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    minWireVersion: 0,
    maxWireVersion: 21,
    ...extra,
  };
}

/** A topologyVersion as a server sends it. */
export function topologyVersion(processId: ObjectId, counter: number): Document {
  return { processId, counter: Long.fromNumber(counter) };
}

/** Answers every hello/isMaster with `helloReply(extra)`. */
export function answerHello(extra: Document = {}): RequestHandler {
  return (request, connection) => {
    if (request.name === 'hello' || request.name === 'isMaster' || request.name === 'ismaster') {
      connection.reply(helloReply(extra));
    } else {
      connection.reply({
        ok: 0,
        errmsg: `no such command: '${request.name}'`,
        code: 59,
        codeName: 'CommandNotFound',
      });
    }
  };
}
