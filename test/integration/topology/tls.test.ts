/**
 * TLS through a whole deployment: simulated servers listening with TLS (certificates made at test
 * start with openssl), our Topology and the official driver connecting to them, failover over
 * TLS, and what an untrusted certificate or a plain client sees. Synchronised on events; no
 * sleeps, no timing thresholds.
 */
import * as net from 'node:net';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  NetworkError,
  NetworkTimeoutError,
  ServerSelectionError,
  SimulatorOptionsError,
  WaspnestError,
  WireProtocolError,
} from '../../../src/errors.js';
import {
  SimulatedReplicaSet,
  SimulatedShardedCluster,
  SimulatedStandalone,
  type SimulatedTlsOptions,
} from '../../../src/testing/index.js';
import type { SimulatedDeployment } from '../../../src/testing/simulated-deployment.js';
import type { Topology } from '../../../src/topology/topology.js';
import type { TopologyOptions } from '../../../src/topology/topology-options.js';
import { connectionTracker, fullyDiscovered, nextEvent, until } from './helpers.js';
import { closeAfterTest, replicaSet, topology } from './close-after-test.js';
import { makeTlsCertificates, type TlsCertificates } from './tls-certificates.js';

let certificates: TlsCertificates | null = null;
beforeAll(() => {
  certificates = makeTlsCertificates();
});
afterAll(() => certificates?.remove());

/** The certificates, or the test is skipped with the reason. */
function certificatesOrSkip(context: TestContext): TlsCertificates {
  if (certificates === null) {
    return context.skip(
      'openssl is not installed (or failed): the TLS tests need it to make a throwaway CA and certificates',
    );
  }
  return certificates;
}

function serverTls(certs: TlsCertificates, extra: Partial<SimulatedTlsOptions> = {}): SimulatedTlsOptions {
  return { key: certs.serverKey, cert: certs.serverCert, ...extra };
}

/** A replica set that speaks TLS with the test certificates, closed after the test. */
function tlsReplicaSet(certs: TlsCertificates): Promise<SimulatedReplicaSet> {
  return replicaSet({ tls: serverTls(certs) });
}

/** The deployment's URI with the CA file added (the URI already says tls=true). */
function trustedUri(deployment: SimulatedDeployment, certs: TlsCertificates): string {
  const separator = deployment.uri.includes('?') ? '&' : '?';
  return `${deployment.uri}${separator}tlsCAFile=${encodeURIComponent(certs.caFile)}`;
}

/**
 * A topology that cannot reach a server: lazy, so that no connect() waits out the selection
 * timeout; monitoring starts with the first scheduleRefresh().
 */
function failingTopology(uri: string, options: TopologyOptions = {}): Topology {
  return topology(uri, { lazy: true, heartbeatFrequencyMS: 60_000, ...options });
}

/** What Node reports for a certificate whose issuer the client does not trust. */
const untrusted =
  /TLS connection to 127\.0\.0\.1:\d+ failed: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/;

/** Resolves once every address is Unknown with an error (each one's check failed). */
function untilAllFailed(t: Topology, addresses: readonly string[]): Promise<unknown> {
  return until(t, (s) =>
    addresses.every((address) => {
      const server = s.servers.get(address);
      return server?.type === 'Unknown' && server.error !== null;
    }),
  );
}

