/**
 * The MongoDB wire protocol as bytes: the 16-byte header, OP_MSG (kind-0 body and kind-1 document
 * sequences, checksum flag), legacy OP_QUERY and its OP_REPLY, and a bounded frame reader that
 * cuts a TCP byte stream into whole messages. Both sides use it: our connections (client) and the
 * testing kit's simulated servers.
 *
 * Decoding never lets a bson or RangeError escape: every malformed input becomes a
 * WireProtocolError that says what was wrong and where.
 *
 * Numbers: documents are deserialized with `promoteLongs: true` (bson's default, made explicit), so
 * an int64 such as `topologyVersion.counter` arrives as a plain `number` when it fits in
 * ±(2^53 - 1) and stays a bson `Long` otherwise: no precision is ever lost silently. Only the
 * OP_REPLY header's cursorId is read as a `bigint`, since cursor ids use all 64 bits.
 */
import { BSONError, deserialize, serialize, type Document } from 'bson';
import { WireProtocolError } from '../errors.js';

/** The opcodes waspnest reads or writes. */
export const OpCode = { OP_REPLY: 1, OP_QUERY: 2004, OP_COMPRESSED: 2012, OP_MSG: 2013 } as const;
export type OpCode = (typeof OpCode)[keyof typeof OpCode];

/** OP_MSG flagBits. Bits 0-15 are "required": a reader must reject a message with one it does not know. */
export const OpMsgFlags = { checksumPresent: 1, moreToCome: 2, exhaustAllowed: 1 << 16 } as const;

/** The header is four int32s: messageLength, requestID, responseTo, opCode. */
export const HEADER_SIZE = 16;
/** The MongoDB server's default (and usual) maxMessageSizeBytes. */
export const DEFAULT_MAX_MESSAGE_SIZE_BYTES = 48_000_000;

const KNOWN_REQUIRED_FLAGS = OpMsgFlags.checksumPresent | OpMsgFlags.moreToCome;
const REQUIRED_FLAGS_MASK = 0xffff;
const MIN_BSON_DOCUMENT_SIZE = 5;

/** An OP_MSG. Kind-1 document sequences are merged into `document` as arrays under their identifiers. */
export interface OpMsg {
  kind: 'msg';
  requestId: number;
  responseTo: number;
  flags: number;
  document: Document;
}

/** A legacy OP_QUERY (still used for the first `isMaster`/`hello` by clients that do not know the server). */
export interface OpQuery {
  kind: 'query';
  requestId: number;
  responseTo: number;
  flags: number;
  fullCollectionName: string;
  numberToSkip: number;
  numberToReturn: number;
  query: Document;
  /** The optional projection document that may follow the query. */
  returnFieldsSelector?: Document;
}

/** A legacy OP_REPLY, the answer to an OP_QUERY. */
export interface OpReply {
  kind: 'reply';
  requestId: number;
  responseTo: number;
  responseFlags: number;
  cursorId: bigint;
  startingFrom: number;
  documents: Document[];
}

export type WireMessage = OpMsg | OpQuery | OpReply;

/**
 * Serializes one document. `ignoreUndefined` drops properties whose value is `undefined`, so an
 * optional field left undefined in an object literal is absent on the wire rather than null.
 */
function bsonBytes(document: Document): Buffer {
  const bytes = serialize(document, { ignoreUndefined: true, checkKeys: false });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * One wire message in one buffer: the standard header (its length counts everything), then
 * `parts` in order, then `trailer` bytes left for the caller to fill (an OP_MSG checksum).
 */
function wireMessage(
  opCode: number,
  requestId: number,
  responseTo: number,
  parts: readonly Uint8Array[],
  trailer = 0,
): Buffer {
  let length = HEADER_SIZE + trailer;
  for (const part of parts) length += part.byteLength;
  const message = Buffer.allocUnsafe(length);
  message.writeInt32LE(length, 0);
  message.writeInt32LE(requestId, 4);
  message.writeInt32LE(responseTo, 8);
  message.writeInt32LE(opCode, 12);
  let offset = HEADER_SIZE;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.byteLength;
  }
  return message;
}

function cstring(value: string): Buffer {
  if (value.includes('\0'))
    throw new WireProtocolError(`a C string may not contain a NUL byte: ${JSON.stringify(value)}`);
  return Buffer.from(`${value}\0`, 'utf8');
}

/** The section kinds of OP_MSG: a body document, and a document sequence. */
const KIND_BODY = Uint8Array.of(0);
const KIND_SEQUENCE = Uint8Array.of(1);

