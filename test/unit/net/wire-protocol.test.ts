import { Long, ObjectId, serialize } from 'bson';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WireProtocolError } from '../../../src/errors.js';
import {
  crc32c,
  decodeMessage,
  encodeOpMsg,
  encodeOpQuery,
  encodeOpReply,
  FrameReader,
  OpCode,
  OpMsgFlags,
  type OpMsg,
  type OpQuery,
  type OpReply,
  type WireMessage,
} from '../../../src/net/wire-protocol.js';

function decodeAs<K extends WireMessage['kind']>(frame: Buffer, kind: K): Extract<WireMessage, { kind: K }> {
  const message = decodeMessage(frame);
  expect(message.kind).toBe(kind);
  return message as Extract<WireMessage, { kind: K }>;
}

/** Builds an OP_MSG by hand from raw section bytes, to test what our encoder never writes. */
function rawOpMsg(flags: number, sections: Buffer[], trailer: Buffer = Buffer.alloc(0)): Buffer {
  const flagBytes = Buffer.alloc(4);
  flagBytes.writeUInt32LE(flags >>> 0, 0);
  const body = Buffer.concat([flagBytes, ...sections, trailer]);
  const head = Buffer.alloc(16);
  head.writeInt32LE(16 + body.length, 0);
  head.writeInt32LE(7, 4);
  head.writeInt32LE(0, 8);
  head.writeInt32LE(OpCode.OP_MSG, 12);
  return Buffer.concat([head, body]);
}

function kind0(document: Record<string, unknown>): Buffer {
  return Buffer.concat([Buffer.from([0]), Buffer.from(serialize(document))]);
}

function kind1(identifier: string, documents: Record<string, unknown>[]): Buffer {
  const name = Buffer.from(`${identifier}\0`);
  const bodies = documents.map((d) => Buffer.from(serialize(d)));
  const size = Buffer.alloc(4);
  size.writeInt32LE(4 + name.length + bodies.reduce((n, b) => n + b.length, 0), 0);
  return Buffer.concat([Buffer.from([1]), size, name, ...bodies]);
}

function expectWireError(action: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(WireProtocolError);
  expect((caught as Error).message).toMatch(pattern);
}

describe('OP_MSG', () => {
  it('round-trips the header fields, flags and body', () => {
    const id = new ObjectId();
    const frame = encodeOpMsg({
      requestId: 42,
      responseTo: 41,
      flags: OpMsgFlags.moreToCome | OpMsgFlags.exhaustAllowed,
      document: { hello: 1, $db: 'admin', nested: { a: [1, 'two', null] }, id, dropped: undefined },
    });
    expect(frame.readInt32LE(0)).toBe(frame.length);
    expect(frame.readInt32LE(12)).toBe(OpCode.OP_MSG);
    const message: OpMsg = decodeAs(frame, 'msg');
    expect(message.requestId).toBe(42);
    expect(message.responseTo).toBe(41);
    expect(message.flags).toBe(OpMsgFlags.moreToCome | OpMsgFlags.exhaustAllowed);
    expect(message.document).toEqual({ hello: 1, $db: 'admin', nested: { a: [1, 'two', null] }, id });
    expect('dropped' in message.document).toBe(false);
  });

  it('gives int64 values as numbers when they are safe and as Long otherwise', () => {
    const big = Long.fromString('1152921504606846976'); // 2^60
    const message = decodeAs(
      encodeOpMsg({ requestId: 1, document: { small: Long.fromNumber(7), big } }),
      'msg',
    );
    expect(message.document['small']).toBe(7);
    expect(message.document['big']).toBeInstanceOf(Long);
    expect((message.document['big'] as Long).toString()).toBe('1152921504606846976');
  });

  it('computes CRC-32C correctly (standard check value)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('appends a checksum when asked and accepts one when decoding', () => {
    const frame = encodeOpMsg({ requestId: 3, document: { ping: 1 }, checksum: true });
    const message = decodeAs(frame, 'msg');
    expect(message.flags & OpMsgFlags.checksumPresent).toBe(OpMsgFlags.checksumPresent);
    expect(message.document).toEqual({ ping: 1 });
    expect(frame.readUInt32LE(frame.length - 4)).toBe(crc32c(frame.subarray(0, frame.length - 4)));
  });

  it('merges kind-1 document sequences into the body as arrays', () => {
    const frame = encodeOpMsg({
      requestId: 5,
      document: { insert: 'c', $db: 'test' },
      sequences: { documents: [{ _id: 1 }, { _id: 2 }], empty: [] },
    });
    const message = decodeAs(frame, 'msg');
    expect(message.document).toEqual({
      insert: 'c',
      $db: 'test',
      documents: [{ _id: 1 }, { _id: 2 }],
      empty: [],
    });
  });

  it('reads a kind-1 section placed before the body', () => {
    const frame = rawOpMsg(0, [kind1('updates', [{ q: {} }]), kind0({ update: 'c' })]);
    expect(decodeAs(frame, 'msg').document).toEqual({ update: 'c', updates: [{ q: {} }] });
  });

  it('accepts unknown optional flag bits', () => {
    const frame = rawOpMsg(1 << 20, [kind0({ ok: 1 })]);
    expect(decodeAs(frame, 'msg').flags).toBe(1 << 20);
  });

  it('rejects unknown required flag bits', () => {
    expectWireError(
      () => decodeMessage(rawOpMsg(1 << 4, [kind0({ ok: 1 })])),
      /unknown required flag bits 0x10/,
    );
  });

  it('rejects a message without a body, with two bodies, or with an unknown section kind', () => {
    expectWireError(() => decodeMessage(rawOpMsg(0, [])), /no kind-0/);
    expectWireError(
      () => decodeMessage(rawOpMsg(0, [kind0({ a: 1 }), kind0({ b: 1 })])),
      /more than one kind-0/,
    );
    expectWireError(
      () => decodeMessage(rawOpMsg(0, [Buffer.from([2, 0, 0, 0, 0])])),
      /unknown section kind 2/,
    );
  });

  it('rejects a sequence whose identifier is also a body field', () => {
    expectWireError(
      () => decodeMessage(rawOpMsg(0, [kind0({ documents: 1 }), kind1('documents', [{ a: 1 }])])),
      /appears in the body and as a document sequence/,
    );
  });

  it('rejects sequences whose size overruns the message', () => {
    const section = kind1('docs', [{ a: 1 }]);
    section.writeInt32LE(1000, 1);
    expectWireError(() => decodeMessage(rawOpMsg(0, [kind0({ a: 1 }), section])), /declares 1000 bytes/);
  });

  it('rejects a checksum flag on a message too short to hold one', () => {
    expectWireError(
      () => decodeMessage(rawOpMsg(OpMsgFlags.checksumPresent, [])),
      /too short to hold its checksum/,
    );
  });
});

