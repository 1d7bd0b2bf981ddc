/**
 * Throwaway certificates for the TLS tests, made with the openssl command line: a self-signed
 * CA, a server certificate it signed for 127.0.0.1 and localhost, and a client certificate it
 * signed (for mutual TLS). EC P-256 keys: quick to make. Nothing is checked in.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsCertificates {
  /** The directory holding the PEM files; `remove()` deletes it. */
  readonly dir: string;
  readonly caFile: string;
  readonly ca: string;
  readonly serverKey: string;
  readonly serverCert: string;
  /** The client's certificate followed by its key, as `tlsCertificateKeyFile` wants it. */
  readonly clientCertificateKeyFile: string;
  readonly clientCertificateKey: string;
  remove(): void;
}

/** Null when no openssl command is available (the caller skips its tests). */
export function makeTlsCertificates(): TlsCertificates | null {
  const dir = mkdtempSync(join(tmpdir(), 'waspnest-tls-topology-'));
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    openssl(
      'req',
      '-x509',
      ...newKey,
      '-days',
      '1',
      '-subj',
      '/CN=waspnest test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
      '-keyout',
      path('ca.key'),
      '-out',
      path('ca.pem'),
    );
    signed('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    signed('client', 'extendedKeyUsage=clientAuth\n');
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  const clientCertificateKey =
    readFileSync(path('client.pem'), 'utf8') + readFileSync(path('client.key'), 'utf8');
  writeFileSync(path('client-bundle.pem'), clientCertificateKey);
  return {
    dir,
    caFile: path('ca.pem'),
    ca: readFileSync(path('ca.pem'), 'utf8'),
    serverKey: readFileSync(path('server.key'), 'utf8'),
    serverCert: readFileSync(path('server.pem'), 'utf8'),
    clientCertificateKeyFile: path('client-bundle.pem'),
    clientCertificateKey,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };

  /** A key and a certificate for `name`, signed by the CA, with `extensions` (an openssl extfile). */
  function signed(name: string, extensions: string): void {
    writeFileSync(path(`${name}.ext`), extensions);
    openssl(
      'req',
      '-new',
      ...newKey,
      '-subj',
      `/CN=${name}`,
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.csr`),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      path(`${name}.csr`),
      '-CA',
      path('ca.pem'),
      '-CAkey',
      path('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      path(`${name}.ext`),
      '-out',
      path(`${name}.pem`),
    );
  }
}
