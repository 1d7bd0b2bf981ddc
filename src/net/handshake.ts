/**
 * The first command on every connection (hello or legacy hello, with client metadata) and the
 * hello commands monitors send afterwards. Which one to send, and over which opcode, follows the
 * handshake specification: OP_MSG `hello` when a server API version or load-balanced mode asks
 * for it, otherwise legacy `isMaster` over OP_QUERY with `helloOk: true`.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import { calculateObjectSize, Long, type Document } from 'bson';
import { WaspnestError } from '../errors.js';
import { packageVersion } from '../package-info.js';
import { faasMetadata, type Environment } from './faas-environment.js';

/** The Stable API version to declare on every command. */
export interface ServerApi {
  readonly version: '1';
  readonly strict?: boolean;
  readonly deprecationErrors?: boolean;
}

/** A library that wraps waspnest and wants its name in the metadata (appended with `|`). */
export interface DriverInfo {
  readonly name: string;
  readonly version?: string;
  readonly platform?: string;
}

export interface ClientMetadataOptions {
  readonly appName?: string;
  readonly driverInfo?: readonly DriverInfo[];
  /** Environment variables for FaaS/container detection; default process.env. */
  readonly env?: Environment;
  /** Whether /.dockerenv exists; replaceable for tests. */
  readonly runningInDocker?: () => boolean;
}

export interface HandshakeSettings {
  readonly appName?: string;
  readonly loadBalanced?: boolean;
  readonly serverApi?: ServerApi;
  /** Prebuilt metadata (see buildClientMetadata); built from appName when absent. */
  readonly metadata?: Document;
}

/** The whole `client` document must stay within this many BSON bytes (server limit). */
export const MAX_METADATA_BYTES = 512;
/** `client.application.name` may not exceed this many UTF-8 bytes. */
export const MAX_APP_NAME_BYTES = 128;

/** Throws a clear error when `appName` cannot be sent (too long for the server). */
export function validateAppName(appName: string): void {
  const bytes = Buffer.byteLength(appName, 'utf8');
  if (bytes > MAX_APP_NAME_BYTES) {
    throw new WaspnestError(
      `appName is ${bytes} bytes long; MongoDB accepts at most ${MAX_APP_NAME_BYTES} bytes (UTF-8)`,
    );
  }
}

function checkedDelimiterFree(value: string, what: string): string {
  if (value.includes('|')) throw new WaspnestError(`driverInfo ${what} "${value}" must not contain "|"`);
  return value;
}

/**
 * The handshake's `client` document: application, driver, os, platform, and env (FaaS and
 * container). Shrunk in the specification's order until it fits in 512 bytes.
 */
export function buildClientMetadata(options: ClientMetadataOptions = {}): Document {
  const env = options.env ?? process.env;
  let driverName = 'waspnest';
  let version = packageVersion;
  let platform = `Node.js ${process.version}, ${os.endianness()}`;
  for (const info of options.driverInfo ?? []) {
    driverName += `|${checkedDelimiterFree(info.name, 'name')}`;
    if (info.version !== undefined) version += `|${checkedDelimiterFree(info.version, 'version')}`;
    if (info.platform !== undefined) platform += `|${checkedDelimiterFree(info.platform, 'platform')}`;
  }

  const metadata: Document = {};
  if (options.appName !== undefined) {
    validateAppName(options.appName);
    metadata['application'] = { name: options.appName };
  }
  metadata['driver'] = { name: driverName, version };
  metadata['os'] = {
    type: os.type() || 'unknown',
    name: process.platform,
    architecture: os.arch(),
    version: os.release(),
  };
  metadata['platform'] = platform;

  const envDoc: Document = { ...faasMetadata(env) };
  const container: Document = {};
  const inDocker = options.runningInDocker ?? (() => existsSync('/.dockerenv'));
  if (inDocker()) container['runtime'] = 'docker';
  if (typeof env['KUBERNETES_SERVICE_HOST'] === 'string' && env['KUBERNETES_SERVICE_HOST'] !== '') {
    container['orchestrator'] = 'kubernetes';
  }
  if (Object.keys(container).length > 0) envDoc['container'] = container;
  if (Object.keys(envDoc).length > 0) metadata['env'] = envDoc;
  return fitMetadata(metadata);
}