describe('OP_QUERY and OP_REPLY', () => {
  it('round-trips an OP_QUERY with a projection', () => {
    const frame = encodeOpQuery({
      requestId: 9,
      fullCollectionName: 'admin.$cmd',
      query: { isMaster: 1, helloOk: true },
      numberToSkip: 2,
      flags: 4,
      returnFieldsSelector: { a: 1 },
    });
    const message: OpQuery = decodeAs(frame, 'query');
    expect(message).toEqual({
      kind: 'query',
      requestId: 9,
      responseTo: 0,
      flags: 4,
      fullCollectionName: 'admin.$cmd',
      numberToSkip: 2,
      numberToReturn: -1,
      query: { isMaster: 1, helloOk: true },
      returnFieldsSelector: { a: 1 },
    });
  });

  it('round-trips an OP_REPLY with a 64-bit cursor id', () => {
    const frame = encodeOpReply({
      requestId: 10,
      responseTo: 9,
      documents: [{ ismaster: true }, { second: 2 }],
      responseFlags: 8,
      cursorId: -(2n ** 62n),
    });
    const message: OpReply = decodeAs(frame, 'reply');
    expect(message).toEqual({
      kind: 'reply',
      requestId: 10,
      responseTo: 9,
      responseFlags: 8,
      cursorId: -(2n ** 62n),
      startingFrom: 0,
      documents: [{ ismaster: true }, { second: 2 }],
    });
  });

  it('rejects an OP_REPLY whose document count disagrees with its bytes', () => {
    const frame = encodeOpReply({ requestId: 1, responseTo: 1, documents: [{ a: 1 }] });
    const lying = Buffer.from(frame);
    lying.writeInt32LE(2, 16 + 16);
    expectWireError(() => decodeMessage(lying), /OP_REPLY document 1 length/);
    const short = Buffer.from(frame);
    short.writeInt32LE(0, 16 + 16);
    expectWireError(() => decodeMessage(short), /says 0 documents but \d+ bytes follow/);
    const negative = Buffer.from(frame);
    negative.writeInt32LE(-1, 16 + 16);
    expectWireError(() => decodeMessage(negative), /numberReturned is negative/);
  });

  it('rejects an OP_QUERY without a NUL-terminated collection name', () => {
    const frame = encodeOpQuery({ requestId: 1, fullCollectionName: 'a', query: {} });
    const cut = Buffer.from(frame.subarray(0, 21)); // header + flags + 'a', no NUL
    cut.writeInt32LE(cut.length, 0);
    expectWireError(() => decodeMessage(cut), /no NUL terminator/);
  });
});

