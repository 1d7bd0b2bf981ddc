/**
 * Child of the `scale` benchmark that monitors: one fresh process opening one client per
 * simulated replica set (ours: a Topology; the driver's: a MongoClient), measured for a window
 * after all of them connected.
 *
 *   node scale-monitor-child.mjs <ours|driver> <windowMs> <poll|stream>
 *
 * Plain JavaScript run by plain `node`, and ours is loaded from the built package (`dist/`), so
 * that the baseline is what a user's process has: no tsx, no TypeScript transform in memory.
 * Waits for `{ type: 'uris', uris }` from the parent; replies with the `result` message (or an
 * `error` message), the protocol of child.ts.
 *
 * With SCALE_CPU_PROFILE=<file> in the environment, the window alone (not start-up or connecting)
 * is CPU-profiled into <file> (a .cpuprofile for Chrome DevTools); the figures then include the
 * profiler's own cost, so use it to see where the time goes, not for the benchmark.
 *
 * With SCALE_MEMORY_TRACE=<file>, process.memoryUsage() (rss, heapTotal, heapUsed, external,
 * arrayBuffers) and each heap space's size and use (v8.getHeapSpaceStatistics()) are sampled every 100 ms with the phase (baseline, connecting, window) into <file>
 * as JSON lines, to see where the RSS above the baseline goes and when it peaks (see
 * scale-memory.ts). Diagnostics of the heap, each also changing the figures:
 * SCALE_HEAP_PROFILE=<file> samples the window's allocations that outlived a minor GC
 * (SCALE_HEAP_PROFILE_ALL=1: all of them), SCALE_HEAP_TRACK=<file> tracks allocations over the
 * window and writes a heap snapshot with their stacks at its end, SCALE_HEAP_SNAPSHOT=<file>
 * writes a plain heap snapshot at the end of the window. SCALE_PROFILE_FROM=connecting starts any of
 * these profiles before the clients are created, so that it covers connecting as well.
 * SCALE_CONNECT_BATCH=<n> creates and connects the clients n at a time (see main).
 */
import { appendFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { setInterval, clearInterval, setTimeout } from 'node:timers';

const side = process.argv[2];
const windowMs = Number(process.argv[3] ?? 30_000);
const mode = process.argv[4] ?? 'poll';
if ((side !== 'ours' && side !== 'driver') || (mode !== 'poll' && mode !== 'stream')) {
  throw new Error('usage: scale-monitor-child.mjs <ours|driver> <windowMs> <poll|stream>');
}

// Each side loads only its own library, so neither process carries the other's code and heap
// (each library also brings its own copy of bson, with a 17 MB serialization buffer).
const { Topology } = side === 'ours' ? await import('../../dist/esm/index.js') : { Topology: null };
const { MongoClient } = side === 'driver' ? await import('mongodb') : { MongoClient: null };

const HEARTBEAT_MS = 1_000;
const options = { heartbeatFrequencyMS: HEARTBEAT_MS, serverMonitoringMode: mode };

function newClient(uri) {
  return Topology !== null ? new Topology(uri, options) : new MongoClient(uri, options);
}

function rssMB() {
  return process.memoryUsage.rss() / 1024 / 1024;
}

function errorMessage(error) {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Open sockets of this process (file descriptors that are sockets; Linux /proc only, else null). */
function openSockets() {
  try {
    let count = 0;
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) count++;
      } catch {
        // closed while we looked
      }
    }
    return count;
  } catch {
    return null;
  }
}

/**
 * Starts the CPU profile of the window when SCALE_CPU_PROFILE names a file, or the sampling heap
 * profile when SCALE_HEAP_PROFILE does (objects that a minor GC collected left out: what remains
 * is what lived long enough to be promoted, the old-generation growth); returns how to stop it.
 */
async function startProfile() {
  const trackFile = process.env.SCALE_HEAP_TRACK;
  if (trackFile !== undefined && trackFile !== '') {
    const session = new Session();
    session.connect();
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
    return {
      async stop() {
        const chunks = [];
        session.on('HeapProfiler.addHeapSnapshotChunk', (m) => chunks.push(m.params.chunk));
        await session.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
        writeFileSync(trackFile, chunks.join(''));
        session.disconnect();
      },
    };
  }
  const heapFile = process.env.SCALE_HEAP_PROFILE;
  if (heapFile !== undefined && heapFile !== '') {
    const session = new Session();
    session.connect();
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      // SCALE_HEAP_PROFILE_ALL=1: every allocation, to see the allocation rate rather than promotion.
      includeObjectsCollectedByMinorGC: process.env.SCALE_HEAP_PROFILE_ALL === '1',
    });
    return {
      async stop() {
        const { profile } = await session.post('HeapProfiler.stopSampling');
        writeFileSync(heapFile, JSON.stringify(profile));
        session.disconnect();
      },
    };
  }
  const file = process.env.SCALE_CPU_PROFILE;
  if (file === undefined || file === '') return null;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Samples memoryUsage() with the current phase when SCALE_MEMORY_TRACE names a file. */
function memoryTrace() {
  const file = process.env.SCALE_MEMORY_TRACE;
  if (file === undefined || file === '') return { phase() {}, sample() {} };
  writeFileSync(file, '');
  const start = performance.now();
  let phase = 'baseline';
  const lines = [];
  return {
    phase(name) {
      phase = name;
      this.sample();
    },
    sample() {
      const m = process.memoryUsage();
      lines.push(
        JSON.stringify({
          t: Math.round(performance.now() - start),
          phase,
          rss: m.rss,
          heapTotal: m.heapTotal,
          heapUsed: m.heapUsed,
          external: m.external,
          arrayBuffers: m.arrayBuffers,
          spaces: Object.fromEntries(
            getHeapSpaceStatistics().map((space) => [
              space.space_name,
              [space.space_size, space.space_used_size],
            ]),
          ),
        }),
      );
      if (lines.length >= 50 || phase === 'end') appendFileSync(file, lines.splice(0).join('\n') + '\n');
    },
  };
}

