/**
 * What a connection needs to know about how to reach a server (TLS, name resolution) and how it
 * names the step that failed. Shared by the net layer and the monitors above it.
 */

/** Where in a check a failure happened: DNS is reported apart from connecting. */
export type CheckPhase = 'dns' | 'connect' | 'handshake' | 'check';

export interface TlsSettings {
  readonly enabled: boolean;
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly allowInvalidCertificates?: boolean;
  readonly allowInvalidHostnames?: boolean;
  readonly servername?: string;
}

/** Resolves a host name to addresses; replaceable (for tests, or a custom DNS cache). */
export type LookupFunction = (hostname: string) => Promise<readonly { address: string; family: 4 | 6 }[]>;