describe('decodeMessage on bad input', () => {
  it('rejects frames shorter than the header or whose length field disagrees', () => {
    expectWireError(() => decodeMessage(Buffer.alloc(3)), /shorter than the 16-byte header/);
    const frame = encodeOpMsg({ requestId: 1, document: { a: 1 } });
    expectWireError(
      () => decodeMessage(Buffer.concat([frame, Buffer.from([0])])),
      /header says \d+ bytes but the frame has/,
    );
  });

  it('rejects OP_COMPRESSED and unknown opcodes', () => {
    const frame = Buffer.from(encodeOpMsg({ requestId: 1, document: { a: 1 } }));
    frame.writeInt32LE(OpCode.OP_COMPRESSED, 12);
    expectWireError(() => decodeMessage(frame), /OP_COMPRESSED/);
    frame.writeInt32LE(1234, 12);
    expectWireError(() => decodeMessage(frame), /unknown opCode 1234/);
  });

  it('rejects every truncation of a valid message, re-headed to its new length', () => {
    const frames = [
      encodeOpMsg({ requestId: 1, document: { hello: 1, hosts: ['a:1', 'b:2'] } }),
      // A body then a sequence: only cuts inside the sequence are tested (the body alone is valid).
      encodeOpMsg({ requestId: 1, document: { insert: 'c' }, sequences: { d: [{ x: 1 }, { y: 2 }] } }),
      encodeOpQuery({ requestId: 2, fullCollectionName: 'admin.$cmd', query: { isMaster: 1 } }),
      encodeOpReply({ requestId: 3, responseTo: 2, documents: [{ ok: 1 }] }),
    ];
    const bodyEnd = 16 + 4 + 1 + Buffer.from(serialize({ insert: 'c' })).length;
    for (const [index, frame] of frames.entries()) {
      for (let cut = index === 1 ? bodyEnd + 1 : 16; cut < frame.length; cut++) {
        const truncated = Buffer.from(frame.subarray(0, cut));
        truncated.writeInt32LE(cut, 0);
        expect(() => decodeMessage(truncated)).toThrow(WireProtocolError);
      }
    }
  });

  it('reports a BSON document that is itself corrupt', () => {
    const frame = encodeOpMsg({ requestId: 1, document: { a: 'text' } });
    // Replace the string's element type (0x02) with an undefined type byte.
    const corrupt = Buffer.from(frame);
    corrupt[21 + 4] = 0x7e;
    expectWireError(() => decodeMessage(corrupt), /OP_MSG body at offset 21 is not valid BSON/);
  });

  it('never throws anything but WireProtocolError on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.constantFrom(1, 2004, 2012, 2013, 7),
        (body, op) => {
          const frame = Buffer.alloc(16 + body.length);
          frame.writeInt32LE(frame.length, 0);
          frame.writeInt32LE(op, 12);
          Buffer.from(body).copy(frame, 16);
          try {
            decodeMessage(frame);
          } catch (error) {
            expect(error).toBeInstanceOf(WireProtocolError);
          }
        },
      ),
    );
  });

  it('never throws anything but WireProtocolError on mutated valid messages', () => {
    const base = encodeOpMsg({
      requestId: 1,
      document: { hello: 1, n: Long.fromNumber(3), s: 'x' },
      sequences: { d: [{ a: 1 }] },
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 17), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (edits) => {
          const frame = Buffer.from(base);
          for (const [index, value] of edits) frame[16 + index] = value;
          try {
            decodeMessage(frame);
          } catch (error) {
            expect(error).toBeInstanceOf(WireProtocolError);
          }
        },
      ),
    );
  });
});

