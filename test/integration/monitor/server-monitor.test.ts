/**
 * The socket monitor against small wire servers on loopback, on a virtual clock: heartbeats,
 * streaming, retries, rate limits, cancellation, stalls and clean shutdown, without sleeps or
 * timing thresholds (time moves only when a test ticks the clock).
 */
import { ObjectId } from 'bson';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerType } from '../../../src/description/server-type.js';
import type { ServerDescription } from '../../../src/description/types.js';
import {
  DnsError,
  MalformedReplyError,
  NetworkError,
  NetworkTimeoutError,
  ProcessStallError,
  ServerReplyError,
  WireProtocolError,
} from '../../../src/errors.js';
import { DnsCache } from '../../../src/net/dns-cache.js';
import { OpMsgFlags } from '../../../src/net/wire-protocol.js';
import { createServerMonitor, type SocketServerMonitor } from '../../../src/monitor/server-monitor.js';
import type { MonitorSettings, ServerMonitor } from '../../../src/monitor/server-monitor-types.js';
import { FakeClock } from '../../unit/net/fake-clock.js';
import {
  answerHello,
  helloReply,
  topologyVersion,
  WireTestServer,
  type RequestHandler,
  type ServerSideConnection,
} from '../../unit/net/wire-test-server.js';
import { MonitorRecorder } from './monitor-recorder.js';
import { systemError } from '../../unit/net/system-error.js';

const HEARTBEAT = 10_000;
const CONNECT_TIMEOUT = 5_000;

const servers: WireTestServer[] = [];
const monitors: ServerMonitor[] = [];

afterEach(async () => {
  for (const m of monitors.splice(0)) m.close();
  for (const s of servers.splice(0)) await s.close();
});

async function serve(handler: RequestHandler): Promise<WireTestServer> {
  const server = await WireTestServer.start(handler);
  servers.push(server);
  return server;
}

function monitorOf(
  address: string,
  overrides: Partial<MonitorSettings> = {},
): { monitor: SocketServerMonitor; recorder: MonitorRecorder; clock: FakeClock } {
  const recorder = new MonitorRecorder();
  const clock = (overrides.clock as FakeClock | undefined) ?? new FakeClock();
  const monitor = createServerMonitor(address, recorder, {
    heartbeatFrequencyMS: HEARTBEAT,
    minHeartbeatFrequencyMS: 500,
    connectTimeoutMS: CONNECT_TIMEOUT,
    mode: 'poll',
    dnsCache: new DnsCache(),
    currentDescription: recorder.currentDescription,
    ...overrides,
    clock,
  }) as SocketServerMonitor;
  monitors.push(monitor);
  return { monitor, recorder, clock };
}

/** One event-loop turn: lets already-scheduled work (microtasks, ready I/O callbacks) run. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves once the server side of a connection has closed. */
function closedOnServer(connection: ServerSideConnection | undefined): Promise<void> {
  if (!connection) throw new Error('no such connection');
  if (connection.socket.closed) return Promise.resolve();
  return new Promise((resolve) => connection.socket.once('close', () => resolve()));
}

const isHello = (name: string) => name === 'hello' || name === 'isMaster';

/** Handshakes normally; later hellos go to `later` (with their 1-based number among later hellos). */
function handshakeThen(
  later: (n: number, connection: ServerSideConnection) => void,
  extra = {},
): RequestHandler {
  let n = 0;
  return (request, connection) => {
    if (request.kind === 'query') connection.reply(helloReply(extra));
    else if (isHello(request.name)) later(++n, connection);
  };
}

/**
 * A started monitor of a new server that serves `handler`: resolves once the first check (the
 * handshake) produced a description `described` accepts, with the clock moved to the next check.
 */
async function monitorAtSecondCheck(
  handler: RequestHandler,
  described?: (description: ServerDescription) => boolean,
) {
  const server = await serve(handler);
  const { monitor, recorder, clock } = monitorOf(server.address);
  monitor.start();
  await recorder.nextDescription(described);
  clock.tick(HEARTBEAT);
  return { server, monitor, recorder, clock };
}

