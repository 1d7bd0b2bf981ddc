import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Document } from 'bson';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Connection, type WireReply } from '../../../src/net/connection.js';
import { encodeOpMsg, OpCode, OpMsgFlags } from '../../../src/net/wire-protocol.js';
import {
  NetworkError,
  NetworkTimeoutError,
  ProcessStallError,
  ServerReplyError,
  WireProtocolError,
} from '../../../src/errors.js';
import { FakeClock } from './fake-clock.js';
import {
  answerHello,
  helloReply,
  WireTestServer,
  type RequestHandler,
  type ServerSideConnection,
} from './wire-test-server.js';

const servers: WireTestServer[] = [];
const connections: Connection[] = [];

async function serve(
  handler: RequestHandler,
  options?: Parameters<typeof WireTestServer.start>[1],
): Promise<WireTestServer> {
  const server = await WireTestServer.start(handler, options);
  servers.push(server);
  return server;
}

async function connect(
  address: string,
  options: Partial<Parameters<typeof Connection.connect>[1]> = {},
): Promise<Connection> {
  const connection = await Connection.connect(address, { address, connectTimeoutMS: 10_000, ...options });
  connections.push(connection);
  return connection;
}

/** A valid header (length, ids, opcode) followed by `body`. */
function frame(length: number, opCode: number, body: Buffer = Buffer.alloc(0), responseTo = 0): Buffer {
  const header = Buffer.alloc(16);
  header.writeInt32LE(length, 0);
  header.writeInt32LE(99, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, body]);
}

/** Answers the handshake normally and every later command with `later`. */
function thenDo(later: RequestHandler, handshake: Document = {}): RequestHandler {
  return (request, connection) => {
    if (request.kind === 'query') connection.reply(helloReply(handshake));
    else later(request, connection);
  };
}