/**
 * Encodes an OP_MSG with one kind-0 section holding `document`. `sequences` adds kind-1 sections
 * (identifier → documents), as drivers do for large `documents`/`updates`/`deletes` arrays.
 * With `checksum: true` the checksumPresent flag is set and a CRC-32C of the message is appended;
 * otherwise the flag is cleared, so a message never claims a checksum it does not carry.
 */
export function encodeOpMsg(m: {
  requestId: number;
  responseTo?: number;
  flags?: number;
  document: Document;
  sequences?: Readonly<Record<string, readonly Document[]>>;
  checksum?: boolean;
}): Buffer {
  let flags = (m.flags ?? 0) >>> 0;
  if (m.checksum === true) flags |= OpMsgFlags.checksumPresent;
  else flags &= ~OpMsgFlags.checksumPresent;
  const flagBytes = Buffer.allocUnsafe(4);
  flagBytes.writeUInt32LE(flags >>> 0, 0);
  const parts: Uint8Array[] = [flagBytes, KIND_BODY, bsonBytes(m.document)];
  for (const [identifier, documents] of Object.entries(m.sequences ?? {})) {
    const name = cstring(identifier);
    const bodies = documents.map(bsonBytes);
    const size = 4 + name.length + bodies.reduce((sum, body) => sum + body.length, 0);
    const sizeBytes = Buffer.allocUnsafe(4);
    sizeBytes.writeInt32LE(size, 0);
    parts.push(KIND_SEQUENCE, sizeBytes, name, ...bodies);
  }
  if (m.checksum !== true) return wireMessage(OpCode.OP_MSG, m.requestId, m.responseTo ?? 0, parts);
  const message = wireMessage(OpCode.OP_MSG, m.requestId, m.responseTo ?? 0, parts, 4);
  message.writeUInt32LE(crc32c(message.subarray(0, message.length - 4)), message.length - 4);
  return message;
}

/**
 * Encodes a legacy OP_QUERY. `numberToReturn` defaults to -1 (return one batch and close the
 * cursor), the value commands on `<db>.$cmd` use.
 */
export function encodeOpQuery(m: {
  requestId: number;
  fullCollectionName: string;
  query: Document;
  numberToReturn?: number;
  numberToSkip?: number;
  flags?: number;
  responseTo?: number;
  returnFieldsSelector?: Document;
}): Buffer {
  const fixed = Buffer.allocUnsafe(4);
  fixed.writeInt32LE(m.flags ?? 0, 0);
  const counts = Buffer.allocUnsafe(8);
  counts.writeInt32LE(m.numberToSkip ?? 0, 0);
  counts.writeInt32LE(m.numberToReturn ?? -1, 4);
  const parts = [fixed, cstring(m.fullCollectionName), counts, bsonBytes(m.query)];
  if (m.returnFieldsSelector !== undefined) parts.push(bsonBytes(m.returnFieldsSelector));
  return wireMessage(OpCode.OP_QUERY, m.requestId, m.responseTo ?? 0, parts);
}

/** Encodes a legacy OP_REPLY (the answer to an OP_QUERY). */
export function encodeOpReply(m: {
  requestId: number;
  responseTo: number;
  documents: Document[];
  responseFlags?: number;
  cursorId?: bigint;
  startingFrom?: number;
}): Buffer {
  const fixed = Buffer.allocUnsafe(20);
  fixed.writeInt32LE(m.responseFlags ?? 0, 0);
  fixed.writeBigInt64LE(m.cursorId ?? 0n, 4);
  fixed.writeInt32LE(m.startingFrom ?? 0, 12);
  fixed.writeInt32LE(m.documents.length, 16);
  return wireMessage(OpCode.OP_REPLY, m.requestId, m.responseTo, [fixed, ...m.documents.map(bsonBytes)]);
}

/**
 * Decodes one whole message (header included), as FrameReader returns them.
 * @throws WireProtocolError when the bytes are not a valid message of a known opcode.
 */