/**
 * A started monitor whose first check after the handshake hangs (later ones are answered):
 * resolves once that check is in flight.
 */
async function monitorWithCheckInFlight() {
  const monitored = await monitorAtSecondCheck(
    handshakeThen((n, c) => (n === 1 ? undefined : c.reply(helloReply()))),
  );
  await monitored.server.nextRequest((r) => r.name === 'hello');
  return monitored;
}

describe('polling', () => {
  it('checks at once with the handshake, then every heartbeatFrequencyMS on the same connection', async () => {
    const server = await serve(answerHello());
    const { monitor, recorder, clock } = monitorOf(server.address);
    monitor.start();

    const started = await recorder.next((e) => e.type === 'started');
    expect(started).toMatchObject({ info: { address: server.address, awaited: false } });
    const success = await recorder.nextSuccess();
    expect(success).toMatchObject({ awaited: false, dnsDuration: 0, reply: { ok: 1 } });
    expect(success.connectDuration).toBeGreaterThanOrEqual(0);
    const first = await recorder.nextDescription();
    expect(first).toMatchObject({ address: server.address, type: ServerType.Standalone, error: null });
    expect(first.roundTripTime).not.toBeNull();
    expect(clock.nextDelay).toBe(HEARTBEAT);

    clock.tick(HEARTBEAT);
    const second = await recorder.nextSuccess();
    expect(second.connectionId).toBe(success.connectionId);
    expect(second.dnsDuration).toBeUndefined();
    expect(server.requests.map((r) => `${r.kind}:${r.name}`)).toEqual(['query:isMaster', 'msg:hello']);
    expect(server.requests[1]?.document['topologyVersion']).toBeUndefined();
    expect(server.connections).toHaveLength(1);
  });

  it('uses legacy isMaster for monitoring when the server did not say helloOk', async () => {
    const { server, recorder } = await monitorAtSecondCheck(answerHello({ helloOk: undefined }));
    await recorder.nextDescription();
    expect(server.requests.map((r) => `${r.kind}:${r.name}`)).toEqual(['query:isMaster', 'msg:isMaster']);
  });

  it('polls in auto mode on a FaaS platform even when the server could stream', async () => {
    const server = await serve(answerHello({ topologyVersion: topologyVersion(new ObjectId(), 0) }));
    process.env['AWS_LAMBDA_RUNTIME_API'] = '127.0.0.1:9001';
    let created: ReturnType<typeof monitorOf>;
    try {
      created = monitorOf(server.address, { mode: 'auto' });
    } finally {
      delete process.env['AWS_LAMBDA_RUNTIME_API'];
    }
    const { monitor, recorder, clock } = created;
    expect(monitor.streamingEnabled).toBe(false);
    monitor.start();
    await recorder.nextDescription();
    expect(clock.nextDelay).toBe(HEARTBEAT);
    expect(monitor.rttPinger).toBeNull();
  });

  it('coalesces check requests and runs at most one per minHeartbeatFrequencyMS', async () => {
    const server = await serve(answerHello());
    const { monitor, recorder, clock } = monitorOf(server.address);
    monitor.start();
    await recorder.nextDescription();
    clock.tick(100);
    for (let i = 0; i < 1000; i++) monitor.requestCheck();
    expect(clock.nextDelay).toBe(400); // 500 ms after the previous check ended
    clock.tick(399);
    await turn();
    expect(server.count('hello')).toBe(0);
    clock.tick(1);
    await recorder.nextDescription();
    expect(server.count('hello')).toBe(1);
    expect(clock.nextDelay).toBe(HEARTBEAT);
  });

  it('ignores check requests while a check is in flight', async () => {
    let answer: (() => void) | undefined;
    const { server, monitor, recorder, clock } = await monitorAtSecondCheck(
      handshakeThen((_n, c) => (answer = () => c.reply(helloReply()))),
    );
    await server.nextRequest((r) => r.name === 'hello');
    monitor.requestCheck();
    monitor.requestCheck();
    expect(clock.pending).toBe(1); // only the reply's deadline
    answer?.();
    await recorder.nextDescription();
    expect(clock.nextDelay).toBe(HEARTBEAT);
  });
});