describe('FrameReader', () => {
  const messages = [
    encodeOpMsg({ requestId: 1, document: { hello: 1, topologyVersion: { counter: Long.fromNumber(1) } } }),
    encodeOpQuery({ requestId: 2, fullCollectionName: 'admin.$cmd', query: { isMaster: 1 } }),
    encodeOpReply({ requestId: 3, responseTo: 2, documents: [{ ismaster: true, hosts: ['a:1'] }] }),
  ];
  const stream = Buffer.concat(messages);

  it('returns whole frames when given whole messages at once', () => {
    const reader = new FrameReader();
    const frames = reader.push(stream);
    expect(frames.map((f) => Buffer.from(f))).toEqual(messages);
    expect(reader.buffered).toBe(0);
  });

  it('reassembles the stream split at every byte boundary, twice', () => {
    for (let first = 0; first <= stream.length; first++) {
      for (const second of [first, Math.min(stream.length, first + 5), stream.length]) {
        const reader = new FrameReader();
        const frames = [
          ...reader.push(stream.subarray(0, first)),
          ...reader.push(stream.subarray(first, second)),
          ...reader.push(stream.subarray(second)),
        ];
        expect(frames).toEqual(messages);
        expect(reader.buffered).toBe(0);
      }
    }
  });

  it('reassembles the stream fed one byte at a time and reports what it buffers', () => {
    const reader = new FrameReader();
    const frames: Buffer[] = [];
    const first = messages[0];
    if (!first) throw new Error('fixture missing');
    for (let i = 0; i < stream.length; i++) {
      frames.push(...reader.push(stream.subarray(i, i + 1)));
      if (i < first.length - 1) expect(reader.buffered).toBe(i + 1);
    }
    expect(frames.map((f) => decodeMessage(f).requestId)).toEqual([1, 2, 3]);
    expect(reader.buffered).toBe(0);
  });

  it('decodes frames that arrive split at random points', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 10 }),
        (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
          const reader = new FrameReader();
          const frames: Buffer[] = [];
          for (let i = 1; i < points.length; i++)
            frames.push(...reader.push(stream.subarray(points[i - 1], points[i])));
          expect(frames.map((f) => decodeMessage(f).requestId)).toEqual([1, 2, 3]);
        },
      ),
    );
  });

  it('rejects lengths below the header size, including negative ones', () => {
    for (const length of [0, 4, 15, -1, -2147483648]) {
      const head = Buffer.alloc(4);
      head.writeInt32LE(length, 0);
      expectWireError(() => new FrameReader().push(head), /smaller than the 16-byte header/);
    }
  });

  it('rejects a length above maxMessageSizeBytes as soon as the length field is complete', () => {
    const reader = new FrameReader({ maxMessageSizeBytes: 1000 });
    const head = Buffer.alloc(4);
    head.writeInt32LE(1001, 0);
    expect(reader.push(head.subarray(0, 3))).toEqual([]);
    expectWireError(() => reader.push(head.subarray(3)), /length 1001 exceeds maxMessageSizeBytes 1000/);
    expect(reader.buffered).toBe(0);
    // The stream cannot be resynchronised: the reader stays failed.
    expectWireError(() => reader.push(messages[0] ?? Buffer.alloc(0)), /exceeds maxMessageSizeBytes/);
  });

  it('says the peer is not a MongoDB server when it sends text (an HTTP port)', () => {
    const http = Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n', 'latin1');
    expectWireError(
      () => new FrameReader().push(http),
      /^the peer is not a MongoDB server: it sent text \("HTTP\/1\.1 400 Bad Request"\) where a wire protocol message was expected \(message length 1347703880 exceeds maxMessageSizeBytes 48000000\)$/,
    );
    // Binary data keeps the plain account of the length.
    const head = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    expectWireError(() => new FrameReader().push(head), /^message length -272716322 is smaller than/);
  });

  it('uses 48 MB as the default limit and accepts a message of exactly the limit', () => {
    const head = Buffer.alloc(4);
    head.writeInt32LE(48_000_001, 0);
    expectWireError(() => new FrameReader().push(head), /exceeds maxMessageSizeBytes 48000000/);
    const frame = encodeOpMsg({ requestId: 1, document: { a: 1 } });
    expect(new FrameReader({ maxMessageSizeBytes: frame.length }).push(frame)).toHaveLength(1);
  });

  it('holds a partial frame until the rest arrives', () => {
    const reader = new FrameReader();
    const first = messages[0] ?? Buffer.alloc(0);
    expect(reader.push(first.subarray(0, 20))).toEqual([]);
    expect(reader.buffered).toBe(20);
    expect(reader.push(Buffer.alloc(0))).toEqual([]);
    expect(reader.push(first.subarray(20))).toEqual([first]);
  });

  it('never throws anything but WireProtocolError on arbitrary byte streams', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const reader = new FrameReader({ maxMessageSizeBytes: 4096 });
        try {
          for (const chunk of chunks) {
            for (const frame of reader.push(Buffer.from(chunk))) {
              try {
                decodeMessage(frame);
              } catch (error) {
                expect(error).toBeInstanceOf(WireProtocolError);
              }
            }
          }
        } catch (error) {
          expect(error).toBeInstanceOf(WireProtocolError);
        }
      }),
    );
  });
});
