/**
 * TLS for the simulated servers: the options a deployment takes, checked once when it starts,
 * and the server side of the handshake over each accepted TCP connection. The servers keep
 * listening with node:net, so kill, refuse and reset still act on the TCP socket as before; TLS
 * is layered over each connection, as mongod terminates TLS itself.
 */
import * as crypto from 'node:crypto';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { SimulatorOptionsError, WaspnestError } from '../errors.js';

/**
 * TLS for every server of a simulated deployment. Keys and certificates are PEM, as strings or
 * Buffers. The servers listen on 127.0.0.1, so a client that checks host names needs the
 * certificate to name that address (subjectAltName `IP:127.0.0.1`).
 */
export interface SimulatedTlsOptions {
  /** The servers' private key (PEM, not encrypted). */
  readonly key: string | Buffer;
  /** The servers' certificate (PEM), optionally followed by its intermediate certificates. */
  readonly cert: string | Buffer;
  /** Certificate authorities that client certificates must chain to (PEM); required with `requestCert`. */
  readonly ca?: string | Buffer;
  /**
   * Require a client certificate signed by `ca` on every connection (mutual TLS, like mongod
   * with `tlsCAFile` set); default false: clients need no certificate.
   */
  readonly requestCert?: boolean;
}

/** The server side of TLS, shared by every server of one deployment. */
export class TlsTerminator {
  // A tls.Server that never listens: the TCP sockets accepted by a WireServer are handed to it
  // (its documented 'connection' injection), and it reports each finished handshake.
  readonly #engine: tls.Server;
  /** Handshakes in progress, by the connection's addresses (the TLS socket is a new object). */
  readonly #pending = new Map<string, (socket: tls.TLSSocket) => void>();

  /** Checks the options; throws a SimulatorOptionsError or WaspnestError that says what is unusable. */
  constructor(options: SimulatedTlsOptions) {
    const { key, cert, ca, requestCert } = checkTlsOptions(options);
    try {
      this.#engine = tls.createServer({
        key,
        cert,
        ...(ca === undefined ? {} : { ca }),
        requestCert,
        rejectUnauthorized: true,
      });
    } catch (error) {
      throw new WaspnestError(`tls: the key and certificate cannot be used: ${messageOf(error)}`, {
        cause: error,
      });
    }
    this.#engine.on('secureConnection', (socket: tls.TLSSocket) => this.#secured(socket));
  }

  /**
   * Runs the handshake over `tcp`; `onSecure` receives the TLS socket once the handshake is done
   * (and, with requestCert, the client's certificate accepted). A failed handshake closes `tcp`.
   */
  secure(tcp: net.Socket, onSecure: (socket: tls.TLSSocket) => void): void {
    const key = connectionKey(tcp);
    if (key === null) {
      tcp.destroy();
      return;
    }
    this.#pending.set(key, onSecure);
    tcp.once('close', () => {
      if (this.#pending.get(key) === onSecure) this.#pending.delete(key);
    });
    this.#engine.emit('connection', tcp);
  }

  #secured(socket: tls.TLSSocket): void {
    const key = connectionKey(socket);
    const onSecure = key === null ? undefined : this.#pending.get(key);
    if (key === null || onSecure === undefined) {
      // The TCP side closed meanwhile: nobody is waiting for this connection.
      socket.destroy();
      return;
    }
    this.#pending.delete(key);
    onSecure(socket);
  }
}

interface CheckedTlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly ca: string | Buffer | undefined;
  readonly requestCert: boolean;
}

/** Every mistake caught here, at start, rather than as a failed handshake in some test later. */
function checkTlsOptions(options: unknown): CheckedTlsOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new SimulatorOptionsError('tls must be an object { key, cert, ca?, requestCert? }');
  }
  const record = options as Record<string, unknown>;
  const key = pem('tls.key', 'a PEM private key', record['key']);
  const cert = pem('tls.cert', 'a PEM certificate', record['cert']);
  const ca = record['ca'] === undefined ? undefined : pem('tls.ca', 'PEM certificates', record['ca']);
  const requestCert = record['requestCert'] ?? false;
  if (typeof requestCert !== 'boolean') {
    throw new SimulatorOptionsError(`tls.requestCert must be a boolean, got ${typeof requestCert}`);
  }
  if (requestCert && ca === undefined) {
    throw new SimulatorOptionsError(
      'tls.requestCert needs tls.ca: the authorities that client certificates must chain to',
    );
  }
  const certificate = parse('tls.cert is not a PEM certificate', () => new crypto.X509Certificate(cert));
  const privateKey = parse('tls.key is not a usable PEM private key (encrypted keys are not supported)', () =>
    crypto.createPrivateKey(key),
  );
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new WaspnestError(`tls.key is not the private key of tls.cert (subject ${certificate.subject})`);
  }
  if (ca !== undefined) parse('tls.ca is not a PEM certificate', () => new crypto.X509Certificate(ca));
  return { key, cert, ca, requestCert };
}

function pem(name: string, what: string, value: unknown): string | Buffer {
  if ((typeof value === 'string' || Buffer.isBuffer(value)) && value.length > 0) return value;
  const got = value === undefined ? 'nothing' : Buffer.isBuffer(value) ? 'an empty Buffer' : typeof value;
  throw new SimulatorOptionsError(
    `${name} must be ${what} (a non-empty string or Buffer), got ${value === '' ? "''" : got}`,
  );
}

function parse<T>(problem: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new WaspnestError(`${problem}: ${messageOf(error)}`, { cause: error });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Both ends of a connection: the TCP socket and the TLS socket over it report the same. */
function connectionKey(socket: net.Socket): string | null {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (remoteAddress === undefined || remotePort === undefined) return null;
  if (localAddress === undefined || localPort === undefined) return null;
  return `${remoteAddress}:${remotePort}>${localAddress}:${localPort}`;
}
