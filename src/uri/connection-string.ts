/**
 * `parseConnectionString`: a `mongodb://` or `mongodb+srv://` connection string into hosts,
 * credentials, database and typed options, following the connection string, URI options and
 * initial DNS seedlist discovery specifications. Pure: no DNS here (see srv.ts for the rules
 * applied to SRV and TXT answers).
 *
 * The password never leaves `auth.password` (non-enumerable): not in `redacted`, not in errors,
 * not in JSON.stringify, util.inspect or String() of the result.
 */
import { ConnectionStringError } from '../errors.js';
import type { Address } from '../description/types.js';
import { hostIdentifierAddress, parseHostList, type HostIdentifier } from './hosts.js';
import { checkOptionRules, checkSrvHost } from './option-rules.js';
import { mergeOptions, parseOptions, type ConnectionOptions } from './options.js';
import { percentDecode } from './percent-encoding.js';
import { redactConnectionString } from './redact.js';
import { parseUserinfo, type ConnectionAuth } from './userinfo.js';

export type ConnectionStringScheme = 'mongodb' | 'mongodb+srv';

export interface ConnectionString {
  readonly scheme: ConnectionStringScheme;
  /**
   * The seed addresses (`host:port`, lower-cased, default port applied, duplicates removed).
   * Empty for mongodb+srv until the SRV records are resolved (the Topology looks them up).
   */
  readonly hosts: readonly Address[];
  /** The hosts as written, with their type and the port only when one was given. */
  readonly hostIdentifiers: readonly HostIdentifier[];
  /** For mongodb+srv: the host name to query SRV and TXT records for (lower-cased). */
  readonly srvHost: string | null;
  /** The database from the path (the default auth database), decoded; null when absent. */
  readonly database: string | null;
  readonly auth: ConnectionAuth | null;
  readonly options: ConnectionOptions;
  /** Unknown options, invalid values (which are ignored), repeated keys. */
  readonly warnings: readonly string[];
  /** The connection string with the password and secret option values replaced by `****`. */
  readonly redacted: string;
}

const schemePattern = /^(mongodb(?:\+srv)?):\/\//i;

// The connection string specification forbids these in a database name once decoded.
const forbiddenInDatabase = /[/\\ "$]/;

/** Parses a connection string; throws ConnectionStringError naming the problem. */
export function parseConnectionString(uri: string): ConnectionString {
  if (typeof uri !== 'string' || uri === '') {
    throw new ConnectionStringError('The connection string is empty');
  }
  const schemeMatch = schemePattern.exec(uri);
  if (!schemeMatch?.[1]) {
    const written = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(uri)?.[1];
    throw new ConnectionStringError(
      written
        ? `Invalid scheme '${written}': a connection string starts with mongodb:// or mongodb+srv://`
        : 'A connection string starts with mongodb:// or mongodb+srv://',
    );
  }
  const scheme = schemeMatch[1].toLowerCase() as ConnectionStringScheme;
  const rest = uri.slice(schemeMatch[0].length);

  // The host information ends at the first '/' or '?' (the slash before options is optional).
  const hostEnd = rest.search(/[/?]/);
  const authority = hostEnd === -1 ? rest : rest.slice(0, hostEnd);
  const tail = hostEnd === -1 ? '' : rest.slice(hostEnd);
  const question = tail.indexOf('?');
  const path = tail.startsWith('/') ? tail.slice(1, question === -1 ? undefined : question) : null;
  const query = question === -1 ? '' : tail.slice(question + 1);

  // An '@' after the first '/' means the userinfo itself held an unescaped '/': stop before any
  // part of the password could end up quoted as a host or a database name.
  if (path?.includes('@')) {
    throw new ConnectionStringError(
      "The user name or password contains an unescaped '/' (or the database name contains '@'); " +
        'percent-encode special characters in the user name and password',
    );
  }

  const at = authority.lastIndexOf('@');
  const rawUserinfo = at === -1 ? null : authority.slice(0, at);
  const rawHostInfo = at === -1 ? authority : authority.slice(at + 1);
  if (rawHostInfo === '') {
    throw new ConnectionStringError(
      /\.sock/i.test(tail)
        ? "The connection string names no host: a Unix domain socket path must be percent-encoded ('/' as %2F)"
        : 'The connection string names no host',
    );
  }

  const auth = rawUserinfo === null ? null : parseUserinfo(rawUserinfo);
  const hostIdentifiers = Object.freeze(parseHosts(rawHostInfo, rawUserinfo === null && tail.includes('@')));
  const database = parseDatabase(path);
  const parsed = parseOptions(query);
  // The seedlist specification: mongodb+srv implies TLS unless the string says otherwise.
  const options =
    scheme === 'mongodb+srv' && parsed.options.tls === undefined
      ? mergeOptions(parsed.options, { tls: true })
      : parsed.options;
  if (scheme === 'mongodb+srv') checkSrvHost(hostIdentifiers);
  checkOptionRules({ scheme, hosts: hostIdentifiers, options, given: parsed.given });

  const srvHost = scheme === 'mongodb+srv' ? (hostIdentifiers[0]?.host.toLowerCase() ?? null) : null;
  const hosts = srvHost === null ? [...new Set(hostIdentifiers.map(hostIdentifierAddress))] : [];
  return makeConnectionString({
    scheme,
    hosts: Object.freeze(hosts),
    hostIdentifiers,
    srvHost,
    database,
    auth,
    options,
    warnings: Object.freeze([...parsed.warnings]),
    redacted: redactConnectionString({ scheme, rawUserinfo, rawHostInfo, rawTail: tail }),
  });
}

/**
 * @param maybeUserinfo the string has an '@' only after the host part: the "hosts" may really be
 *   a user name and part of a password cut short by an unescaped '?', so errors must not quote them.
 */
function parseHosts(rawHostInfo: string, maybeUserinfo: boolean): HostIdentifier[] {
  try {
    return parseHostList(rawHostInfo).map((h) => Object.freeze(h));
  } catch (err) {
    if (!maybeUserinfo) throw err;
    throw new ConnectionStringError(
      "The host list is not valid; if the user name or password contains '/', '?' or '@', percent-encode them",
    );
  }
}

function parseDatabase(path: string | null): string | null {
  if (path === null || path === '') return null;
  const database = percentDecode(path, 'The database name');
  if (forbiddenInDatabase.test(database)) {
    throw new ConnectionStringError(
      `The database name '${database}' contains a character that is not allowed (/ \\ space " $)`,
    );
  }
  return database;
}

/** Freezes a connection string and gives it a `toString()` that prints the redacted form. */
function makeConnectionString(fields: ConnectionString): ConnectionString {
  const result = { ...fields };
  Object.defineProperty(result, 'toString', { value: () => fields.redacted, enumerable: false });
  return Object.freeze(result);
}
