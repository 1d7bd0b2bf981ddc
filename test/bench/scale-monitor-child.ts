/**
 * Child of the `scale` benchmark that monitors: one fresh process opening one client per
 * simulated replica set (ours: a Topology; the driver's: a MongoClient), polling every 1000 ms,
 * measured for a window after all of them connected.
 *
 *   scale-monitor-child.ts <ours|driver> <windowMs>
 *
 * Waits for `{ type: 'uris', uris }` from the parent; replies with the `result` message.
 */
import { childMain, parentMessage } from './child.js';
import type { HeartbeatClient } from './heartbeat-client.js';
import { errorMessage, nowMs } from './stats.js';

const side = process.argv[2];
const windowMs = Number(process.argv[3] ?? 30_000);
if (side !== 'ours' && side !== 'driver')
  throw new Error('usage: scale-monitor-child.ts <ours|driver> <windowMs>');

// Each side loads only its own library, so neither process carries the other's code and heap
// (each library also brings its own copy of bson, with a 17 MB serialization buffer).
const { Topology } = side === 'ours' ? await import('../../src/topology/topology.js') : { Topology: null };
const { MongoClient } = side === 'driver' ? await import('mongodb') : { MongoClient: null };

const HEARTBEAT_MS = 1_000;
const options = { heartbeatFrequencyMS: HEARTBEAT_MS, serverMonitoringMode: 'poll' as const };

/** A new client of this process's side, from the one library it loaded. */
function newClient(uri: string): HeartbeatClient {
  if (Topology !== null) return new Topology(uri, options);
  if (MongoClient === null) throw new Error(`no client library for side ${side}`);
  return new MongoClient(uri, options);
}

function rssMB(): number {
  return process.memoryUsage.rss() / 1024 / 1024;
}

await childMain(async () => {
  const message = await parentMessage('uris');
  const uris = message.uris as string[];
  const baselineRssMB = rssMB();
  let heartbeats = 0;
  let failedHeartbeats = 0;
  let firstFailure: string | null = null;
  const clients = uris.map((uri) => {
    const client = newClient(uri);
    client.on('serverHeartbeatSucceeded', () => heartbeats++);
    client.on('serverHeartbeatFailed', (event) => {
      failedHeartbeats++;
      firstFailure ??= errorMessage(event.failure);
    });
    return client;
  });

  let peakRssMB = rssMB();
  const sampler = setInterval(() => {
    peakRssMB = Math.max(peakRssMB, rssMB());
  }, 100);
  try {
    const cpuAtStart = process.cpuUsage();
    const connectStart = nowMs();
    const connected = await Promise.allSettled(clients.map((c) => c.connect()));
    const failedConnects = connected.filter((r) => r.status === 'rejected');
    if (failedConnects.length > 0) {
      const first = failedConnects[0] as PromiseRejectedResult;
      throw new Error(
        `${failedConnects.length} of ${clients.length} clients failed to connect: ${errorMessage(first.reason)}`,
      );
    }
    const connectMs = nowMs() - connectStart;
    const connectCpu = process.cpuUsage(cpuAtStart);
    const heartbeatsAtWindowStart = heartbeats;
    const cpuAtWindow = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const windowCpu = process.cpuUsage(cpuAtWindow);
    peakRssMB = Math.max(peakRssMB, rssMB());
    return {
      side,
      clients: clients.length,
      windowMs,
      connectMs,
      connectCpuSeconds: (connectCpu.user + connectCpu.system) / 1e6,
      cpuSeconds: (windowCpu.user + windowCpu.system) / 1e6,
      peakRssMB,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      baselineRssMB,
      heartbeatsInWindow: heartbeats - heartbeatsAtWindowStart,
      failedHeartbeats,
      firstFailure,
    };
  } finally {
    clearInterval(sampler);
    await Promise.all(clients.map((c) => c.close()));
  }
});
