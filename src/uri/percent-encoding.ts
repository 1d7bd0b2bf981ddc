/**
 * Percent-decoding for the parts of a connection string (RFC 3986 section 2.1).
 * Errors name the part that is malformed, never its text: the part may be a password.
 */
import { ConnectionStringError } from '../errors.js';

const percentTriplet = /%[0-9A-Fa-f]{2}/g;

/** True when every `%` in `text` starts a `%XY` triplet of hex digits. */
export function hasValidPercentEncoding(text: string): boolean {
  return !text.replace(percentTriplet, '').includes('%');
}

/**
 * Decodes `%XY` triplets (as UTF-8). `+` stays a plus sign: the connection string
 * specification asks for `%20` for spaces, and passwords often contain `+`.
 * @param what names the part in the error message, e.g. "the password".
 */
export function percentDecode(text: string, what: string): string {
  if (!hasValidPercentEncoding(text)) {
    throw new ConnectionStringError(
      `${what} contains a '%' that does not start a percent-encoded byte (%XY); percent-encode '%' as %25`,
    );
  }
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ConnectionStringError(`${what} contains percent-encoded bytes that are not valid UTF-8`);
  }
}
