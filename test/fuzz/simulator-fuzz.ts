/**
 * The reverse of the hostile server: random and broken frames at the simulator's wire server.
 * It must never crash or throw out of its handlers, and it must keep serving a healthy client
 * (checked with the official driver every few thousand frames).
 */
import * as net from 'node:net';
import { MongoClient } from 'mongodb';
import type { Document } from 'bson';
import { encodeOpMsg, encodeOpQuery } from '../../src/net/wire-protocol.js';
import { seededRandom } from '../../src/cli/seeded-random.js';
import { SimulatedStandalone } from '../../src/testing/simulated-standalone.js';
import { MUTATION_NAMES, MUTATIONS } from './frame-mutations.js';

const COMMANDS: readonly Document[] = [
  { ping: 1, $db: 'admin' },
  { hello: 1, $db: 'admin' },
  { find: 'c', filter: { a: { $gt: 1 } }, $db: 'fuzz' },
  { insert: 'c', documents: [{ a: 1 }], $db: 'fuzz' },
  { update: 'c', updates: [{ q: {}, u: { $set: { b: 2 } } }], $db: 'fuzz' },
  { aggregate: 'c', pipeline: [{ $group: { _id: null, n: { $sum: 1 } } }], cursor: {}, $db: 'fuzz' },
  { noSuchCommand: 1, $db: 'admin' },
  { find: 'c' },
  {},
];

export interface SimulatorFuzzResult {
  readonly frames: number;
  /** How each case ended: a reply frame, the server closed, or nothing within the idle limit. */
  readonly endings: Readonly<Record<string, number>>;
  readonly healthChecks: number;
  readonly failures: readonly string[];
}

/** A case that neither got a reply nor was closed by then counts as left waiting (a frame cut short, silence). */
const IDLE_MS = 1000;

function sendCase(address: string, bytes: readonly Buffer[], closeAfter: boolean): Promise<string> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let settled = false;
    const finish = (ending: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      socket.destroy();
      resolve(ending);
    };
    let idle = setTimeout(() => finish('idle'), IDLE_MS * 5);
    socket.on('connect', () => {
      for (const chunk of bytes) socket.write(chunk);
      if (closeAfter) socket.end();
      clearTimeout(idle);
      idle = setTimeout(() => finish('idle'), IDLE_MS);
    });
    socket.on('data', () => finish('reply'));
    socket.on('end', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('reset'));
  });
}

export async function fuzzSimulator(options: {
  readonly frames: number;
  readonly seed: number;
  readonly concurrency?: number;
  readonly progress?: (line: string) => void;
}): Promise<SimulatorFuzzResult> {
  const failures: string[] = [];
  const onError = (error: unknown): void => {
    failures.push(`uncaught: ${error instanceof Error ? error.stack : String(error)}`);
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  const standalone = await SimulatedStandalone.start();
  const client = new MongoClient(standalone.uri, { serverSelectionTimeoutMS: 5000 });
  const endings: Record<string, number> = {};
  let healthChecks = 0;
  let next = 0;
  const health = async (): Promise<void> => {
    try {
      await client.db('admin').command({ ping: 1 });
      await client.db('fuzz').collection('health').insertOne({ at: next });
      healthChecks++;
    } catch (error) {
      failures.push(`the simulator stopped serving a healthy client after ${next} frames: ${String(error)}`);
    }
  };
  const worker = async (): Promise<void> => {
    while (next < options.frames) {
      const index = next++;
      const random = seededRandom(options.seed * 1_000_003 + index);
      const command = COMMANDS[Math.floor(random() * COMMANDS.length)] ?? {};
      const valid =
        random() < 0.8
          ? encodeOpMsg({ requestId: index + 1, document: command })
          : encodeOpQuery({ requestId: index + 1, fullCollectionName: 'admin.$cmd', query: command });
      const name = MUTATION_NAMES[Math.floor(random() * MUTATION_NAMES.length)] ?? 'valid';
      const delivery = (MUTATIONS[name] ?? MUTATIONS['valid'])!(valid, random);
      const ending = await sendCase(standalone.address, delivery.chunks, delivery.closeAfter);
      endings[ending] = (endings[ending] ?? 0) + 1;
      if (index > 0 && index % 5000 === 0) {
        await health();
        options.progress?.(`${index} frames`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 128 }, () => worker()));
    await health();
  } finally {
    await client.close();
    await standalone.close();
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
  }
  return { frames: options.frames, endings, healthChecks, failures };
}