function fits(metadata: Document): boolean {
  return calculateObjectSize(metadata) <= MAX_METADATA_BYTES;
}

function fitMetadata(metadata: Document): Document {
  if (fits(metadata)) return metadata;
  const env = metadata['env'] as Document | undefined;
  if (env) {
    metadata['env'] = env['name'] === undefined ? {} : { name: env['name'] };
    if (Object.keys(metadata['env'] as Document).length === 0) delete metadata['env'];
    if (fits(metadata)) return metadata;
  }
  metadata['os'] = { type: (metadata['os'] as Document)['type'] };
  if (fits(metadata)) return metadata;
  delete metadata['env'];
  if (fits(metadata)) return metadata;
  const platform = String(metadata['platform']);
  const excess = calculateObjectSize(metadata) - MAX_METADATA_BYTES;
  metadata['platform'] = Buffer.from(platform, 'utf8')
    .subarray(0, Math.max(0, Buffer.byteLength(platform) - excess))
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return metadata;
}

/** `apiVersion` and friends, added to every command when a server API version is declared. */
export function serverApiFields(serverApi: ServerApi | undefined): Document {
  if (!serverApi) return {};
  const fields: Document = { apiVersion: serverApi.version };
  if (serverApi.strict !== undefined) fields['apiStrict'] = serverApi.strict;
  if (serverApi.deprecationErrors !== undefined) fields['apiDeprecationErrors'] = serverApi.deprecationErrors;
  return fields;
}

export interface InitialHello {
  readonly command: Document;
  /** OP_MSG `hello` (server API or load-balanced); otherwise legacy hello over OP_QUERY. */
  readonly useOpMsg: boolean;
}

/** The first command on a new connection. Monitoring connections never authenticate. */
export function initialHelloCommand(settings: HandshakeSettings = {}): InitialHello {
  const useOpMsg = settings.serverApi !== undefined || settings.loadBalanced === true;
  const command: Document = useOpMsg ? { hello: 1, helloOk: true } : { isMaster: 1, helloOk: true };
  command['client'] = settings.metadata ?? buildClientMetadata({ appName: settings.appName });
  if (settings.loadBalanced === true) command['loadBalanced'] = true;
  return { command: { ...command, ...serverApiFields(settings.serverApi) }, useOpMsg };
}

export interface HelloOptions {
  /** The server said helloOk (or a server API is declared): use `hello`, else legacy `isMaster`. */
  readonly helloOk: boolean;
  /** For an awaitable hello: the topologyVersion of the last reply, as the server sent it. */
  readonly topologyVersion?: Document;
  readonly maxAwaitTimeMS?: number;
  readonly serverApi?: ServerApi;
}

/** A monitoring hello after the handshake (no metadata: the specification forbids repeating it). */
export function helloCommand(options: HelloOptions): Document {
  const command: Document = options.helloOk ? { hello: 1 } : { isMaster: 1 };
  command['helloOk'] = true;
  if (options.topologyVersion !== undefined && options.maxAwaitTimeMS !== undefined) {
    command['topologyVersion'] = topologyVersionForWire(options.topologyVersion);
    command['maxAwaitTimeMS'] = options.maxAwaitTimeMS;
  }
  return { ...command, ...serverApiFields(options.serverApi) };
}

/** The server compares counter as an int64; a counter decoded as a JS number goes back as a Long. */
function topologyVersionForWire(topologyVersion: Document): Document {
  const counter: unknown = topologyVersion['counter'];
  return {
    ...topologyVersion,
    counter:
      typeof counter === 'number'
        ? Long.fromNumber(counter)
        : typeof counter === 'bigint'
          ? Long.fromBigInt(counter)
          : counter,
  };
}
