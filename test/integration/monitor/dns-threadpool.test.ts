/**
 * "DNS is not the network": Node's dns.lookup runs getaddrinfo on libuv's thread pool (4 threads
 * by default), shared with crypto and file work. This test fills the pool with jobs that end only
 * when the test releases them (opening a named pipe blocks a pool thread until a writer comes), and
 * shows, by the order in which things finish (not by timing), that the monitor still completes
 * checks of an IP literal, of `localhost`, and of a host name resolved before the pool filled up,
 * while an uncached lookup started at the same moment stays queued behind the jobs.
 *
 * What it proves, exactly: the cached name is resolved through a replaced `lookup` that itself
 * calls the real `dns.promises.lookup` (getaddrinfo on the pool) for `localhost`, so the first
 * resolution really goes through the pool; during the saturation the monitor reconnects to that
 * name from its cache and never calls `lookup` again. The control lookup, queued behind the
 * pbkdf2 jobs, shows the pool really was full: an uncached check would have waited.
 */
import { execFileSync } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { closeSync, constants, mkdtempSync, openSync, promises as fs, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/time/clock.js';
import { ServerType } from '../../../src/description/server-type.js';
import { DnsCache } from '../../../src/net/dns-cache.js';
import { resolveAddress } from '../../../src/net/resolve-address.js';
import { createServerMonitor } from '../../../src/monitor/server-monitor.js';
import type { LookupFunction, ServerMonitor } from '../../../src/monitor/server-monitor-types.js';
import { answerHello, WireTestServer } from '../../unit/net/wire-test-server.js';
import { MonitorRecorder } from './monitor-recorder.js';

const POOL_SIZE = Number(process.env['UV_THREADPOOL_SIZE']) || 4;

/**
 * A job that holds one pool thread until released: reading a named pipe blocks the thread in
 * open() until a writer opens the pipe. The writer opens it without blocking (O_NONBLOCK succeeds
 * once a reader waits) from the main thread, so releasing needs no pool thread.
 */
function poolJob(fifo: string): { done: Promise<void>; release(): void } {
  execFileSync('mkfifo', [fifo]);
  const done = fs.readFile(fifo).then(() => undefined);
  let released = false;
  return {
    done,
    release() {
      if (released) return;
      released = true;
      const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(fd, 'done');
      closeSync(fd);
    },
  };
}

describe('checks while libuv’s thread pool is saturated', () => {
  let server: WireTestServer;
  const monitors: ServerMonitor[] = [];

  let fifos = '';
  let releaseAll = (): void => undefined;

  beforeAll(async () => {
    server = await WireTestServer.start(answerHello());
    fifos = mkdtempSync(join(tmpdir(), 'waspnest-pool-'));
  });

  afterAll(async () => {
    releaseAll();
    for (const m of monitors) m.close();
    await server.close();
    rmSync(fifos, { recursive: true, force: true });
  });

  it('complete for an IP literal, localhost and a cached name while every pool thread is held', async () => {
    const cache = new DnsCache();
    const lookups: string[] = [];
    // The real resolver (getaddrinfo on the pool), answering for our made-up name with localhost's IPv4.
    const lookup: LookupFunction = async (hostname) => {
      lookups.push(hostname);
      const answers = await dns.lookup('localhost', { all: true, family: 4 });
      return answers.map((a) => ({ address: a.address, family: 4 as const }));
    };
    const cachedName = 'db.waspnest.test';
    const warm = await resolveAddress(cachedName, { lookup, cache });
    expect(warm.source).toBe('lookup');
    expect(lookups).toEqual([cachedName]);

    const order: string[] = [];

    // Fill every pool thread, then queue an uncached lookup behind them (the control).
    const jobs = Array.from({ length: POOL_SIZE }, (_, i) => poolJob(join(fifos, `job${i}`)));
    releaseAll = () => jobs.forEach((job) => job.release()); // also after a failure, in afterAll
    for (const job of jobs) void job.done.then(() => order.push('pool job'));
    const control = lookup('control.waspnest.test').then(() => order.push('uncached lookup'));

    const check = async (label: string, host: string) => {
      const recorder = new MonitorRecorder();
      const monitor = createServerMonitor(`${host}:${server.port}`, recorder, {
        heartbeatFrequencyMS: 60_000,
        minHeartbeatFrequencyMS: 500,
        connectTimeoutMS: 30_000,
        mode: 'poll',
        clock: systemClock,
        lookup,
        dnsCache: cache,
        currentDescription: recorder.currentDescription,
      });
      monitors.push(monitor);
      monitor.start();
      const description = await recorder.nextDescription();
      order.push(label);
      monitor.close();
      return { description, success: recorder.events.find((e) => e.type === 'succeeded') };
    };
    const results = await Promise.all([
      check('check 127.0.0.1', '127.0.0.1'),
      check('check localhost', 'localhost'),
      check(`check ${cachedName}`, cachedName),
    ]);
    // Every check completed while the pool was full; now release it.
    order.push('released');
    releaseAll();
    await Promise.all(jobs.map((job) => job.done));
    await control;

    for (const { description } of results) expect(description.type).toBe(ServerType.Standalone);
    const firstJobDone = order.indexOf('released');
    expect(order.indexOf('check 127.0.0.1')).toBeLessThan(firstJobDone);
    expect(order.indexOf('check localhost')).toBeLessThan(firstJobDone);
    expect(order.indexOf(`check ${cachedName}`)).toBeLessThan(firstJobDone);
    // The control: a lookup that was not cached had to wait for a pool thread.
    expect(order.indexOf('uncached lookup')).toBeGreaterThan(firstJobDone);
    // The cached name was never looked up again; the literal and localhost never at all.
    expect(lookups).toEqual([cachedName, 'control.waspnest.test']);
    expect(order.filter((e) => e === 'pool job')).toHaveLength(POOL_SIZE);
  });
});
