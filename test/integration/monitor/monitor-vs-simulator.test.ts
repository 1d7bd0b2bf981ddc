/**
 * Our socket monitor against the simulated replica set (the real wire protocol on loopback):
 * step-down seen by the stream, partition, kill, and every malformed reply the simulator can
 * send. The monitor runs on a virtual clock, so heartbeats and timeouts happen only when a test
 * ticks it: "without waiting the heartbeat interval" is literal (the clock never moves).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ServerType } from '../../../src/description/server-type.js';
import {
  MalformedReplyError,
  NetworkError,
  NetworkTimeoutError,
  ProcessStallError,
  WireProtocolError,
} from '../../../src/errors.js';
import { DnsCache } from '../../../src/net/dns-cache.js';
import { createServerMonitor } from '../../../src/monitor/server-monitor.js';
import type { ServerMonitor, ServerMonitoringMode } from '../../../src/monitor/server-monitor-types.js';
import { SimulatedReplicaSet } from '../../../src/testing/simulated-replica-set.js';
import type { FaultSpec } from '../../../src/testing/faults.js';
import { FakeClock } from '../../unit/net/fake-clock.js';
import { MonitorRecorder } from './monitor-recorder.js';

const HEARTBEAT = 10_000;
const CONNECT_TIMEOUT = 2_000;

const sets: SimulatedReplicaSet[] = [];
const monitors: ServerMonitor[] = [];

afterEach(async () => {
  for (const m of monitors.splice(0)) m.close();
  for (const rs of sets.splice(0)) await rs.close();
});

async function replicaSet(): Promise<SimulatedReplicaSet> {
  const rs = await SimulatedReplicaSet.start({ members: 3 });
  sets.push(rs);
  return rs;
}

function watch(address: string, mode: ServerMonitoringMode) {
  const recorder = new MonitorRecorder();
  const clock = new FakeClock();
  const monitor = createServerMonitor(address, recorder, {
    heartbeatFrequencyMS: HEARTBEAT,
    minHeartbeatFrequencyMS: 500,
    connectTimeoutMS: CONNECT_TIMEOUT,
    mode,
    clock,
    dnsCache: new DnsCache(),
    currentDescription: recorder.currentDescription,
  });
  monitors.push(monitor);
  return { monitor, recorder, clock };
}

describe('monitor vs SimulatedReplicaSet', () => {
  it('sees a step-down through the stream, without the heartbeat interval passing', async () => {
    const rs = await replicaSet();
    const primary = await rs.waitForPrimary();
    const { monitor, recorder, clock } = watch(primary, 'stream');
    const streaming = rs.waitFor('command', (e) => e.address === primary && e.awaitable && e.exhaustAllowed);
    const startedAt = clock.now();
    monitor.start();
    const firstCheck = await recorder.nextSuccess();
    expect((await recorder.nextDescription()).type).toBe(ServerType.RSPrimary);
    await streaming; // the awaitable hello is waiting on the server

    const newPrimary = await rs.stepDown();
    const stepped = await recorder.nextDescription((d) => d.type !== ServerType.RSPrimary);
    expect(stepped).toMatchObject({ address: primary, type: ServerType.RSSecondary });
    // The election that follows arrives on the same stream: the member names its new primary.
    expect(await recorder.nextDescription((d) => d.primary === newPrimary)).toMatchObject({
      type: ServerType.RSSecondary,
    });
    // Everything after the first check came as streamed replies on that check's connection.
    const later = recorder.events.flatMap((e) => (e.type === 'succeeded' ? [e.info] : [])).slice(1);
    expect(later.length).toBeGreaterThanOrEqual(2);
    for (const info of later)
      expect(info).toMatchObject({ awaited: true, connectionId: firstCheck.connectionId });
    expect(clock.now()).toBe(startedAt); // no heartbeat interval (no time at all) passed
    expect(recorder.count('failed')).toBe(0);
  });

  it('partition: the check times out after connectTimeoutMS and the server becomes Unknown', async () => {
    const rs = await replicaSet();
    const [member] = rs.secondaries;
    if (!member) throw new Error('no secondary');
    const { monitor, recorder, clock } = watch(member, 'poll');
    monitor.start();
    expect((await recorder.nextDescription()).type).toBe(ServerType.RSSecondary);

    rs.partition(member);
    clock.tick(HEARTBEAT);
    await recorder.next((e) => e.type === 'started'); // the hello is on its way, its deadline armed
    clock.tick(CONNECT_TIMEOUT);
    const failure = await recorder.nextFailure();
    expect(failure.failure).toBeInstanceOf(NetworkTimeoutError);
    expect(failure.failure).not.toBeInstanceOf(ProcessStallError);
    expect(failure.failure.message).toBe(`hello to ${member} timed out after ${CONNECT_TIMEOUT} ms`);
    const unknown = await recorder.nextDescription();
    expect(unknown).toMatchObject({ type: ServerType.Unknown, error: { name: 'NetworkTimeoutError' } });
  });

  it('kill: the stream fails with a NetworkError, one immediate retry is refused, the server stays Unknown', async () => {
    const rs = await replicaSet();
    const [member] = rs.secondaries;
    if (!member) throw new Error('no secondary');
    const { monitor, recorder, clock } = watch(member, 'stream');
    const streaming = rs.waitFor('command', (e) => e.address === member && e.awaitable);
    monitor.start();
    await recorder.nextDescription();
    await streaming;

    await rs.kill(member);
    const broken = await recorder.nextFailure();
    expect(broken).toMatchObject({ phase: 'check', awaited: true });
    expect(broken.failure).toBeInstanceOf(NetworkError);
    expect(broken.failure.message).toContain(member);
    expect((await recorder.nextDescription()).type).toBe(ServerType.Unknown);
    // The immediate retry (no clock tick) finds the port closed.
    const refused = await recorder.nextFailure();
    expect(refused.phase).toBe('connect');
    expect(refused.failure.message).toMatch(/ECONNREFUSED/);
    expect((await recorder.nextDescription()).type).toBe(ServerType.Unknown);
    expect(clock.nextDelay).toBe(HEARTBEAT); // no second immediate retry

    await rs.restart(member);
    clock.tick(HEARTBEAT);
    expect((await recorder.nextDescription()).type).toBe(ServerType.RSSecondary);
  });

  it('a malformed hello makes the server Unknown with an error naming the bad field', async () => {
    const rs = await replicaSet();
    const [member] = rs.secondaries;
    if (!member) throw new Error('no secondary');
    const fault = rs.fault(member, { kind: 'malformedHello', times: 1 });
    const { monitor, recorder, clock } = watch(member, 'poll');
    monitor.start();
    const failure = await recorder.nextFailure();
    expect(failure.phase).toBe('handshake');
    expect(failure.failure).toBeInstanceOf(MalformedReplyError);
    const unknown = await recorder.nextDescription();
    expect(unknown.type).toBe(ServerType.Unknown);
    expect(unknown.error?.name).toBe('MalformedReplyError');
    expect(unknown.error?.message).toMatch(
      new RegExp(`^Malformed hello reply from ${member}: "(hosts|setVersion)"`),
    );
    await fault.exhausted;
    clock.tick(HEARTBEAT);
    expect((await recorder.nextDescription()).type).toBe(ServerType.RSSecondary);
  });

  const framing: [string, FaultSpec, RegExp][] = [
    ['garbage bytes', { kind: 'garbage', times: 1 }, /message length \d+ exceeds maxMessageSizeBytes/],
    [
      'a wrong length',
      { kind: 'wrongLength', times: 1 },
      /message length 12 is smaller than the 16-byte header/,
    ],
    [
      'a truncated frame',
      { kind: 'truncatedFrame', times: 1 },
      /closed the connection in the middle of a message/,
    ],
  ];
  for (const [what, spec, message] of framing) {
    it(`${what} in a hello reply: WireProtocolError, server Unknown`, async () => {
      const rs = await replicaSet();
      const [member] = rs.secondaries;
      if (!member) throw new Error('no secondary');
      rs.fault(member, spec);
      const { monitor, recorder, clock } = watch(member, 'poll');
      monitor.start();
      const failure = await recorder.nextFailure();
      expect(failure.phase).toBe('handshake');
      expect(failure.failure).toBeInstanceOf(WireProtocolError);
      expect(failure.failure.message).toContain(member);
      expect(failure.failure.message).toMatch(message);
      expect((await recorder.nextDescription()).type).toBe(ServerType.Unknown);
      clock.tick(HEARTBEAT); // the fault is spent: the next check recovers
      expect((await recorder.nextDescription()).type).toBe(ServerType.RSSecondary);
    });
  }
});
