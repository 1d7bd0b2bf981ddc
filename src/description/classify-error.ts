/**
 * What kind of failure an application error is, for the discovery specification's error
 * handling. Accepts waspnest's errors and, duck-typed, the official driver's (MongoNetworkError,
 * MongoNetworkTimeoutError, MongoServerError, MongoWriteConcernError), Node's socket errors, and
 * raw command replies (`{ ok: 0, code, errmsg }`, `{ ok: 1, writeConcernError }`). Never throws.
 */
import { DnsError, NetworkError, NetworkTimeoutError, ServerReplyError } from '../errors.js';
import { isDocument, readFlag, readInteger } from './bson-values.js';
import { topologyVersionOrNull } from './topology-version.js';
import type { TopologyVersion } from './types.js';

export type ErrorKind =
  /** A socket failure other than a timeout (reset, refused, closed, garbage bytes). */
  | 'network'
  /** No answer in time (connect or socket timeout). */
  | 'timeout'
  /** Name resolution failed: never a sign of an overloaded server. */
  | 'dns'
  /** The server answered with an error (or a write concern error). */
  | 'command'
  /** Not an error at all (an ok: 1 reply, whose writeErrors SDAM must not look at). */
  | 'none'
  /** Something that is not a recognisable server or network error. */
  | 'other';

export interface ClassifiedError {
  readonly kind: ErrorKind;
  /** The server's error code (from the reply, or its write concern error). */
  readonly code: number | undefined;
  readonly codeName: string | undefined;
  /** The server's error message, or the error's message; '' when none. */
  readonly message: string;
  readonly topologyVersion: TopologyVersion | null;
  /** The error says the server shed load (the `SystemOverloadedError` label). */
  readonly overloaded: boolean;
  readonly name: string;
}

const socketTimeoutCodes = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const dnsCodes = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);

/** What is known of a value that is no recognisable error (or could not be read): nothing. */
const unrecognised: ClassifiedError = Object.freeze({
  kind: 'other',
  code: undefined,
  codeName: undefined,
  message: '',
  topologyVersion: null,
  overloaded: false,
  name: 'Error',
});

export function classifyError(error: unknown): ClassifiedError {
  try {
    return classify(error);
  } catch {
    return unrecognised;
  }
}

function classify(error: unknown): ClassifiedError {
  if (typeof error !== 'object' || error === null) {
    return { ...unrecognised, message: typeof error === 'string' ? error : '' };
  }
  const e = error as Record<string, unknown>;
  const name = typeof e['name'] === 'string' ? e['name'] : 'Error';
  const message = typeof e['message'] === 'string' ? e['message'] : '';
  const overloaded = hasLabel(e, 'SystemOverloadedError');
  const described = { ...unrecognised, name, message, overloaded };

  if (error instanceof DnsError) return { ...described, kind: 'dns' };
  if (error instanceof NetworkTimeoutError) return { ...described, kind: 'timeout' };
  if (error instanceof NetworkError) return { ...described, kind: 'network' };
  if (/NetworkTimeout/.test(name)) return { ...described, kind: 'timeout' };
  if (/Network/.test(name)) return { ...described, kind: 'network' };
  const systemCode = typeof e['code'] === 'string' ? e['code'] : undefined;
  if (systemCode !== undefined && /^E[A-Z_]+$/.test(systemCode)) {
    if (dnsCodes.has(systemCode)) return { ...described, kind: 'dns' };
    return { ...described, kind: socketTimeoutCodes.has(systemCode) ? 'timeout' : 'network' };
  }

  // A server's answer: our ServerReplyError, a driver server error, or a raw reply document.
  const reply = replyOf(error, e);
  const topologyVersion =
    topologyVersionOrNull(e['topologyVersion']) ??
    (reply ? topologyVersionOrNull(reply['topologyVersion']) : null);
  let code = readInteger(e['code']) ?? (reply ? readInteger(reply['code']) : undefined);
  let codeName = stringOf(e['codeName']) ?? (reply ? stringOf(reply['codeName']) : undefined);
  let errmsg = stringOf(e['errmsg']) ?? (reply ? stringOf(reply['errmsg']) : undefined);
  const ok = readFlag(e['ok'] ?? reply?.['ok']);
  const looksLikeServerError =
    error instanceof ServerReplyError ||
    code !== undefined ||
    errmsg !== undefined ||
    ok !== undefined ||
    /^Mongo.*(Server|WriteConcern)Error$/.test(name);
  if (!looksLikeServerError) return { ...described, kind: 'other' };

  if (ok !== true || code !== undefined) {
    // The command failed; its own code and message decide.
    return { ...described, kind: 'command', code, codeName, message: errmsg ?? message, topologyVersion };
  }
  // The command succeeded, but may carry a write concern error, checked the same way.
  const wce = writeConcernErrorOf(e, reply);
  if (wce === undefined) return { ...described, kind: 'none', topologyVersion };
  code = readInteger(wce['code']);
  codeName = stringOf(wce['codeName']);
  errmsg = stringOf(wce['errmsg']);
  return { ...described, kind: 'command', code, codeName, message: errmsg ?? message, topologyVersion };
}

function replyOf(error: object, e: Record<string, unknown>): Readonly<Record<string, unknown>> | undefined {
  if (error instanceof ServerReplyError) return error.reply;
  for (const key of ['errorResponse', 'reply', 'result']) {
    const candidate = e[key];
    if (isDocument(candidate)) return candidate;
  }
  return undefined;
}

function writeConcernErrorOf(
  e: Record<string, unknown>,
  reply: Readonly<Record<string, unknown>> | undefined,
): Readonly<Record<string, unknown>> | undefined {
  for (const candidate of [e['writeConcernError'], reply?.['writeConcernError']]) {
    if (isDocument(candidate)) return candidate;
  }
  return undefined;
}

function hasLabel(e: Record<string, unknown>, label: string): boolean {
  const labels = e['errorLabels'];
  if (Array.isArray(labels)) return labels.includes(label);
  if (labels instanceof Set) return labels.has(label);
  return false;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