export function decodeMessage(frame: Buffer): WireMessage {
  if (frame.length < HEADER_SIZE) {
    throw new WireProtocolError(
      `message of ${frame.length} bytes is shorter than the ${HEADER_SIZE}-byte header`,
    );
  }
  const messageLength = frame.readInt32LE(0);
  if (messageLength !== frame.length) {
    throw new WireProtocolError(
      `message header says ${messageLength} bytes but the frame has ${frame.length}`,
    );
  }
  const requestId = frame.readInt32LE(4);
  const responseTo = frame.readInt32LE(8);
  const opCode = frame.readInt32LE(12);
  const cursor = new Cursor(frame, HEADER_SIZE);
  switch (opCode) {
    case OpCode.OP_MSG:
      return decodeOpMsg(cursor, requestId, responseTo);
    case OpCode.OP_QUERY:
      return decodeOpQuery(cursor, requestId, responseTo);
    case OpCode.OP_REPLY:
      return decodeOpReply(cursor, requestId, responseTo);
    case OpCode.OP_COMPRESSED:
      throw new WireProtocolError('OP_COMPRESSED messages are not supported (no compressor was negotiated)');
    default:
      throw new WireProtocolError(`unknown opCode ${opCode} in message ${requestId}`);
  }
}

/**
 * An OP_MSG whose one body section was not decoded: its BSON bytes, to be compared with the last
 * reply's or decoded with {@link decodeBody}. Only the monitor asks for replies this way.
 */
export interface OpMsgBytes {
  readonly kind: 'msgBytes';
  readonly requestId: number;
  readonly responseTo: number;
  readonly flags: number;
  /** The body document's bytes (a view into the frame). */
  readonly body: Buffer;
}

const BODY_OFFSET = HEADER_SIZE + 5;

/**
 * Reads a frame only as far as an OP_MSG with exactly one body section and no checksum, the
 * shape of every hello reply: its header, flags and body bytes, nothing decoded. Null for any
 * other frame (decode it with {@link decodeMessage}, which also says what is wrong with it).
 */
export function peekOpMsgBody(frame: Buffer): OpMsgBytes | null {
  if (frame.length < BODY_OFFSET + MIN_BSON_DOCUMENT_SIZE) return null;
  if (frame.readInt32LE(0) !== frame.length || frame.readInt32LE(12) !== OpCode.OP_MSG) return null;
  const flags = frame.readUInt32LE(HEADER_SIZE);
  if ((flags & REQUIRED_FLAGS_MASK & ~KNOWN_REQUIRED_FLAGS) !== 0) return null;
  if ((flags & OpMsgFlags.checksumPresent) !== 0 || frame[HEADER_SIZE + 4] !== 0) return null;
  if (frame.readInt32LE(BODY_OFFSET) !== frame.length - BODY_OFFSET) return null;
  return {
    kind: 'msgBytes',
    requestId: frame.readInt32LE(4),
    responseTo: frame.readInt32LE(8),
    flags,
    body: frame.subarray(BODY_OFFSET),
  };
}

/** Decodes body bytes as decodeMessage decodes a body. @throws WireProtocolError for invalid BSON. */
export function decodeBody(body: Uint8Array, what = 'OP_MSG body'): Document {
  try {
    return deserialize(body, { promoteLongs: true, promoteValues: true });
  } catch (error) {
    const detail = error instanceof BSONError || error instanceof Error ? error.message : String(error);
    throw new WireProtocolError(`${what} is not valid BSON: ${detail}`, { cause: error });
  }
}

function decodeOpMsg(cursor: Cursor, requestId: number, responseTo: number): OpMsg {
  const flags = cursor.uint32('OP_MSG flagBits');
  const unknownRequired = flags & REQUIRED_FLAGS_MASK & ~KNOWN_REQUIRED_FLAGS;
  if (unknownRequired !== 0) {
    throw new WireProtocolError(`OP_MSG has unknown required flag bits 0x${unknownRequired.toString(16)}`);
  }
  // The checksum, when present, is the last 4 bytes; we accept it without verifying (as the spec allows).
  const end = (flags & OpMsgFlags.checksumPresent) !== 0 ? cursor.limit - 4 : cursor.limit;
  if (end < cursor.offset) throw new WireProtocolError('OP_MSG is too short to hold its checksum');
  let body: Document | undefined;
  const sequences: Array<[string, Document[]]> = [];
  while (cursor.offset < end) {
    const sectionKind = cursor.uint8('OP_MSG section kind', end);
    if (sectionKind === 0) {
      if (body !== undefined) throw new WireProtocolError('OP_MSG has more than one kind-0 (body) section');
      body = cursor.document('OP_MSG body', end);
    } else if (sectionKind === 1) {
      const start = cursor.offset;
      const size = cursor.int32('OP_MSG document sequence size', end);
      const sequenceEnd = start + size;
      if (size < 5 || sequenceEnd > end) {
        throw new WireProtocolError(
          `OP_MSG document sequence at offset ${start} declares ${size} bytes but ${end - start} remain`,
        );
      }
      const identifier = cursor.cstring('OP_MSG document sequence identifier', sequenceEnd);
      const documents: Document[] = [];
      while (cursor.offset < sequenceEnd)
        documents.push(cursor.document(`document sequence '${identifier}'`, sequenceEnd));
      sequences.push([identifier, documents]);
    } else {
      throw new WireProtocolError(
        `OP_MSG has unknown section kind ${sectionKind} at offset ${cursor.offset - 1}`,
      );
    }
  }
  if (body === undefined) throw new WireProtocolError('OP_MSG has no kind-0 (body) section');
  for (const [identifier, documents] of sequences) {
    if (Object.prototype.hasOwnProperty.call(body, identifier)) {
      throw new WireProtocolError(
        `OP_MSG field '${identifier}' appears in the body and as a document sequence`,
      );
    }
    body[identifier] = documents;
  }
  return { kind: 'msg', requestId, responseTo, flags, document: body };
}