function parentMessage(type) {
  return new Promise((resolve) => {
    const listener = (message) => {
      if (message !== null && typeof message === 'object' && message.type === type) {
        process.off('message', listener);
        resolve(message);
      }
    };
    process.on('message', listener);
  });
}

function send(message) {
  return new Promise((resolve) => {
    if (typeof process.send !== 'function' || !process.connected) {
      console.log(JSON.stringify(message));
      resolve();
      return;
    }
    process.send(message, undefined, undefined, () => resolve());
  });
}

async function main() {
  const message = await parentMessage('uris');
  const uris = message.uris;
  const baselineRssMB = rssMB();
  const baselineSockets = openSockets();
  const trace = memoryTrace();
  trace.phase('baseline');
  // SCALE_PROFILE_FROM=connecting: the profile covers connecting too (it starts before the clients).
  const profileFromStart = process.env.SCALE_PROFILE_FROM === 'connecting';
  const earlyProfile = profileFromStart ? await startProfile() : null;
  let heartbeats = 0;
  let failedHeartbeats = 0;
  let firstFailure = null;
  // SCALE_CONNECT_BATCH=<n> (a diagnostic, never the benchmark): clients are created and connected
  // n at a time while connecting, instead of all at once, to see what the start-up burst costs.
  const connectBatch = Number(process.env.SCALE_CONNECT_BATCH ?? 0);
  const watched = (uri) => {
    const client = newClient(uri);
    client.on('serverHeartbeatSucceeded', () => heartbeats++);
    client.on('serverHeartbeatFailed', (event) => {
      failedHeartbeats++;
      firstFailure ??= errorMessage(event.failure);
    });
    return client;
  };
  const clients = connectBatch > 0 ? [] : uris.map(watched);

  trace.phase('connecting');
  let peakRssMB = rssMB();
  const sampler = setInterval(() => {
    peakRssMB = Math.max(peakRssMB, rssMB());
    trace.sample();
  }, 100);
  try {
    const cpuAtStart = process.cpuUsage();
    const connectStart = performance.now();
    const connected = [];
    if (connectBatch > 0) {
      for (let i = 0; i < uris.length; i += connectBatch) {
        const batch = uris.slice(i, i + connectBatch).map(watched);
        clients.push(...batch);
        connected.push(...(await Promise.allSettled(batch.map((c) => c.connect()))));
      }
    } else connected.push(...(await Promise.allSettled(clients.map((c) => c.connect()))));
    const failedConnects = connected.filter((r) => r.status === 'rejected');
    if (failedConnects.length > 0) {
      throw new Error(
        `${failedConnects.length} of ${clients.length} clients failed to connect: ${errorMessage(failedConnects[0].reason)}`,
      );
    }
    const connectMs = performance.now() - connectStart;
    const connectCpu = process.cpuUsage(cpuAtStart);
    const heartbeatsAtWindowStart = heartbeats;
    trace.phase('window');
    const profile = profileFromStart ? earlyProfile : await startProfile();
    const cpuAtWindow = process.cpuUsage();
    // Sockets counted mid-window, once start-up work (streaming's RTT connections) is done.
    await new Promise((resolve) => setTimeout(resolve, windowMs / 2));
    const cpuBeforeCount = process.cpuUsage();
    const socketsNow = openSockets();
    const countCpu = process.cpuUsage(cpuBeforeCount);
    await new Promise((resolve) => setTimeout(resolve, windowMs / 2));
    const windowCpu = process.cpuUsage(cpuAtWindow);
    await profile?.stop();
    const sockets = socketsNow === null || baselineSockets === null ? null : socketsNow - baselineSockets;
    peakRssMB = Math.max(peakRssMB, rssMB());
    trace.phase('end');
    if (process.env.SCALE_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.SCALE_HEAP_SNAPSHOT);
    const memory = process.memoryUsage();
    return {
      side,
      mode,
      clients: clients.length,
      windowMs,
      connectMs,
      connectCpuSeconds: (connectCpu.user + connectCpu.system) / 1e6,
      // The socket count's own CPU (reading /proc) is the benchmark's, not the client's: left out.
      cpuSeconds: (windowCpu.user + windowCpu.system - countCpu.user - countCpu.system) / 1e6,
      peakRssMB,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      baselineRssMB,
      // Where the memory is at the end of the window (diagnostics, not in the tables).
      heapUsedMB: memory.heapUsed / 1024 / 1024,
      heapTotalMB: memory.heapTotal / 1024 / 1024,
      externalMB: memory.external / 1024 / 1024,
      heartbeatsInWindow: heartbeats - heartbeatsAtWindowStart,
      failedHeartbeats,
      firstFailure,
      sockets,
    };
  } finally {
    clearInterval(sampler);
    await Promise.all(clients.map((c) => c.close()));
  }
}

// Stand in for the application that would keep a real process alive: our monitors, by design,
// never do, so a child awaiting only them would otherwise exit mid-measurement.
const keepAlive = setInterval(() => undefined, 1 << 30);
try {
  const result = await main();
  await send({ ...result, type: 'result' });
} catch (error) {
  await send({
    type: 'error',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exitCode = 1;
} finally {
  clearInterval(keepAlive);
}
if (process.connected) process.disconnect();
