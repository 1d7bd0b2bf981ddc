/**
 * The user information of a connection string (`user:password@`). The password is kept
 * out of everything printable: it is a non-enumerable property, so JSON.stringify,
 * util.inspect, object spread and structured logging never show it.
 */
import { ConnectionStringError } from '../errors.js';
import { hasValidPercentEncoding, percentDecode } from './percent-encoding.js';

export interface ConnectionAuth {
  readonly username: string;
  /** The decoded password, or null when none was given. Non-enumerable: read it directly. */
  readonly password: string | null;
}

// RFC 3986 userinfo: unreserved / pct-encoded / sub-delims / ":". Anything else in ASCII
// (gen-delims such as '@', '/', '?', '#', '[', ']', and spaces or quotes) must be percent-encoded.
// Non-ASCII characters are let through, as most drivers do.
const disallowedPrintable = new Set('"#/<>?@[\\]^`{|}');

function hasDisallowedAscii(userinfo: string): boolean {
  for (const char of userinfo) {
    const code = char.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f || disallowedPrintable.has(char)) return true;
  }
  return false;
}

/** Makes the auth value, with the password hidden from enumeration. */
export function makeConnectionAuth(username: string, password: string | null): ConnectionAuth {
  const auth = { username } as { username: string; password: string | null };
  Object.defineProperty(auth, 'password', { value: password, enumerable: false, writable: false });
  return Object.freeze(auth);
}

/**
 * Parses `user[:password]` (the text before the last '@' of the authority). Errors never
 * quote the text, because it contains the password.
 */
export function parseUserinfo(userinfo: string): ConnectionAuth {
  const hint = 'percent-encode special characters in the user name and password (e.g. encodeURIComponent)';
  if (userinfo.includes('@')) {
    throw new ConnectionStringError(`The user name or password contains an unescaped '@'; ${hint}`);
  }
  const firstColon = userinfo.indexOf(':');
  if (firstColon !== -1 && userinfo.indexOf(':', firstColon + 1) !== -1) {
    throw new ConnectionStringError(`The user name or password contains an unescaped ':'; ${hint}`);
  }
  if (!hasValidPercentEncoding(userinfo)) {
    throw new ConnectionStringError(`The user name or password contains an unescaped '%'; ${hint}`);
  }
  if (hasDisallowedAscii(userinfo)) {
    throw new ConnectionStringError(
      `The user name or password contains a character that must be percent-encoded; ${hint}`,
    );
  }
  const rawUser = firstColon === -1 ? userinfo : userinfo.slice(0, firstColon);
  const rawPassword = firstColon === -1 ? null : userinfo.slice(firstColon + 1);
  const username = percentDecode(rawUser, 'The user name');
  if (username === '')
    throw new ConnectionStringError('The connection string has user information but no user name');
  const password = rawPassword === null ? null : percentDecode(rawPassword, 'The password');
  return makeConnectionAuth(username, password);
}