function decodeOpQuery(cursor: Cursor, requestId: number, responseTo: number): OpQuery {
  const flags = cursor.int32('OP_QUERY flags');
  const fullCollectionName = cursor.cstring('OP_QUERY fullCollectionName');
  const numberToSkip = cursor.int32('OP_QUERY numberToSkip');
  const numberToReturn = cursor.int32('OP_QUERY numberToReturn');
  const query = cursor.document('OP_QUERY query');
  const message: OpQuery = {
    kind: 'query',
    requestId,
    responseTo,
    flags,
    fullCollectionName,
    numberToSkip,
    numberToReturn,
    query,
  };
  if (cursor.offset < cursor.limit)
    message.returnFieldsSelector = cursor.document('OP_QUERY returnFieldsSelector');
  if (cursor.offset !== cursor.limit) {
    throw new WireProtocolError(`OP_QUERY has ${cursor.limit - cursor.offset} unexpected trailing bytes`);
  }
  return message;
}

function decodeOpReply(cursor: Cursor, requestId: number, responseTo: number): OpReply {
  const responseFlags = cursor.int32('OP_REPLY responseFlags');
  const cursorId = cursor.int64('OP_REPLY cursorID');
  const startingFrom = cursor.int32('OP_REPLY startingFrom');
  const numberReturned = cursor.int32('OP_REPLY numberReturned');
  if (numberReturned < 0)
    throw new WireProtocolError(`OP_REPLY numberReturned is negative (${numberReturned})`);
  const documents: Document[] = [];
  for (let i = 0; i < numberReturned; i++) documents.push(cursor.document(`OP_REPLY document ${i}`));
  if (cursor.offset !== cursor.limit) {
    throw new WireProtocolError(
      `OP_REPLY says ${numberReturned} documents but ${cursor.limit - cursor.offset} bytes follow them`,
    );
  }
  return { kind: 'reply', requestId, responseTo, responseFlags, cursorId, startingFrom, documents };
}

/** Reads a message body front to back; every read checks its bounds and names what it was reading. */
class Cursor {
  constructor(
    private readonly bytes: Buffer,
    public offset: number,
    public readonly limit: number = bytes.length,
  ) {}

