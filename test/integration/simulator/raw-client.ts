/**
 * A bare wire-protocol client for tests: sends frames built with our codec and records every byte
 * and message that comes back, so a test can check exactly what a simulated server sent.
 */
import * as net from 'node:net';
import type { Document } from 'bson';
import {
  decodeMessage,
  encodeOpMsg,
  encodeOpQuery,
  FrameReader,
  type OpMsg,
  type OpReply,
  type WireMessage,
} from '../../../src/net/wire-protocol.js';

export interface CloseInfo {
  /** The socket error code (ECONNRESET, ...) if the connection ended with one. */
  readonly errorCode: string | null;
}

let nextRequestId = 1000;

export class RawClient {
  /** Every byte received, in order. */
  received: Buffer = Buffer.alloc(0);
  readonly closed: Promise<CloseInfo>;
  #socket: net.Socket;
  #reader = new FrameReader();
  #messages: WireMessage[] = [];
  #waiters: Array<{ resolve: (message: WireMessage) => void; reject: (error: Error) => void }> = [];
  #byteWaiters: Array<{ count: number; resolve: () => void }> = [];
  #ended: Error | null = null;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    let errorCode: string | null = null;
    socket.on('error', (error: Error & { code?: string }) => {
      errorCode = error.code ?? error.message;
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#fail(new Error(`connection closed${errorCode ? ` (${errorCode})` : ''}`));
        resolve({ errorCode });
      });
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  /** Connects; rejects with the socket error (e.g. ECONNREFUSED). */
  static connect(address: string): Promise<RawClient> {
    const colon = address.lastIndexOf(':');
    const socket = net.connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  /** Sends an OP_MSG command; returns its requestId. */
  sendCommand(document: Document, options: { flags?: number; checksum?: boolean } = {}): number {
    const requestId = nextRequestId++;
    this.#socket.write(
      encodeOpMsg({
        requestId,
        document: { ...document, $db: typeof document['$db'] === 'string' ? document['$db'] : 'admin' },
        ...(options.flags !== undefined ? { flags: options.flags } : {}),
        ...(options.checksum !== undefined ? { checksum: options.checksum } : {}),
      }),
    );
    return requestId;
  }

  /** Sends a command and resolves with its OP_MSG reply. */
  async command(document: Document, options: { flags?: number; checksum?: boolean } = {}): Promise<OpMsg> {
    const requestId = this.sendCommand(document, options);
    const reply = await this.nextMessage();
    if (reply.kind !== 'msg') throw new Error(`expected OP_MSG, got ${reply.kind}`);
    if (reply.responseTo !== requestId)
      throw new Error(`reply to ${reply.responseTo}, expected ${requestId}`);
    return reply;
  }

  /** Sends a legacy OP_QUERY on `<db>.$cmd` and resolves with the OP_REPLY. */
  async legacyCommand(query: Document, collection = 'admin.$cmd'): Promise<OpReply> {
    const requestId = nextRequestId++;
    this.#socket.write(encodeOpQuery({ requestId, fullCollectionName: collection, query }));
    const reply = await this.nextMessage();
    if (reply.kind !== 'reply') throw new Error(`expected OP_REPLY, got ${reply.kind}`);
    return reply;
  }

  /** Writes raw bytes. */
  write(bytes: Buffer): void {
    this.#socket.write(bytes);
  }

  /** The next decoded message; rejects when the connection ends first or sends an invalid frame. */
  nextMessage(): Promise<WireMessage> {
    const message = this.#messages.shift();
    if (message) return Promise.resolve(message);
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Resolves once at least `count` bytes were received in all. */
  bytes(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#byteWaiters.push({ count, resolve }));
  }

  /** Messages received and not yet read. */
  get pending(): number {
    return this.#messages.length;
  }

  close(): Promise<CloseInfo> {
    this.#socket.destroy();
    return this.closed;
  }

  #onData(chunk: Buffer): void {
    this.received = Buffer.concat([this.received, chunk]);
    this.#byteWaiters = this.#byteWaiters.filter((waiter) => {
      if (this.received.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
    if (this.#ended) return;
    try {
      for (const frame of this.#reader.push(chunk)) {
        const message = decodeMessage(frame);
        const waiter = this.#waiters.shift();
        if (waiter) waiter.resolve(message);
        else this.#messages.push(message);
      }
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #fail(error: Error): void {
    this.#ended ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#ended);
  }
}
