/**
 * What every simulated server says about itself: a MongoDB 8.0 server (wire version 25), with
 * mongod's limits. 8.0 because the simulator answers what 8.0 clients send (the admin `bulkWrite`
 * command behind the driver's `client.bulkWrite`). The official driver 7.x needs maxWireVersion >= 8.
 */
import type { Document } from 'bson';
import type { WireRequest } from './wire-server.js';
import { SIMULATED_MAX_MESSAGE_SIZE_BYTES } from './wire-server.js';

export const SIMULATED_SERVER_VERSION = '8.0.0';
export const SIMULATED_MIN_WIRE_VERSION = 0;
export const SIMULATED_MAX_WIRE_VERSION = 25;
/** The featureCompatibilityVersion getParameter reports. */
export const SIMULATED_FCV = '8.0';
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_WRITE_BATCH_SIZE = 100_000;
export const LOGICAL_SESSION_TIMEOUT_MINUTES = 30;

/** The hello fields every kind of server sends; `writable` goes under the name the client asked with. */
export function commonHelloFields(
  request: WireRequest,
  writable: boolean,
  topologyVersion: Document | null,
): Document {
  const legacy = request.commandName !== 'hello';
  const fields: Document = {};
  if (request.command['helloOk'] === true) fields['helloOk'] = true;
  fields[legacy ? 'ismaster' : 'isWritablePrimary'] = writable;
  if (topologyVersion) fields['topologyVersion'] = topologyVersion;
  return fields;
}

/** The limits and versions, placed after the role fields as mongod orders them. */
export function helloLimits(connectionId: number, now: number): Document {
  return {
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: SIMULATED_MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
    localTime: new Date(now),
    logicalSessionTimeoutMinutes: LOGICAL_SESSION_TIMEOUT_MINUTES,
    connectionId,
    minWireVersion: SIMULATED_MIN_WIRE_VERSION,
    maxWireVersion: SIMULATED_MAX_WIRE_VERSION,
    readOnly: false,
  };
}

export function buildInfoReply(): Document {
  return {
    version: SIMULATED_SERVER_VERSION,
    gitVersion: 'waspnest-simulator',
    versionArray: SIMULATED_SERVER_VERSION.split('.').map(Number).concat(0),
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['simulated'],
    modules: [],
    ok: 1,
  };
}
