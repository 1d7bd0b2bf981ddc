/**
 * Ways to break a wire frame, shared by both frame fuzzers: each takes a valid frame and a
 * random source and returns what to send instead, as one or more writes (split and coalesced
 * writes exercise the frame reader's buffering), and whether to close the socket after.
 */
import { HEADER_SIZE, OpCode } from '../../src/net/wire-protocol.js';

export interface Delivery {
  /** The writes, in order. */
  readonly chunks: readonly Buffer[];
  /** Close the connection after the last write (otherwise leave it open: the peer must time out). */
  readonly closeAfter: boolean;
}

export type Mutation = (frame: Buffer, random: () => number) => Delivery;

const int = (random: () => number, max: number): number => Math.floor(random() * max);

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = int(random, 256);
  return bytes;
}

function withInt32(frame: Buffer, offset: number, value: number): Buffer {
  const copy = Buffer.from(frame);
  if (offset + 4 <= copy.length) copy.writeInt32LE(value | 0, offset);
  return copy;
}

/** Splits `bytes` into 1–8 writes at random places. */
function split(bytes: Buffer, random: () => number): Buffer[] {
  const cuts = new Set<number>();
  const count = int(random, 8);
  for (let i = 0; i < count; i++) cuts.add(1 + int(random, Math.max(1, bytes.length - 1)));
  const points = [...cuts].filter((c) => c < bytes.length).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const once = (bytes: Buffer, closeAfter: boolean): Delivery => ({ chunks: [bytes], closeAfter });

/** Named so that a failure says which kind of frame caused it. */
export const MUTATIONS: Readonly<Record<string, Mutation>> = {
  valid: (frame) => once(frame, false),
  validSplit: (frame, random) => ({ chunks: split(frame, random), closeAfter: false }),
  randomBytes: (_frame, random) => once(randomBytes(random, 1 + int(random, 200)), random() < 0.5),
  flippedBits: (frame, random) => {
    const copy = Buffer.from(frame);
    const flips = 1 + int(random, 8);
    for (let i = 0; i < flips; i++) {
      const at = int(random, copy.length);
      copy[at] = (copy[at] ?? 0) ^ (1 << int(random, 8));
    }
    return { chunks: split(copy, random), closeAfter: random() < 0.5 };
  },
  lengthTooSmall: (frame, random) => once(withInt32(frame, 0, int(random, HEADER_SIZE)), random() < 0.5),
  lengthNegative: (frame, random) => once(withInt32(frame, 0, -1 - int(random, 1 << 30)), false),
  lengthHuge: (frame, random) => once(withInt32(frame, 0, 48_000_001 + int(random, 1 << 30)), false),
  lengthLonger: (frame, random) =>
    once(withInt32(frame, 0, frame.length + 1 + int(random, 64)), random() < 0.5),
  lengthShorter: (frame, random) =>
    once(withInt32(frame, 0, Math.max(HEADER_SIZE, frame.length - 1 - int(random, 20))), random() < 0.5),
  opcode: (frame, random) => {
    const codes = [0, 1, 1000, 2001, 2002, 2004, 2005, 2006, 2010, 2011, 2012, 9999, int(random, 1 << 30)];
    return once(withInt32(frame, 12, codes[int(random, codes.length)] ?? OpCode.OP_MSG), false);
  },
  responseTo: (frame, random) => once(withInt32(frame, 8, int(random, 1 << 30)), false),
  flagBits: (frame, random) =>
    once(withInt32(frame, HEADER_SIZE, int(random, 1 << 30) | (1 << int(random, 17))), false),
  checksumClaimed: (frame) => once(withInt32(frame, HEADER_SIZE, 1), false),
  bsonLength: (frame, random) =>
    once(withInt32(frame, HEADER_SIZE + 5, int(random, 1 << 24) - (1 << 23)), false),
  bsonTypeByte: (frame, random) => {
    const copy = Buffer.from(frame);
    const at = HEADER_SIZE + 9 + int(random, Math.max(1, copy.length - HEADER_SIZE - 9));
    if (at < copy.length) copy[at] = int(random, 256);
    return once(copy, false);
  },
  sectionKind: (frame, random) => {
    const copy = Buffer.from(frame);
    copy[HEADER_SIZE + 4] = 2 + int(random, 250);
    return once(copy, false);
  },
  truncatedThenClose: (frame, random) => once(frame.subarray(0, int(random, frame.length)), true),
  truncatedThenHang: (frame, random) => once(frame.subarray(0, int(random, frame.length)), false),
  coalescedExtra: (frame, random) => ({
    chunks: split(Buffer.concat([frame, frame.subarray(0, 1 + int(random, frame.length))]), random),
    closeAfter: false,
  }),
  closeAtOnce: () => ({ chunks: [], closeAfter: true }),
  silence: () => ({ chunks: [], closeAfter: false }),
};

export const MUTATION_NAMES: readonly string[] = Object.keys(MUTATIONS);