  #need(count: number, what: string, end: number): void {
    if (this.offset + count > end) {
      throw new WireProtocolError(
        `message truncated: ${what} needs ${count} bytes at offset ${this.offset} but only ${Math.max(0, end - this.offset)} remain`,
      );
    }
  }

  uint8(what: string, end = this.limit): number {
    this.#need(1, what, end);
    return this.bytes.readUInt8(this.offset++);
  }

  int32(what: string, end = this.limit): number {
    this.#need(4, what, end);
    const value = this.bytes.readInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  uint32(what: string, end = this.limit): number {
    this.#need(4, what, end);
    const value = this.bytes.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  int64(what: string, end = this.limit): bigint {
    this.#need(8, what, end);
    const value = this.bytes.readBigInt64LE(this.offset);
    this.offset += 8;
    return value;
  }

  cstring(what: string, end = this.limit): string {
    const nul = this.bytes.indexOf(0, this.offset);
    if (nul < 0 || nul >= end)
      throw new WireProtocolError(
        `message truncated: ${what} at offset ${this.offset} has no NUL terminator`,
      );
    const value = this.bytes.toString('utf8', this.offset, nul);
    this.offset = nul + 1;
    return value;
  }

  document(what: string, end = this.limit): Document {
    const start = this.offset;
    const size = this.int32(`${what} length`, end);
    if (size < MIN_BSON_DOCUMENT_SIZE || start + size > end) {
      throw new WireProtocolError(
        `${what} at offset ${start} declares ${size} bytes but ${end - start} remain in the message`,
      );
    }
    this.offset = start + size;
    try {
      return deserialize(this.bytes.subarray(start, start + size), {
        promoteLongs: true,
        promoteValues: true,
      });
    } catch (error) {
      const detail = error instanceof BSONError || error instanceof Error ? error.message : String(error);
      throw new WireProtocolError(`${what} at offset ${start} is not valid BSON: ${detail}`, {
        cause: error,
      });
    }
  }
}

/**
 * The first line of `bytes` when they are printable text (an HTTP server's reply, a banner), at
 * most 60 characters; null for binary data. A MongoDB message starts with its length, whose four
 * little-endian bytes are never all printable for a length a server may send.
 */
function leadingText(bytes: Buffer): string | null {
  const firstLine = bytes.toString('latin1').split(/\r?\n/, 1)[0] ?? '';
  if (firstLine.length < 4 || !/^[\x20-\x7e]+$/.test(firstLine)) return null;
  return firstLine.length > 60 ? `${firstLine.slice(0, 60)}…` : firstLine;
}

/**
 * Cuts a byte stream into whole messages. Partial frames are kept until the rest arrives; a
 * declared length below the header size or above `maxMessageSizeBytes` is a WireProtocolError,
 * after which the reader stays failed (the stream cannot be resynchronised) and rethrows it.
 */
export class FrameReader {
  readonly maxMessageSizeBytes: number;
  #chunks: Buffer[] = [];
  #length = 0;
  #failure: WireProtocolError | null = null;

  constructor(options?: { maxMessageSizeBytes?: number }) {
    this.maxMessageSizeBytes = options?.maxMessageSizeBytes ?? DEFAULT_MAX_MESSAGE_SIZE_BYTES;
  }

  /** Bytes received that do not yet form a whole message. */
  get buffered(): number {
    return this.#length;
  }

  /** Adds received bytes; returns the messages they completed, in order (each a whole frame, header included). */
  push(chunk: Buffer): Buffer[] {
    if (this.#failure) throw this.#failure;
    // The usual read: nothing buffered and the chunk is one whole message. Taken without the
    // chunk list, which then never grows a backing store (one reader per server at scale).
    if (this.#length === 0 && chunk.length >= HEADER_SIZE) {
      const size = chunk.readInt32LE(0);
      if (size === chunk.length && size <= this.maxMessageSizeBytes) return [chunk];
    }
    const frames: Buffer[] = [];
    if (chunk.length === 0) return frames;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    while (this.#length >= 4) {
      const size = this.#peekLength();
      if (size < HEADER_SIZE || size > this.maxMessageSizeBytes) {
        const text = leadingText(Buffer.concat(this.#chunks, Math.min(this.#length, 256)));
        this.#chunks = [];
        this.#length = 0;
        const problem =
          size < HEADER_SIZE
            ? `message length ${size} is smaller than the ${HEADER_SIZE}-byte header`
            : `message length ${size} exceeds maxMessageSizeBytes ${this.maxMessageSizeBytes}`;
        this.#failure = new WireProtocolError(
          text === null
            ? problem
            : `the peer is not a MongoDB server: it sent text (${JSON.stringify(text)}) where a ` +
                `wire protocol message was expected (${problem})`,
        );
        throw this.#failure;
      }
      if (this.#length < size) break;
      frames.push(this.#take(size));
    }
    return frames;
  }

  #peekLength(): number {
    const first = this.#chunks[0];
    if (first && first.length >= 4) return first.readInt32LE(0);
    const head = Buffer.concat(this.#chunks, Math.min(this.#length, 4 * this.#chunks.length));
    return head.readInt32LE(0);
  }

  /** Removes the first `size` bytes; copies them so a frame never pins a larger socket chunk. */
  #take(size: number): Buffer {
    const first = this.#chunks[0];
    if (first && first.length === size) {
      this.#chunks.shift();
      this.#length -= size;
      return first;
    }
    const frame = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const chunk = this.#chunks[0];
      if (!chunk) break;
      const count = Math.min(chunk.length, size - filled);
      chunk.copy(frame, filled, 0, count);
      filled += count;
      if (count === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(count);
    }
    this.#length -= size;
    return frame;
  }
}

let crcTable: Uint32Array | null = null;

/** CRC-32C (Castagnoli), the checksum OP_MSG uses. */
export function crc32c(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (crcTable[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
