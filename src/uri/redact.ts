/**
 * The printable form of a connection string: the same text with the password and the
 * values of secret options replaced by `****`, so that it can be logged or shown.
 */
import { isSensitiveOption, optionNameFor } from './options.js';

export const redactionMark = '****';

export interface ConnectionStringParts {
  readonly scheme: string;
  /** The raw text before the last '@' of the authority, or null when there is none. */
  readonly rawUserinfo: string | null;
  readonly rawHostInfo: string;
  /** Everything after the host information: `/db?options`, `?options` or ''. */
  readonly rawTail: string;
}

export function redactConnectionString(parts: ConnectionStringParts): string {
  let userinfo = '';
  if (parts.rawUserinfo !== null) {
    const colon = parts.rawUserinfo.indexOf(':');
    userinfo =
      colon === -1 ? `${parts.rawUserinfo}@` : `${parts.rawUserinfo.slice(0, colon)}:${redactionMark}@`;
  }
  const question = parts.rawTail.indexOf('?');
  const path = question === -1 ? parts.rawTail : parts.rawTail.slice(0, question);
  const query = question === -1 ? null : parts.rawTail.slice(question + 1);
  // Joined rather than concatenated: one flat string. A concatenation is a rope of slices of the
  // connection string, which keeps the whole original (password included) alive with the topology.
  return [
    parts.scheme,
    '://',
    userinfo,
    parts.rawHostInfo,
    path,
    query === null ? '' : `?${redactQuery(query)}`,
  ].join('');
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((segment) => {
      const equals = segment.indexOf('=');
      if (equals === -1) return segment;
      const rawKey = segment.slice(0, equals);
      let name;
      try {
        name = optionNameFor(decodeURIComponent(rawKey));
      } catch {
        name = optionNameFor(rawKey);
      }
      return name !== undefined && isSensitiveOption(name) ? `${rawKey}=${redactionMark}` : segment;
    })
    .join('&');
}
