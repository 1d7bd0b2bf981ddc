/**
 * A hostile server: it answers every hello with a broken frame (see frame-mutations.ts), and the
 * client side, our monitors' own connection and handshake code, must always end in a reply or a
 * typed WaspnestError within its timeout: no crash, no hang, no stray exception.
 *
 * Each client names its case in `appName`, so the server knows which mutation and random seed
 * to use and every failure can be replayed alone (`--case N`).
 */
import * as net from 'node:net';
import type { Document } from 'bson';
import { WaspnestError } from '../../src/errors.js';
import { Connection } from '../../src/net/connection.js';
import { decodeMessage, encodeOpMsg, encodeOpReply, FrameReader } from '../../src/net/wire-protocol.js';
import { seededRandom } from '../../src/cli/seeded-random.js';
import { Topology } from '../../src/topology/topology.js';
import { MUTATION_NAMES, MUTATIONS } from './frame-mutations.js';

const HELLO_REPLY: Document = {
  helloOk: true,
  isWritablePrimary: true,
  topologyVersion: { processId: { $oid: '000000000000000000000001' }, counter: 0 },
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: 48_000_000,
  maxWriteBatchSize: 100_000,
  localTime: new Date(0),
  logicalSessionTimeoutMinutes: 30,
  connectionId: 1,
  minWireVersion: 0,
  maxWireVersion: 25,
  readOnly: false,
  ok: 1,
};

/** The case a connection belongs to: its mutation and its own random source. */
function caseOf(seed: number, index: number): { name: string; random: () => number } {
  const random = seededRandom(seed * 1_000_003 + index);
  const name = MUTATION_NAMES[Math.floor(random() * MUTATION_NAMES.length)] ?? 'valid';
  return { name, random };
}

function appNameOf(request: Document): string | undefined {
  const client = request['client'] as Document | undefined;
  const application = client?.['application'] as Document | undefined;
  const name = application?.['name'];
  return typeof name === 'string' ? name : undefined;
}

