/**
 * Child of the `dns` benchmark: one measurement in a fresh process.
 *
 *   dns-child.ts <ours|driver> <ip|localhost|resolved> <port> <timeoutMs> [--idle]
 *
 * Saturates libuv's thread pool with 4 long crypto.pbkdf2 jobs (the pool's default size), then
 * times how long the side's client takes to complete its first successful check of the server.
 * `resolved` first connects once to the machine's host name before the saturation (so the name
 * was resolved earlier in this process), then measures a new client to the same name.
 * `--idle` skips the saturation: the control figure (what a first check costs in a fresh process).
 */
import { pbkdf2, pbkdf2Sync } from 'node:crypto';
import { promises as dnsPromises } from 'node:dns';
import os from 'node:os';
import { MongoClient } from 'mongodb';
import { Topology } from '../../src/topology/topology.js';
import { childMain } from './child.js';
import type { HeartbeatClient } from './heartbeat-client.js';
import { errorMessage, nowMs } from './stats.js';

const [side, target, portText, timeoutText] = process.argv.slice(2);
if (
  (side !== 'ours' && side !== 'driver') ||
  (target !== 'ip' && target !== 'localhost' && target !== 'resolved')
) {
  throw new Error('usage: dns-child.ts <ours|driver> <ip|localhost|resolved> <port> <timeoutMs>');
}
const port = Number(portText);
const timeoutMs = Number(timeoutText);
const POOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const idle = process.argv.includes('--idle');

interface Measurement {
  firstCheckMs: number | null;
  error: string | null;
  /** Whether the pbkdf2 jobs were all still running when the first check succeeded. */
  poolBusyAtSuccess: boolean | null;
  idle: boolean;
  host: string;
}

/** How many pbkdf2 iterations keep one pool thread busy for about `ms`. */
function iterationsFor(ms: number): number {
  const probe = 20_000;
  const start = nowMs();
  pbkdf2Sync('password', 'salt', probe, 64, 'sha512');
  const perIteration = (nowMs() - start) / probe;
  // Pool threads share the cores with the main thread, so they run slower than the probe: the
  // estimate errs long, which only makes the saturation last past the measurement.
  return Math.ceil(ms / Math.max(perIteration, 1e-6));
}

/** Occupies every pool thread; resolves the returned flag's `done` when all jobs have finished. */
function saturatePool(ms: number): { readonly running: () => number } {
  const iterations = iterationsFor(ms);
  let running = POOL_SIZE;
  for (let i = 0; i < POOL_SIZE; i++) {
    pbkdf2(`password${i}`, 'salt', iterations, 64, 'sha512', () => {
      running--;
    });
  }
  return { running: () => running };
}

async function hostFor(kind: 'ip' | 'localhost' | 'resolved'): Promise<string> {
  if (kind === 'ip') return '127.0.0.1';
  if (kind === 'localhost') return 'localhost';
  const name = os.hostname();
  const { address } = await dnsPromises.lookup(name, { family: 4 });
  if (!address.startsWith('127.')) {
    throw new Error(
      `the host name ${name} resolves to ${address}, not to the loopback where the simulator listens`,
    );
  }
  return name;
}

/** A new client of this process's side, with the same timeouts on both sides. */
function newClient(uri: string): HeartbeatClient {
  const options = { connectTimeoutMS: timeoutMs, serverSelectionTimeoutMS: timeoutMs };
  return side === 'ours' ? new Topology(uri, options) : new MongoClient(uri, options);
}

/** Time from now to the client's first serverHeartbeatSucceeded; connect errors are reported. */
async function firstCheck(
  client: HeartbeatClient,
  busy: { readonly running: () => number },
): Promise<Measurement & { close(): Promise<void> }> {
  const start = nowMs();
  let failure: string | null = null;
  const first = new Promise<{ at: number; busy: boolean } | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    client.on('serverHeartbeatSucceeded', () => {
      clearTimeout(timer);
      resolve({ at: nowMs(), busy: busy.running() === POOL_SIZE });
    });
    client.on('serverHeartbeatFailed', (event) => {
      const where = event.phase === undefined ? '' : ` in phase ${event.phase}`;
      failure ??= `heartbeat failed${where}: ${errorMessage(event.failure)}`;
    });
  });
  const connecting = client.connect().then(
    () => null,
    (error: unknown) => errorMessage(error),
  );
  const success = await first;
  const connectError = success === null ? await connecting : null;
  return {
    firstCheckMs: success === null ? null : success.at - start,
    error:
      success === null
        ? [connectError, failure].filter((m) => m !== null).join('; ') ||
          `no successful check within ${timeoutMs} ms`
        : null,
    poolBusyAtSuccess: success?.busy ?? null,
    idle,
    host: '',
    close: () => client.close(),
  };
}

await childMain(async () => {
  const host = await hostFor(target);
  const uri = `mongodb://${host}:${port}/?directConnection=true`;
  if (target === 'resolved') {
    // Resolve the name once, the way each side would in a running application: a first client.
    const warm = newClient(uri);
    await warm.connect();
    await warm.close();
  }
  const busy = idle ? { running: () => 0 } : saturatePool(timeoutMs + 3_000);
  const measured = await firstCheck(newClient(uri), busy);
  await measured.close();
  const result: Measurement = {
    firstCheckMs: measured.firstCheckMs,
    error: measured.error,
    poolBusyAtSuccess: idle ? null : measured.poolBusyAtSuccess,
    idle,
    host,
  };
  return { ...result };
});
// The pbkdf2 jobs cannot be cancelled; the parent ends this process once it has the result.