describe('Topology over TLS against the simulator', () => {
  it('discovers a TLS replica set (tls=true&tlsCAFile) and follows a step-down', async (context) => {
    const certs = certificatesOrSkip(context);
    const rs = await tlsReplicaSet(certs);
    expect(rs.usesTls).toBe(true);
    expect(rs.uri).toMatch(/\?replicaSet=rs0&tls=true$/);
    const t = topology(trustedUri(rs, certs), {
      heartbeatFrequencyMS: 60_000,
      serverMonitoringMode: 'stream',
    });
    await t.connect();
    await until(t, fullyDiscovered(rs.members));
    const oldPrimary = rs.primary;
    expect(t.selectServerNow('primary')?.address).toBe(oldPrimary);

    const changed = nextEvent(t, 'primaryChanged', (e) => e.current !== null && e.current !== oldPrimary);
    const newPrimary = await rs.stepDown();
    expect((await changed).current).toBe(newPrimary);
    expect((await t.selectServer('primary')).address).toBe(newPrimary);
  });

  it('kill, restart, partition, heal and a reset fault work over TLS', async (context) => {
    const certs = certificatesOrSkip(context);
    const rs = await tlsReplicaSet(certs);
    // Polling: the monitor's connection is the only one sending hello (no RTT connection), so a
    // fault on hello hits a check.
    const t = topology(trustedUri(rs, certs), {
      heartbeatFrequencyMS: 500,
      connectTimeoutMS: 500,
      serverMonitoringMode: 'poll',
    });
    await t.connect();
    await until(t, fullyDiscovered(rs.members));

    // Kill the primary: another is elected; the killed member listens with TLS again after restart.
    const killed = rs.primary as string;
    const elected = nextEvent(t, 'primaryChanged', (e) => e.current !== null && e.current !== killed);
    await rs.kill(killed);
    expect((await elected).current).toBe(await rs.waitForPrimary());
    await rs.restart(killed);
    t.scheduleRefresh();
    await until(t, (s) => s.servers.get(killed)?.type === 'RSSecondary');

    // A partitioned primary goes Unknown (its check times out) and answers over TLS once healed.
    const partitioned = rs.primary as string;
    const replaced = nextEvent(t, 'primaryChanged', (e) => e.current !== null && e.current !== partitioned);
    rs.partition(partitioned);
    await until(t, (s) => s.servers.get(partitioned)?.type === 'Unknown');
    await replaced;
    rs.heal(partitioned);
    await until(t, (s) => s.servers.get(partitioned)?.type === 'RSSecondary');

    // Reply-time faults: a reset of the TCP connection under the TLS session, and garbage bytes
    // inside it (the client decrypts them and finds no valid message).
    const secondary = rs.secondaries[0] as string;
    for (const [kind, type, message] of [
      ['reset', NetworkError, /failed: ECONNRESET/],
      ['garbage', WireProtocolError, /^invalid message from 127\.0\.0\.1:\d+/],
    ] as const) {
      const fault = rs.fault(secondary, { kind, commands: ['hello', 'isMaster'], times: 1 });
      const failed = nextEvent(t, 'serverHeartbeatFailed', (e) => e.address === secondary);
      t.scheduleRefresh();
      const { failure } = await failed;
      expect(failure).toBeInstanceOf(type);
      expect(failure.message).toMatch(message);
      await fault.exhausted;
      await until(t, (s) => s.servers.get(secondary)?.type === 'RSSecondary');
    }
  });

  it('without the CA the certificate is not trusted: the error shows in the check and the selection, no socket is left', async (context) => {
    const certs = certificatesOrSkip(context);
    const rs = await tlsReplicaSet(certs);
    const connections = connectionTracker(rs);
    let accepted = 0;
    rs.on('connectionOpened', () => void (accepted += 1));
    const t = failingTopology(rs.uri);
    const failure = nextEvent(t, 'serverHeartbeatFailed');
    t.scheduleRefresh();
    const { failure: error, phase } = await failure;
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toMatch(untrusted);
    expect(phase).toBe('connect');
    await untilAllFailed(t, rs.members);
    const selection = await t.selectServer('primary', { timeoutMS: 0 }).catch((e: unknown) => e);
    expect(selection).toBeInstanceOf(ServerSelectionError);
    expect((selection as ServerSelectionError).message).toMatch(untrusted);
    expect((selection as ServerSelectionError).servers.map((s) => s.error)).toEqual(
      rs.members.map(() => expect.stringMatching(untrusted)),
    );
    // The TCP connections were made (and handshakes refused by the client); all of them end.
    expect(accepted).toBeGreaterThanOrEqual(rs.members.length);
    await t.close();
    await connections.allClosed();

    // The same deployment with certificate checks off: discovered, so the CA was the only problem.
    const relaxed = topology(`${rs.uri}&tlsAllowInvalidCertificates=true`);
    await relaxed.connect();
    await until(relaxed, fullyDiscovered(rs.members));
  });

  it('a plain (non-TLS) client fails at once with a closed connection, and leaves no socket', async (context) => {
    const certs = certificatesOrSkip(context);
    const rs = await tlsReplicaSet(certs);
    const connections = connectionTracker(rs);
    const plainUri = `mongodb://${rs.members.join(',')}/?replicaSet=rs0`;
    // A minute's connect timeout: the failure must come from the server hanging up, not a timer.
    const t = failingTopology(plainUri, { connectTimeoutMS: 60_000 });
    const failure = nextEvent(t, 'serverHeartbeatFailed');
    t.scheduleRefresh();
    const { failure: error } = await failure;
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).not.toBeInstanceOf(NetworkTimeoutError);
    expect(error.message).toMatch(
      /^connection 127\.0\.0\.1:\d+#\d+ to 127\.0\.0\.1:\d+ was closed by the server/,
    );
    // The message says what probably happened.
    expect(error.message).toMatch(/before answering the handshake .*connect with tls=true\)$/);
    await untilAllFailed(t, rs.members);
    const selection = await t.selectServer('primary', { timeoutMS: 0 }).catch((e: unknown) => e);
    expect(selection).toBeInstanceOf(ServerSelectionError);
    expect((selection as Error).message).toContain(error.message);
    await t.close();
    await connections.allClosed();
  });

  it('the official driver connects with tls and tlsCAFile, writes, reads, and writes again after a step-down', async (context) => {
    const certs = certificatesOrSkip(context);
    const rs = await tlsReplicaSet(certs);
    const client = new MongoClient(rs.uri, { tlsCAFile: certs.caFile, serverSelectionTimeoutMS: 10_000 });
    closeAfterTest(() => client.close());
    const orders = client.db('shop').collection<{ _id: number; item: string }>('orders');
    await orders.insertOne({ _id: 1, item: 'tea' });
    expect(await orders.findOne({ _id: 1 })).toEqual({ _id: 1, item: 'tea' });
    const newPrimary = await rs.stepDown();
    await orders.insertOne({ _id: 2, item: 'coffee' });
    expect(rs.commandCount(newPrimary, 'insert')).toBeGreaterThan(0);
    expect(await orders.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, item: 'tea' },
      { _id: 2, item: 'coffee' },
    ]);
  });

  it('a standalone with requestCert wants a client certificate signed by its CA (mutual TLS)', async (context) => {
    const certs = certificatesOrSkip(context);
    const standalone = await SimulatedStandalone.start({
      tls: serverTls(certs, { ca: certs.ca, requestCert: true }),
    });
    closeAfterTest(() => standalone.close());
    expect(standalone.uri).toBe(`mongodb://${standalone.address}/?tls=true`);
    const connections = connectionTracker(standalone);

    const withCertificate = topology(trustedUri(standalone, certs), {
      tlsCertificateKeyFile: certs.clientCertificateKeyFile,
    });
    await withCertificate.connect();
    expect((await withCertificate.selectServer('primary')).type).toBe('Standalone');
    await withCertificate.close();
    await connections.allClosed();

    const without = failingTopology(trustedUri(standalone, certs));
    const failure = nextEvent(without, 'serverHeartbeatFailed');
    without.scheduleRefresh();
    const { failure: error } = await failure;
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toMatch(/CERTIFICATE_REQUIRED/);
    await without.close();
    await connections.allClosed();
  });

  it('kill and close() end connections still in their TLS handshake, and leave no handle', async (context) => {
    const certs = certificatesOrSkip(context);
    const tcpHandles = (): string[] =>
      process
        .getActiveResourcesInfo()
        .filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap')
        .sort();
    const before = tcpHandles();
    const rs = await SimulatedReplicaSet.start({ members: 2, tls: serverTls(certs) });
    closeAfterTest(() => rs.close());
    const [first, second] = rs.members as [string, string];
    // Clients that open TCP and never start the handshake (a plain socket that sends nothing).
    const silent = async (address: string): Promise<net.Socket> => {
      const opened = rs.waitFor('connectionOpened', (e) => e.address === address);
      const [host, port] = address.split(':') as [string, string];
      const socket = net.connect({ host, port: Number(port) });
      socket.on('error', () => undefined);
      await opened;
      return socket;
    };
    const closedBy = (socket: net.Socket): Promise<void> =>
      new Promise((resolve) => socket.once('close', () => resolve()));

    const stuck = await silent(first);
    const killed = closedBy(stuck);
    await rs.kill(first);
    await killed;
    await rs.restart(first);

    const again = await Promise.all([silent(first), silent(second)]);
    const closed = Promise.all(again.map(closedBy));
    await rs.close();
    await closed;
    expect(tcpHandles()).toEqual(before);
  });

  it('a sharded cluster listens with TLS on every router', async (context) => {
    const certs = certificatesOrSkip(context);
    const cluster = await SimulatedShardedCluster.start({ mongos: 2, tls: serverTls(certs) });
    closeAfterTest(() => cluster.close());
    expect(cluster.uri).toMatch(/\/\?tls=true$/);
    const t = topology(trustedUri(cluster, certs));
    await t.connect();
    await until(
      t,
      (s) => s.type === 'Sharded' && cluster.routers.every((r) => s.servers.get(r)?.type === 'Mongos'),
    );
  });

  it('unusable TLS options reject start() with a clear error and leave nothing open', async (context) => {
    const certs = certificatesOrSkip(context);
    const handles = (): string[] =>
      process
        .getActiveResourcesInfo()
        .filter((r) => r !== 'Timeout')
        .sort();
    const before = handles();
    const otherKey = certs.clientCertificateKey.slice(
      certs.clientCertificateKey.indexOf('-----BEGIN PRIVATE KEY'),
    );
    const cases: [SimulatedTlsOptions, typeof WaspnestError, RegExp][] = [
      [serverTls(certs, { key: otherKey }), WaspnestError, /tls\.key is not the private key of tls\.cert/],
      [serverTls(certs, { cert: 'not a certificate' }), WaspnestError, /tls\.cert is not a PEM certificate/],
      [
        serverTls(certs, { key: certs.serverCert }),
        WaspnestError,
        /tls\.key is not a usable PEM private key/,
      ],
      [serverTls(certs, { key: '' }), SimulatorOptionsError, /tls\.key must be a PEM private key/],
      [serverTls(certs, { requestCert: true }), SimulatorOptionsError, /tls\.requestCert needs tls\.ca/],
      [serverTls(certs, { ca: 'nope' }), WaspnestError, /tls\.ca is not a PEM certificate/],
    ];
    for (const [tls, type, message] of cases) {
      const error = await SimulatedReplicaSet.start({ tls }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    }
    const missing = { cert: certs.serverCert } as unknown as SimulatedTlsOptions;
    await expect(SimulatedStandalone.start({ tls: missing })).rejects.toThrow(
      /tls\.key must be .* got nothing/,
    );
    await expect(SimulatedShardedCluster.start({ tls: serverTls(certs, { key: otherKey }) })).rejects.toThrow(
      /not the private key/,
    );
    expect(handles()).toEqual(before);
  });
});