describe('failures', () => {
  it('after a network error on a known server: marks it Unknown, then retries at once (only once)', async () => {
    const { server, recorder, clock } = await monitorAtSecondCheck(
      handshakeThen((_n, c) => c.destroy()),
      (d) => d.type === ServerType.Standalone,
    );

    const failure = await recorder.nextFailure();
    expect(failure.failure).toBeInstanceOf(NetworkError);
    expect(failure.phase).toBe('check');
    expect(failure.failure.message).toContain(server.address);
    const unknown = await recorder.nextDescription();
    expect(unknown.type).toBe(ServerType.Unknown);
    expect(unknown.error?.message).toContain(server.address);
    // The retry needs no clock advance: it runs at once, on a new connection.
    await recorder.next((e) => e.type === 'started');
    expect(await recorder.nextDescription()).toMatchObject({ type: ServerType.Standalone });
    expect(server.connections).toHaveLength(2);
    expect(clock.nextDelay).toBe(HEARTBEAT);
  });

  it('does not retry at once when the server was already Unknown', async () => {
    const probe = await serve(answerHello());
    const address = probe.address;
    await probe.close();
    servers.splice(0);
    const { monitor, recorder, clock } = monitorOf(address);
    monitor.start();
    const failure = await recorder.nextFailure();
    expect(failure).toMatchObject({ phase: 'connect', awaited: false });
    expect(failure.failure.message).toMatch(/ECONNREFUSED/);
    expect((await recorder.nextDescription()).type).toBe(ServerType.Unknown);
    await turn();
    expect(recorder.count('started')).toBe(1);
    expect(clock.nextDelay).toBe(HEARTBEAT);
  });

  it('retries only once when the retry fails too', async () => {
    let refuse = false;
    const { recorder, clock } = await monitorAtSecondCheck(
      (request, connection) => {
        if (refuse) connection.destroy();
        else if (request.kind === 'query') connection.reply(helloReply());
        else {
          refuse = true;
          connection.destroy();
        }
      },
      (d) => d.type === ServerType.Standalone,
    );
    await recorder.nextDescription((d) => d.type === ServerType.Unknown);
    const retryFailure = await recorder.nextFailure();
    expect(retryFailure.phase).toBe('handshake');
    await recorder.nextDescription((d) => d.type === ServerType.Unknown);
    await turn();
    expect(recorder.count('started')).toBe(3);
    expect(clock.nextDelay).toBe(HEARTBEAT);
  });

  it('marks the server Unknown on a command error without an immediate retry, keeping its topologyVersion', async () => {
    const processId = new ObjectId();
    const { recorder, clock } = await monitorAtSecondCheck(
      handshakeThen((_n, c) =>
        c.reply({
          ok: 0,
          errmsg: 'shutting down',
          code: 91,
          codeName: 'ShutdownInProgress',
          topologyVersion: topologyVersion(processId, 3),
        }),
      ),
    );
    const failure = await recorder.nextFailure();
    expect(failure.failure).toBeInstanceOf(ServerReplyError);
    const unknown = await recorder.nextDescription();
    expect(unknown).toMatchObject({
      type: ServerType.Unknown,
      topologyVersion: { processId: processId.toHexString(), counter: 3 },
    });
    await turn();
    expect(clock.nextDelay).toBe(HEARTBEAT);
  });

  it('times out a check after connectTimeoutMS and marks the server Unknown', async () => {
    const { server, recorder, clock } = await monitorWithCheckInFlight();
    clock.tick(CONNECT_TIMEOUT);
    const failure = await recorder.nextFailure();
    expect(failure.failure).toBeInstanceOf(NetworkTimeoutError);
    expect(failure.failure).not.toBeInstanceOf(ProcessStallError);
    expect(failure.failure.message).toBe(`hello to ${server.address} timed out after ${CONNECT_TIMEOUT} ms`);
    expect((await recorder.nextDescription()).type).toBe(ServerType.Unknown);
    expect((await recorder.nextDescription()).type).toBe(ServerType.Standalone); // the immediate retry
  });

  it('reports garbage from the server as a WireProtocolError and the server as Unknown', async () => {
    const { server, recorder } = await monitorAtSecondCheck(
      handshakeThen((_n, c) => c.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'))),
    );
    const failure = await recorder.nextFailure();
    expect(failure.failure).toBeInstanceOf(WireProtocolError);
    expect(failure.failure.message).toMatch(
      new RegExp(
        `invalid message from ${server.address}: the peer is not a MongoDB server: it sent text \\("HTTP/1\\.1 400 Bad Request"\\)`,
      ),
    );
    expect((await recorder.nextDescription()).type).toBe(ServerType.Unknown);
  });

  it('marks a server that answers hello with a malformed reply Unknown, with a clear error', async () => {
    const { server, recorder, clock } = await monitorAtSecondCheck(
      handshakeThen((_n, c) => c.reply(helloReply({ setName: 42 }))),
    );
    const failure = await recorder.nextFailure();
    expect(failure.failure).toBeInstanceOf(MalformedReplyError);
    expect(failure.failure.message).toMatch(
      `Malformed hello reply from ${server.address}: "setName" must be a string`,
    );
    const unknown = await recorder.nextDescription();
    expect(unknown.type).toBe(ServerType.Unknown);
    expect(unknown.error).toMatchObject({ name: 'MalformedReplyError', message: failure.failure.message });
    // Not a network error: no immediate retry, and the next check reconnects.
    await turn();
    expect(clock.nextDelay).toBe(HEARTBEAT);
    await closedOnServer(server.connections[0]); // the confused connection was dropped
  });

  it('names the phase: DNS failures are DnsErrors in phase dns, never connect timeouts', async () => {
    const lookup = async (): Promise<never> => {
      throw systemError('getaddrinfo', 'ENOTFOUND', 'db.example.test');
    };
    const { monitor, recorder } = monitorOf('db.example.test:27017', { lookup });
    monitor.start();
    const failure = await recorder.nextFailure();
    expect(failure.phase).toBe('dns');
    expect(failure.failure).toBeInstanceOf(DnsError);
    expect(failure.failure).not.toBeInstanceOf(NetworkTimeoutError);
    expect(failure.failure.message).toBe('cannot resolve host "db.example.test": ENOTFOUND');
    expect((await recorder.nextDescription()).type).toBe(ServerType.Unknown);
  });

  it('reports DNS time apart from connect time', async () => {
    const server = await serve(answerHello());
    const clock = new FakeClock();
    const lookup = async () => {
      clock.tick(25); // the resolver "takes" 25 ms of virtual time
      return [{ address: '127.0.0.1', family: 4 as const }];
    };
    const { monitor, recorder } = monitorOf(`db.example.test:${server.port}`, { lookup, clock });
    monitor.start();
    const success = await recorder.nextSuccess();
    expect(success.dnsDuration).toBe(25);
    expect(success.connectDuration).toBe(0);
  });

  it('keeps going when a listener throws (and warns)', async () => {
    const server = await serve(answerHello());
    const { monitor, recorder, clock } = monitorOf(server.address);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const original = recorder.heartbeatSucceeded.bind(recorder);
    recorder.heartbeatSucceeded = (info) => {
      original(info);
      throw new Error('listener bug');
    };
    try {
      monitor.start();
      await recorder.nextDescription();
      clock.tick(HEARTBEAT);
      await recorder.nextDescription();
      await turn();
      expect(warnings.map((w) => w.message)).toContain(
        'a server monitor listener (heartbeatSucceeded) threw: listener bug',
      );
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('cancelCheck', () => {
  it('aborts the check in flight without a description, and the next check uses a new connection', async () => {
    const { server, monitor, recorder, clock } = await monitorWithCheckInFlight();
    monitor.cancelCheck();
    const failure = await recorder.nextFailure();
    expect(failure.failure.message).toMatch(/cancelled: the application reported a network error/);
    await turn();
    expect(recorder.descriptions).toHaveLength(1);
    expect(clock.nextDelay).toBe(HEARTBEAT);
    monitor.requestCheck(); // the topology asks for a check after marking the server Unknown
    expect(clock.nextDelay).toBe(500);
    clock.tick(500);
    expect(await recorder.nextSuccess()).toMatchObject({ dnsDuration: 0 });
    expect(server.connections).toHaveLength(2);
  });

  it('drops an idle connection so that the next check reconnects', async () => {
    const server = await serve(answerHello());
    const { monitor, recorder, clock } = monitorOf(server.address);
    monitor.start();
    await recorder.nextDescription();
    monitor.cancelCheck();
    clock.tick(HEARTBEAT);
    await recorder.nextDescription();
    expect(server.connections).toHaveLength(2);
    expect(server.requests.map((r) => r.kind)).toEqual(['query', 'query']);
  });
});

describe('process stalls', () => {
  it('retries a check that "timed out" only because the process was paused, without marking the server Unknown', async () => {
    const { recorder, clock } = await monitorWithCheckInFlight();
    clock.jump(15 * 60_000); // the container was frozen for 15 minutes
    const failure = await recorder.nextFailure();
    expect(failure.failure).toBeInstanceOf(ProcessStallError);
    const next = await recorder.nextDescription();
    expect(next.type).toBe(ServerType.Standalone);
    expect(recorder.descriptions.map((d) => d.type)).toEqual([ServerType.Standalone, ServerType.Standalone]);
  });

  it('after a pause, retries a connection that died meanwhile before marking the server Unknown', async () => {
    // The server drops the monitoring connection when it next sees a hello on it (as a peer or a
    // NAT that expired the idle connection during the pause would); new connections work.
    const server = await serve(handshakeThen((_n, c) => c.destroy()));
    const { monitor, recorder, clock } = monitorOf(server.address);
    monitor.start();
    await recorder.nextDescription();
    clock.jump(30 * 60_000); // frozen far longer than the heartbeat interval
    const failure = await recorder.nextFailure();
    expect(failure).toMatchObject({ phase: 'check' });
    expect(failure.failure).toBeInstanceOf(NetworkError);
    expect(await recorder.nextDescription()).toMatchObject({ type: ServerType.Standalone });
    expect(recorder.descriptions.map((d) => d.type)).toEqual([ServerType.Standalone, ServerType.Standalone]);
    expect(server.connections).toHaveLength(2);
  });

  it('retries only once: a second stalled timeout marks the server Unknown', async () => {
    // Connection 1 answers its handshake, then hangs; connection 2 hangs on its handshake.
    const { server, recorder, clock } = await monitorAtSecondCheck((request, connection) => {
      if (connection.number === 1 && request.kind === 'query') connection.reply(helloReply());
      else if (connection.number >= 3) connection.reply(helloReply());
    });
    await server.nextRequest((r) => r.kind === 'msg');
    const handshake2 = server.nextRequest((r) => r.connection === 2);
    clock.jump(600_000);
    expect((await recorder.nextFailure()).failure).toBeInstanceOf(ProcessStallError);
    await handshake2;
    clock.jump(600_000);
    const second = await recorder.nextFailure();
    expect(second).toMatchObject({ phase: 'handshake' });
    expect(second.failure).toBeInstanceOf(ProcessStallError);
    expect((await recorder.nextDescription()).type).toBe(ServerType.Unknown);
  });
});

describe('streaming', () => {
  it('streams awaitable hellos from the first check and reports each exhaust reply as an awaited heartbeat', async () => {
    const processId = new ObjectId();
    let counter = 0;
    const streams: ServerSideConnection[] = [];
    const server = await serve((request, connection) => {
      const tv = topologyVersion(processId, counter);
      if (request.kind === 'query') connection.reply(helloReply({ topologyVersion: tv }));
      else if (request.document['topologyVersion'] !== undefined) streams.push(connection);
      else connection.reply(helloReply({ topologyVersion: tv })); // the RTT pinger's plain hello
    });
    const { monitor, recorder, clock } = monitorOf(server.address, { mode: 'stream' });
    monitor.start();
    await recorder.nextDescription((d) => d.type === ServerType.Standalone);

    const awaitable = await server.nextRequest((r) => r.document['topologyVersion'] !== undefined);
    expect(awaitable.document).toMatchObject({
      hello: 1,
      maxAwaitTimeMS: HEARTBEAT,
      topologyVersion: { processId, counter: 0 },
    });
    expect(awaitable.flags & OpMsgFlags.exhaustAllowed).not.toBe(0);
    expect(monitor.rttPinger).not.toBeNull();

    // A state change: the server streams a reply at once, without being asked again.
    counter = 1;
    streams[0]?.reply(
      helloReply({
        topologyVersion: topologyVersion(processId, 1),
        isWritablePrimary: false,
        secondary: true,
        setName: 'rs0',
        hosts: [server.address],
      }),
      { moreToCome: true },
    );
    const started = await recorder.next((e) => e.type === 'started' && e.info.awaited);
    expect(started).toMatchObject({ info: { awaited: true } });
    const success = await recorder.nextSuccess();
    expect(success.awaited).toBe(true);
    const secondary = await recorder.nextDescription();
    expect(secondary).toMatchObject({ type: ServerType.RSSecondary, topologyVersion: { counter: 1 } });

    // Check requests while the stream is pending do nothing: the stream reports changes itself.
    const timersBefore = clock.pending;
    monitor.requestCheck();
    expect(clock.pending).toBe(timersBefore);

    streams[0]?.reply(
      helloReply({ topologyVersion: topologyVersion(processId, 2), setName: 'rs0', hosts: [server.address] }),
      { moreToCome: true },
    );
    expect(await recorder.nextDescription()).toMatchObject({ type: ServerType.RSPrimary });
    // One awaitable hello carried all of it: no new request on the monitoring connection.
    expect(server.requests.filter((r) => r.connection === 1).map((r) => r.kind)).toEqual(['query', 'msg']);
  });

  it('sends the next awaitable hello at once after a reply without moreToCome, pacing a server that answers at once', async () => {
    const processId = new ObjectId();
    const server = await serve((request, connection) => {
      // Answers every awaitable hello at once, with the same topologyVersion and no moreToCome.
      connection.reply(helloReply({ topologyVersion: topologyVersion(processId, 0) }));
      void request;
    });
    const { monitor, recorder, clock } = monitorOf(server.address, { mode: 'stream' });
    monitor.start();
    await recorder.nextDescription();
    const first = await recorder.nextSuccess();
    expect(first.awaited).toBe(true);
    await recorder.nextDescription();
    // Not a spin: the next awaitable hello waits until minHeartbeatFrequencyMS after the last one.
    expect(clock.nextDelay).toBe(500);
    const before = server.requests.filter((r) => r.connection === 1).length;
    clock.tick(500);
    await recorder.nextSuccess();
    expect(server.requests.filter((r) => r.connection === 1).length).toBe(before + 1);
  });

  it('measures RTT on a separate connection every heartbeat without publishing events', async () => {
    const processId = new ObjectId();
    const server = await serve((request, connection) => {
      const tv = topologyVersion(processId, 0);
      if (request.kind === 'query' || request.document['topologyVersion'] === undefined) {
        connection.reply(helloReply({ topologyVersion: tv }));
      } // awaitable hellos stay pending: nothing changes
    });
    const { monitor, recorder, clock } = monitorOf(server.address, { mode: 'stream' });
    monitor.start();
    await recorder.nextDescription();
    const pinger = monitor.rttPinger;
    if (!pinger) throw new Error('streaming did not start the RTT pinger');
    await pinger.nextSample(); // its handshake
    expect(server.requests.filter((r) => r.connection === 2).map((r) => r.kind)).toEqual(['query']);
    expect(monitor.roundTripTime.samples).toHaveLength(2); // the monitor's handshake and the pinger's
    const eventsBefore = recorder.events.length;
    const ping = server.nextRequest((r) => r.connection === 2 && r.kind === 'msg');
    const sampled = pinger.nextSample();
    clock.tick(HEARTBEAT);
    expect((await ping).document).toEqual({ hello: 1, helloOk: true, $db: 'admin' });
    await sampled;
    expect(monitor.roundTripTime.samples).toHaveLength(3);
    expect(recorder.events.length).toBe(eventsBefore);
    expect(pinger.pings).toBe(2); // its handshake, then one hello per heartbeat
  });

  it('times out an awaitable hello after connectTimeoutMS + heartbeatFrequencyMS', async () => {
    const processId = new ObjectId();
    const server = await serve((request, connection) => {
      if (request.kind === 'query')
        connection.reply(helloReply({ topologyVersion: topologyVersion(processId, 0) }));
      else if (request.document['topologyVersion'] === undefined) connection.reply(helloReply());
    });
    const { monitor, recorder, clock } = monitorOf(server.address, { mode: 'stream' });
    monitor.start();
    await recorder.nextDescription();
    await server.nextRequest((r) => r.connection === 1 && r.kind === 'msg');
    clock.tick(CONNECT_TIMEOUT + HEARTBEAT - 1);
    await turn();
    expect(recorder.count('failed')).toBe(0);
    clock.tick(1);
    const failure = await recorder.nextFailure();
    expect(failure).toMatchObject({ awaited: true, phase: 'check' });
    expect(failure.failure.message).toBe(
      `hello to ${server.address} timed out after ${CONNECT_TIMEOUT + HEARTBEAT} ms`,
    );
  });
});

describe('close', () => {
  it('leaves no socket and no timer behind', async () => {
    const processId = new ObjectId();
    const server = await serve((request, connection) => {
      if (request.kind === 'query' || request.document['topologyVersion'] === undefined) {
        connection.reply(helloReply({ topologyVersion: topologyVersion(processId, 0) }));
      }
    });
    // Sockets only: the monitor's timers are all on its clock (checked by clock.pending), and the
    // process's Timeout count moves with whatever else runs in it (a timer of an earlier test).
    const handles = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap').length;
    const handlesBefore = handles();
    const { monitor, recorder, clock } = monitorOf(server.address, { mode: 'stream' });
    monitor.start();
    await recorder.nextDescription();
    await server.nextRequest((r) => r.connection === 1 && r.kind === 'msg'); // the stream is pending
    await server.nextRequest((r) => r.connection === 2); // the pinger is connected
    expect(clock.pending).toBeGreaterThan(0);

    const closed = server.connections.map((c) => new Promise((resolve) => c.socket.once('close', resolve)));
    monitor.close();
    monitor.close(); // idempotent
    await Promise.all(closed);
    expect(clock.pending).toBe(0);
    expect(handles()).toBe(handlesBefore);
    monitor.requestCheck();
    monitor.start();
    await turn();
    expect(clock.pending).toBe(0);
    expect(server.connections.every((c) => c.socket.destroyed)).toBe(true);
  });

  it('closing during a connect abandons it quietly', async () => {
    const server = await serve(() => undefined); // never answers the handshake
    const { monitor, recorder } = monitorOf(server.address);
    monitor.start();
    await server.nextRequest();
    const closed = new Promise((resolve) => server.connections[0]?.socket.once('close', resolve));
    monitor.close();
    await closed;
    await turn();
    expect(recorder.count('failed')).toBe(0);
    expect(recorder.descriptions).toHaveLength(0);
  });
});
