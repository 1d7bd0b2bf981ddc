/**
 * Commands every simulated server answers the same way: ping, buildInfo, session bookkeeping,
 * serverStatus/hostInfo basics. (Sessions' transactions: see transactions.ts.)
 */
import * as os from 'node:os';
import type { Document } from 'bson';
import { buildInfoReply, SIMULATED_FCV, SIMULATED_SERVER_VERSION } from './server-constants.js';
import { CommandError } from './server-errors.js';
import type { WireRequest } from './wire-server.js';

export interface ServerInfo {
  readonly process: 'mongod' | 'mongos';
  readonly address: string;
  /** When the process (re)started, on the deployment's clock (ms since the epoch). */
  readonly startedAt: number;
  readonly connections: number;
}

const NO_OP_COMMANDS = new Set([
  'endSessions',
  'killSessions',
  'refreshSessions',
  'killAllSessions',
  'startSession',
]);

/** Answers a basic command, or returns undefined when `request` is not one. */
export function basicCommand(request: WireRequest, info: ServerInfo): Document | undefined {
  const name = request.commandName;
  if (NO_OP_COMMANDS.has(name)) return { ok: 1 };
  switch (name) {
    case 'ping':
      return { ok: 1 };
    case 'buildInfo':
    case 'buildinfo':
      return buildInfoReply();
    case 'hostInfo':
      return {
        system: {
          currentTime: new Date(request.now()),
          hostname: info.address,
          cpuAddrSize: 64,
          numCores: os.cpus().length,
        },
        os: { type: os.type(), name: os.platform(), version: os.release() },
        extra: {},
        ok: 1,
      };
    case 'serverStatus':
      return {
        host: info.address,
        version: SIMULATED_SERVER_VERSION,
        process: info.process,
        pid: process.pid,
        uptime: Math.floor((request.now() - info.startedAt) / 1000),
        uptimeMillis: request.now() - info.startedAt,
        localTime: new Date(request.now()),
        connections: { current: info.connections, available: 1_000_000 },
        ok: 1,
      };
    case 'connectionStatus':
      return { authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 };
    case 'getParameter':
      return { featureCompatibilityVersion: { version: SIMULATED_FCV }, ok: 1 };
    case 'saslStart':
    case 'saslContinue':
    case 'authenticate':
      throw new CommandError(
        18,
        'Authentication failed: the simulator has no users (connect without credentials)',
      );
    default:
      return undefined;
  }
}