/** Starts the hostile server; resolves with its address and a close function. */
export async function startHostileServer(
  seed: number,
): Promise<{ address: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let anonymous = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const request = decodeMessage(frame);
        const document =
          request.kind === 'msg' ? request.document : request.kind === 'query' ? request.query : {};
        const tag = appNameOf(document);
        const index = tag?.startsWith('fuzz-') === true ? Number(tag.slice(5)) : 1_000_000_000 + anonymous++;
        const { name, random } = caseOf(seed, index);
        const valid =
          request.kind === 'query'
            ? encodeOpReply({ requestId: 1, responseTo: request.requestId, documents: [HELLO_REPLY] })
            : encodeOpMsg({ requestId: 1, responseTo: request.requestId, document: HELLO_REPLY });
        const delivery = (MUTATIONS[name] ?? MUTATIONS['valid'])!(valid, random);
        for (const bytes of delivery.chunks) socket.write(bytes);
        if (delivery.closeAfter) socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface HostileFuzzResult {
  readonly frames: number;
  readonly replies: number;
  /** Typed errors by class name. */
  readonly errors: Readonly<Record<string, number>>;
  /** Cases per mutation name. */
  readonly byMutation: Readonly<Record<string, number>>;
  /** Cases whose broken frame was still taken as a reply, per mutation name and reply opcode. */
  readonly acceptedByMutation: Readonly<Record<string, number>>;
  /** Cases that broke the rules: untyped errors, hangs past the timeout. */
  readonly failures: readonly string[];
}

const TIMEOUT_MS = 300;
/** How long past its own timeout a case may take before it counts as hung (a busy event loop). */
const HANG_MARGIN_MS = 5000;

/** Runs `frames` cases through Connection.connect (handshake) against the hostile server. */
export async function fuzzMonitorConnections(options: {
  readonly frames: number;
  readonly seed: number;
  readonly concurrency?: number;
  readonly firstCase?: number;
  readonly progress?: (line: string) => void;
}): Promise<HostileFuzzResult> {
  const server = await startHostileServer(options.seed);
  const errors: Record<string, number> = {};
  const byMutation: Record<string, number> = {};
  const acceptedByMutation: Record<string, number> = {};
  const failures: string[] = [];
  let replies = 0;
  let next = options.firstCase ?? 0;
  const last = next + options.frames;
  const runCase = async (index: number): Promise<void> => {
    const { name } = caseOf(options.seed, index);
    byMutation[name] = (byMutation[name] ?? 0) + 1;
    const started = Date.now();
    let watchdog: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => {
      watchdog = setTimeout(() => resolve('hung'), TIMEOUT_MS + HANG_MARGIN_MS);
    });
    const attempt = Connection.connect(server.address, {
      address: server.address,
      connectTimeoutMS: TIMEOUT_MS,
      handshake: {
        appName: `fuzz-${index}`,
        // Half the cases speak OP_MSG from the first hello (a declared API version), half OP_QUERY.
        ...(index % 2 === 0 ? { serverApi: { version: '1' } } : {}),
      },
    }).then(
      (connection) => {
        connection.destroy();
        return 'reply' as const;
      },
      (error: unknown) => error,
    );
    const outcome = await Promise.race([attempt, hung]);
    clearTimeout(watchdog);
    if (outcome === 'hung') {
      failures.push(
        `case ${index} (${name}): no answer ${TIMEOUT_MS + HANG_MARGIN_MS} ms after a ${TIMEOUT_MS} ms timeout`,
      );
      return;
    }
    if (outcome === 'reply') {
      replies++;
      const kind = `${name} (${index % 2 === 0 ? 'OP_MSG' : 'OP_REPLY'})`;
      acceptedByMutation[kind] = (acceptedByMutation[kind] ?? 0) + 1;
      return;
    }
    if (outcome instanceof WaspnestError) {
      errors[outcome.name] = (errors[outcome.name] ?? 0) + 1;
      return;
    }
    failures.push(
      `case ${index} (${name}): untyped error after ${Date.now() - started} ms: ${outcome instanceof Error ? outcome.stack : String(outcome)}`,
    );
  };
  const worker = async (): Promise<void> => {
    while (next < last) {
      const index = next++;
      await runCase(index);
      if (index % 10_000 === 0 && index > 0) options.progress?.(`${index} frames`);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 64 }, () => worker()));
  } finally {
    await server.close();
  }
  return {
    frames: options.frames,
    replies,
    errors,
    byMutation,
    acceptedByMutation,
    failures,
  };
}

/**
 * The same server behind whole Topologies: each polls the hostile server as a direct connection,
 * and every heartbeat failure must carry a typed error; nothing may throw out of the monitors.
 */
export async function fuzzTopologies(options: {
  readonly topologies: number;
  readonly durationMS: number;
  readonly seed: number;
}): Promise<{ checks: number; failed: Record<string, number>; failures: string[] }> {
  const server = await startHostileServer(options.seed);
  const failed: Record<string, number> = {};
  const failures: string[] = [];
  let checks = 0;
  const topologies = Array.from(
    { length: options.topologies },
    () =>
      new Topology(`mongodb://${server.address}/?directConnection=true`, {
        serverMonitoringMode: 'poll',
        heartbeatFrequencyMS: 500,
        connectTimeoutMS: TIMEOUT_MS,
      }),
  );
  for (const topology of topologies) {
    topology.on('serverHeartbeatSucceeded', () => checks++);
    topology.on('serverHeartbeatFailed', (event) => {
      checks++;
      const failure: unknown = event.failure;
      if (failure instanceof WaspnestError) failed[failure.name] = (failed[failure.name] ?? 0) + 1;
      else failures.push(`heartbeat failed with an untyped error: ${String(failure)}`);
    });
    topology.on('listenerError', (event) => failures.push(`listener error: ${String(event.error)}`));
    topology.scheduleRefresh();
  }
  await new Promise((resolve) => setTimeout(resolve, options.durationMS));
  await Promise.all(topologies.map((topology) => topology.close()));
  await server.close();
  return { checks, failed, failures };
}
