import { afterEach, describe, expect, it } from 'vitest';
import { DnsCache } from '../../../src/net/dns-cache.js';
import { RttPinger } from '../../../src/monitor/rtt-pinger.js';
import type { MonitorSettings } from '../../../src/monitor/server-monitor-types.js';
import { FakeClock } from '../../unit/net/fake-clock.js';
import { helloReply, WireTestServer, type RequestHandler } from '../../unit/net/wire-test-server.js';

const HEARTBEAT = 10_000;
const servers: WireTestServer[] = [];
const pingers: RttPinger[] = [];

afterEach(async () => {
  for (const p of pingers.splice(0)) p.close();
  for (const s of servers.splice(0)) await s.close();
});

/** A pinger whose samples resolve `nextSample()` one by one. */
async function setUp(handler: RequestHandler) {
  const server = await WireTestServer.start(handler);
  servers.push(server);
  const clock = new FakeClock();
  const samples: number[] = [];
  let wake: (() => void) | undefined;
  const failures: Error[] = [];
  let failed: ((error: Error) => void) | undefined;
  const settings: MonitorSettings = {
    heartbeatFrequencyMS: HEARTBEAT,
    minHeartbeatFrequencyMS: 500,
    connectTimeoutMS: 5000,
    mode: 'stream',
    clock,
    dnsCache: new DnsCache(),
    currentDescription: () => undefined,
  };
  const pinger = new RttPinger(
    server.address,
    settings,
    (sample) => {
      samples.push(sample);
      wake?.();
    },
    (error) => {
      failures.push(error);
      failed?.(error);
    },
  );
  pingers.push(pinger);
  const nextSample = (count: number) =>
    new Promise<void>((resolve) => {
      wake = () => samples.length >= count && resolve();
      wake();
    });
  const nextFailure = () => new Promise<Error>((resolve) => (failed = resolve));
  return { server, clock, pinger, samples, failures, nextSample, nextFailure };
}

describe('RttPinger', () => {
  it('samples the handshake, then a plain hello every heartbeatFrequencyMS on its own connection', async () => {
    const { server, clock, pinger, samples, nextSample } = await setUp((_r, c) => c.reply(helloReply()));
    pinger.start();
    pinger.start(); // idempotent
    await nextSample(1);
    expect(server.requests.map((r) => `${r.kind}:${r.name}`)).toEqual(['query:isMaster']);
    expect(clock.nextDelay).toBe(HEARTBEAT);
    clock.tick(HEARTBEAT);
    await nextSample(2);
    expect(server.requests.map((r) => `${r.kind}:${r.name}`)).toEqual(['query:isMaster', 'msg:hello']);
    expect(samples).toHaveLength(2);
    expect(server.connections).toHaveLength(1);
  });

  it('drops its connection on an error, without a sample, and reconnects next time', async () => {
    let fail = true;
    const { server, clock, pinger, samples, nextSample, nextFailure } = await setUp((request, c) => {
      if (request.kind === 'msg' && fail) {
        fail = false;
        c.destroy();
      } else c.reply(helloReply());
    });
    pinger.start();
    await nextSample(1);
    const reconnect = server.nextConnection();
    const failure = nextFailure();
    clock.tick(HEARTBEAT); // this ping fails
    expect((await failure).message).toContain(server.address);
    expect(samples).toHaveLength(1);
    expect(clock.nextDelay).toBe(HEARTBEAT);
    clock.tick(HEARTBEAT);
    await reconnect;
    await nextSample(2);
    expect(server.connections).toHaveLength(2);
  });

  it('close() drops its socket and timer', async () => {
    const { server, clock, pinger, nextSample } = await setUp((_r, c) => c.reply(helloReply()));
    pinger.start();
    await nextSample(1);
    const closed = new Promise((resolve) => server.connections[0]?.socket.once('close', resolve));
    pinger.close();
    await closed;
    expect(clock.pending).toBe(0);
  });
});