afterEach(async () => {
  for (const c of connections.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await s.close();
});

describe('Connection handshake and commands', () => {
  it('handshakes with legacy isMaster over OP_QUERY (helloOk, client metadata), then speaks OP_MSG hello', async () => {
    const server = await serve(answerHello());
    const connection = await connect(server.address, { handshake: { appName: 'orders' } });
    expect(connection.helloOk).toBe(true);
    expect(connection.takeHandshakeReply()).toMatchObject({ ok: 1, isWritablePrimary: true });
    // Taken once: the connection does not keep the decoded reply for its whole life.
    expect(connection.takeHandshakeReply()).toBeNull();
    expect(connection.timings).toMatchObject({ dnsMS: 0 });
    const first = server.requests[0];
    expect(first).toMatchObject({ kind: 'query', name: 'isMaster' });
    expect(first?.document).toMatchObject({
      helloOk: true,
      client: { application: { name: 'orders' }, driver: { name: 'waspnest' } },
    });

    const reply = await connection.command('admin', { hello: 1 });
    expect(reply['ok']).toBe(1);
    expect(server.requests[1]).toMatchObject({
      kind: 'msg',
      name: 'hello',
      document: { hello: 1, $db: 'admin' },
    });
  });

  it('keeps OP_QUERY for a server older than wire version 6', async () => {
    const server = await serve(answerHello({ helloOk: undefined, maxWireVersion: 5 }));
    const connection = await connect(server.address);
    expect(connection.helloOk).toBe(false);
    await connection.command('admin', { isMaster: 1 });
    expect(server.requests.map((r) => r.kind)).toEqual(['query', 'query']);
  });

  it('handshakes with OP_MSG hello when a server API version is declared', async () => {
    const server = await serve(answerHello());
    await connect(server.address, { handshake: { serverApi: { version: '1' } } });
    expect(server.requests[0]).toMatchObject({
      kind: 'msg',
      name: 'hello',
      document: { apiVersion: '1', $db: 'admin' },
    });
  });

  it('turns ok: 0 into a ServerReplyError and stays usable', async () => {
    const server = await serve(
      thenDo((request, c) =>
        request.name === 'boom'
          ? c.reply({ ok: 0, errmsg: 'not primary', code: 10107, codeName: 'NotWritablePrimary' })
          : c.reply({ ok: 1 }),
      ),
    );
    const connection = await connect(server.address);
    const error = await connection.command('admin', { boom: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerReplyError);
    expect(error).toMatchObject({ code: 10107, codeName: 'NotWritablePrimary' });
    expect((error as Error).message).toContain(server.address);
    expect(connection.destroyed).toBe(false);
    expect(await connection.command('admin', { ping: 1 })).toEqual({ ok: 1 });
  });

  it('streams exhaust replies while moreToCome is set', async () => {
    const server = await serve(
      thenDo((_request, c) => {
        for (let i = 1; i <= 3; i++) c.reply({ ok: 1, n: i }, { moreToCome: true });
        c.reply({ ok: 1, n: 4 });
      }),
    );
    const connection = await connect(server.address);
    // The four replies arrive in one burst: each is handed out in order, then no more is claimed.
    const seen: unknown[] = [];
    seen.push((await connection.command('admin', { hello: 1 }, { exhaustAllowed: true }))['n']);
    for (let i = 0; i < 3; i++) seen.push((await connection.nextReply())['n']);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(connection.moreToCome).toBe(false);
    await expect(connection.nextReply()).rejects.toThrow(/no exhaust reply is coming/);
    expect((server.requests[1]?.flags ?? 0) & OpMsgFlags.exhaustAllowed).not.toBe(0);
  });

  it('reads one exhaust reply at a time with nextReply', async () => {
    let stream: ((n: number, more: boolean) => void) | undefined;
    const server = await serve(
      thenDo((_r, c) => (stream = (n, more) => c.reply({ ok: 1, n }, { moreToCome: more }))),
    );
    const connection = await connect(server.address);
    const first = connection.command('admin', { hello: 1 }, { exhaustAllowed: true });
    await server.nextRequest((r) => r.name === 'hello');
    stream?.(1, true);
    expect((await first)['n']).toBe(1);
    expect(connection.moreToCome).toBe(true);
    await expect(connection.command('admin', { ping: 1 })).rejects.toThrow(/busy/);
    const second = connection.nextReply();
    stream?.(2, false);
    expect((await second)['n']).toBe(2);
    expect(connection.moreToCome).toBe(false);
    await expect(connection.nextReply()).rejects.toThrow(/no exhaust reply is coming/);
  });
});

describe('Connection framing errors', () => {
  async function failureAfter(send: (c: ServerSideConnection) => void, handshake: Document = {}) {
    const server = await serve(thenDo((_r, c) => send(c), handshake));
    const connection = await connect(server.address);
    const error = await connection.command('admin', { hello: 1 }).catch((e: unknown) => e);
    return { error: error as Error, connection, server };
  }

  it('rejects a message length below 16 and destroys the connection', async () => {
    const { error, connection, server } = await failureAfter((c) => c.write(frame(8, OpCode.OP_MSG)));
    expect(error).toBeInstanceOf(WireProtocolError);
    expect(error.message).toMatch(
      new RegExp(`invalid message from ${server.address}: message length 8 is smaller`),
    );
    expect(connection.destroyed).toBe(true);
  });

  it('rejects a message longer than the maxMessageSizeBytes the server negotiated', async () => {
    const { error } = await failureAfter((c) => c.write(frame(5000, OpCode.OP_MSG)), {
      maxMessageSizeBytes: 1000,
    });
    expect(error).toBeInstanceOf(WireProtocolError);
    expect(error.message).toMatch(/message length 5000 exceeds maxMessageSizeBytes 1000/);
  });

  it('rejects garbage with a clear error', async () => {
    const { error } = await failureAfter((c) =>
      c.write(frame(24, 4242, Buffer.from('garbage!'), c.respondTo)),
    );
    expect(error).toBeInstanceOf(WireProtocolError);
    expect(error.message).toMatch(/unknown opCode 4242/);
  });

  it('reports a frame cut short by a closed connection as a protocol error', async () => {
    const { error } = await failureAfter((c) => {
      const whole = encodeOpMsg({
        requestId: 5,
        responseTo: c.respondTo,
        document: { ok: 1, padding: 'x'.repeat(100) },
      });
      c.write(whole.subarray(0, 40));
      c.socket.end();
    });
    expect(error).toBeInstanceOf(WireProtocolError);
    expect(error.message).toMatch(
      /closed the connection in the middle of a message \(40 bytes of it received\)/,
    );
  });

  it('assembles a reply that arrives in many small pieces', async () => {
    const server = await serve(
      thenDo((_r, c) => {
        const whole = encodeOpMsg({
          requestId: 6,
          responseTo: c.respondTo,
          document: { ok: 1, text: 'y'.repeat(300) },
        });
        for (let i = 0; i < whole.length; i += 7) c.write(whole.subarray(i, i + 7));
      }),
    );
    const connection = await connect(server.address);
    expect((await connection.command('admin', { hello: 1 }))['text']).toBe('y'.repeat(300));
  });

  it('rejects a reply to a request it did not send', async () => {
    const { error } = await failureAfter((c) =>
      c.write(encodeOpMsg({ requestId: 7, responseTo: c.respondTo + 12345, document: { ok: 1 } })),
    );
    expect(error).toBeInstanceOf(WireProtocolError);
    expect(error.message).toMatch(/not waiting for/);
  });
});

/**
 * A connection on a fake clock with a hello (timeoutMS 3000) in flight: the server received it
 * and never answers. `pending` resolves with what the command threw.
 */
async function unansweredHello() {
  const clock = new FakeClock();
  const server = await serve(thenDo(() => undefined));
  const connection = await connect(server.address, { clock });
  const pending = connection.command('admin', { hello: 1 }, { timeoutMS: 3000 }).catch((e: unknown) => e);
  await server.nextRequest((r) => r.name === 'hello');
  return { clock, server, connection, pending };
}

describe('Connection failures and timeouts', () => {
  it('times out a reply by the clock, names the address, and destroys the connection', async () => {
    const { clock, server, connection, pending } = await unansweredHello();
    clock.tick(3000);
    const error = (await pending) as Error;
    expect(error).toBeInstanceOf(NetworkTimeoutError);
    expect(error).not.toBeInstanceOf(ProcessStallError);
    expect(error.message).toBe(`hello to ${server.address} timed out after 3000 ms`);
    expect(connection.destroyed).toBe(true);
  });

  it('calls a deadline that fired only after a long pause of the process a ProcessStallError', async () => {
    const { clock, pending } = await unansweredHello();
    clock.jump(300_000);
    const error = (await pending) as ProcessStallError;
    expect(error).toBeInstanceOf(ProcessStallError);
    expect(error.elapsedMS).toBe(300_000);
    expect(error.message).toMatch(/this process was paused/);
  });

  it('reports a refused connection as a NetworkError naming the address', async () => {
    const probe = await serve(answerHello());
    const address = probe.address;
    await probe.close();
    servers.splice(servers.indexOf(probe), 1);
    const error = (await connect(address).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(NetworkError);
    // Said once: not "(127.0.0.1) failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:port".
    expect(error.message).toBe(`connection to ${address} failed: ECONNREFUSED (connection refused)`);
  });

  it('reports a server that closes the connection', async () => {
    const server = await serve(thenDo((_r, c) => c.destroy()));
    const connection = await connect(server.address);
    const error = (await connection.command('admin', { hello: 1 }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toMatch(new RegExp(`to ${server.address} (was closed by the server|failed)`));
  });

  it('tries the resolved addresses in order', async () => {
    const server = await serve(answerHello());
    const connection = await Connection.open({
      address: `db.example.test:${server.port}`,
      target: {
        hostname: 'db.example.test',
        port: server.port,
        ips: [
          { address: '127.0.0.2', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ],
      },
      connectTimeoutMS: 10_000,
    });
    connections.push(connection);
    expect(connection.remote).toBe('127.0.0.1');
  });

  it('times out the connect phase (here: a TLS handshake the server never answers)', async () => {
    const clock = new FakeClock();
    const silent = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silent.unref();
    const accepted = new Promise((resolve) => silent.once('connection', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const pending = connect(`127.0.0.1:${port}`, {
      clock,
      connectTimeoutMS: 2000,
      tls: { enabled: true },
    }).catch((e: unknown) => e);
    await accepted;
    clock.tick(2000);
    const error = (await pending) as Error;
    expect(error).toBeInstanceOf(NetworkTimeoutError);
    expect(error.message).toBe(`connecting to 127.0.0.1:${port} timed out after 2000 ms`);
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('stops connecting when aborted', async () => {
    const server = await serve(thenDo(() => undefined));
    const controller = new AbortController();
    const pending = connect(server.address, { signal: controller.signal }).catch((e: unknown) => e);
    await server.nextRequest();
    controller.abort(new NetworkError('cancelled by the test'));
    expect(((await pending) as Error).message).toBe('cancelled by the test');
  });

  it('connects over a Unix domain socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waspnest-'));
    const path = join(dir, 'mongodb-test.sock');
    const server = await serve(answerHello(), { path });
    const connection = await connect(path);
    expect(connection.remote).toBe(path);
    expect(connection.helloOk).toBe(true);
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not keep the process alive: its socket is unref’d unless asked otherwise', async () => {
    const server = await serve(answerHello());
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    await connect(server.address);
    expect(sockets()).toBe(before);
    await connect(server.address, { keepProcessAlive: true });
    expect(sockets()).toBe(before + 1);
  });

  it('destroy() is idempotent and fails a pending read with its reason', async () => {
    const server = await serve(thenDo(() => undefined));
    const connection = await connect(server.address);
    const pending = connection.command('admin', { hello: 1 });
    connection.destroy(new NetworkError('gone'));
    connection.destroy(new NetworkError('again'));
    await expect(pending).rejects.toThrow('gone');
    await expect(connection.command('admin', { hello: 1 })).rejects.toThrow(/is closed: gone/);
  });
});

describe('Connection.sendCommandBytes (a waiter instead of a promise)', () => {
  /** A waiter that records its one call, and a promise of that call. */
  function recordingWaiter() {
    const calls: Array<{ resolved: WireReply } | { rejected: Error }> = [];
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    return {
      calls,
      settled,
      waiter: {
        resolve: (reply: WireReply) => {
          calls.push({ resolved: reply });
          settle();
        },
        reject: (error: Error) => {
          calls.push({ rejected: error });
          settle();
        },
      },
    };
  }

  it('hands the undecoded reply to the waiter, once, and the connection stays usable', async () => {
    const server = await serve(thenDo((_, c) => c.reply({ ok: 1, isWritablePrimary: true })));
    const connection = await connect(server.address);
    const hello = connection.encodeCommand('admin', { hello: 1 });
    for (let round = 0; round < 2; round++) {
      const { calls, settled, waiter } = recordingWaiter();
      connection.sendCommandBytes(hello, 'hello', 10_000, waiter);
      await settled;
      expect(calls).toHaveLength(1);
      const call = calls[0];
      if (call === undefined || !('resolved' in call))
        throw new Error(`expected a reply, got ${String(call)}`);
      expect(call.resolved.kind).toBe('msgBytes');
      expect(connection.documentOf(call.resolved)).toMatchObject({ ok: 1, isWritablePrimary: true });
    }
    expect(server.requests.filter((r) => r.name === 'hello')).toHaveLength(2);
  });

  it('rejects through the waiter, not by throwing, on a closed connection and when destroyed while waiting', async () => {
    const server = await serve(thenDo(() => undefined));
    const connection = await connect(server.address);
    const hello = connection.encodeCommand('admin', { hello: 1 });
    const pending = recordingWaiter();
    connection.sendCommandBytes(hello, 'hello', 0, pending.waiter);
    connection.destroy(new NetworkError('gone'));
    await pending.settled;
    expect(pending.calls).toEqual([{ rejected: new NetworkError('gone') }]);

    const late = recordingWaiter();
    expect(() => connection.sendCommandBytes(hello, 'hello', 0, late.waiter)).not.toThrow();
    expect(late.calls).toHaveLength(1);
    expect((late.calls[0] as { rejected: Error }).rejected.message).toMatch(/is closed: gone/);
  });
});

describe('Connection over TLS', () => {
  let dir = '';
  let key = '';
  let cert = '';
  /** Why no test certificate could be made (no openssl), or null when there is one. */
  let noCertificate: string | null = null;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'waspnest-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      key = readFileSync(join(dir, 'key.pem'), 'utf8');
      cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    } catch (error) {
      noCertificate = `no test certificate: openssl failed (${(error as Error).message.split('\n')[0]})`;
    }
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('connects with the CA, checks the hostname via SNI name, and refuses an untrusted certificate', async (context) => {
    if (noCertificate !== null) context.skip(noCertificate);
    const server = await serve(answerHello(), { tls: { key, cert } });
    const viaName = await connect(`localhost:${server.port}`, { tls: { enabled: true, ca: cert } });
    expect(viaName.remote).toBe('127.0.0.1');
    const viaIp = await connect(server.address, { tls: { enabled: true, ca: cert } });
    expect(viaIp.helloOk).toBe(true);

    const untrusted = (await connect(server.address, { tls: { enabled: true } }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(untrusted).toBeInstanceOf(NetworkError);
    expect(untrusted.message).toMatch(new RegExp(`TLS connection to ${server.address} failed: \\w+: `));
    const allowed = await connect(server.address, { tls: { enabled: true, allowInvalidCertificates: true } });
    expect(allowed.helloOk).toBe(true);
  });

  it('rejects a certificate for another name unless allowInvalidHostnames', async (context) => {
    if (noCertificate !== null) context.skip(noCertificate);
    const server = await serve(answerHello(), { tls: { key, cert } });
    const wrongName = { enabled: true, ca: cert, servername: 'db.example.test' };
    const error = (await connect(server.address, { tls: wrongName }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|does not match/);
    const relaxed = await connect(server.address, { tls: { ...wrongName, allowInvalidHostnames: true } });
    expect(relaxed.helloOk).toBe(true);
  });
});
