import { describe, expect, it } from 'vitest';
import { ConnectionStringError } from '../../../src/errors.js';
import { parseConnectionString } from '../../../src/uri/connection-string.js';

/** The error a parse throws (fails the test when it does not throw). */
function parseError(uri: string): ConnectionStringError {
  try {
    parseConnectionString(uri);
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectionStringError);
    return err as ConnectionStringError;
  }
  throw new Error(`expected ${uri} to be rejected`);
}

describe('parseConnectionString: hosts', () => {
  it('normalises addresses: lower-case, default port, IPv6 in brackets, sockets as paths', () => {
    const cs = parseConnectionString('mongodb://Example.COM,10.0.0.1:27018,[::1],%2Ftmp%2FMongo-1.sock/');
    expect(cs.hosts).toEqual(['example.com:27017', '10.0.0.1:27018', '[::1]:27017', '/tmp/Mongo-1.sock']);
    expect(cs.hostIdentifiers).toEqual([
      { type: 'hostname', host: 'Example.COM', port: null },
      { type: 'ipv4', host: '10.0.0.1', port: 27018 },
      { type: 'ip_literal', host: '::1', port: null },
      { type: 'unix', host: '/tmp/Mongo-1.sock', port: null },
    ]);
    expect(cs.scheme).toBe('mongodb');
    expect(cs.srvHost).toBeNull();
  });

  it('removes duplicate seeds from the addresses but keeps them as written', () => {
    const cs = parseConnectionString('mongodb://a:27017,A,b');
    expect(cs.hosts).toEqual(['a:27017', 'b:27017']);
    expect(cs.hostIdentifiers).toHaveLength(3);
  });

  it('keeps the SRV host apart: no seed addresses until resolution, TLS on by default', () => {
    const cs = parseConnectionString('mongodb+srv://Cluster0.Example.com/db?retryWrites=true');
    expect(cs.scheme).toBe('mongodb+srv');
    expect(cs.srvHost).toBe('cluster0.example.com');
    expect(cs.hosts).toEqual([]);
    expect(cs.options.tls).toBe(true);
    expect(parseConnectionString('mongodb+srv://a.example.com/?tls=false').options.tls).toBe(false);
  });

  it('accepts SRV hosts with fewer than three labels', () => {
    expect(parseConnectionString('mongodb+srv://localhost').srvHost).toBe('localhost');
    expect(parseConnectionString('mongodb+srv://mongo.local').srvHost).toBe('mongo.local');
  });

  it.each([
    ['mongodb://localhost:0', 'out of range'],
    ['mongodb://localhost:65536', 'out of range'],
    ['mongodb://localhost:http', 'not a number'],
    ['mongodb://localhost:', 'no port after it'],
    ['mongodb://::1', 'brackets'],
    ['mongodb://[::1', "no closing ']'"],
    ['mongodb://[not-v6]:27017', 'not an IPv6 address'],
    ['mongodb://a,,b', 'empty host'],
    ['mongodb://%2Ftmp%2Fmongodb.socket', "must end in '.sock'"],
    ['mongodb:///tmp/mongodb-27017.sock', 'percent-encoded'],
    ['mongodb://', 'names no host'],
    ['mongodb://ex ample.com', 'not allowed in a host name'],
  ])('rejects %s with a message that names the problem', (uri, words) => {
    expect(parseError(uri).message).toContain(words);
  });
});

describe('parseConnectionString: scheme, database and userinfo', () => {
  it('names a wrong scheme', () => {
    expect(parseError('mongo://localhost').message).toContain("Invalid scheme 'mongo'");
    expect(parseError('localhost:27017').message).toContain('mongodb://');
    expect(parseError('').message).toContain('empty');
  });

  it('decodes the database and the user name', () => {
    const cs = parseConnectionString('mongodb://%40l%3Ace@example.com/my%3Fdb?w=1');
    expect(cs.database).toBe('my?db');
    expect(cs.auth?.username).toBe('@l:ce');
    expect(cs.auth?.password).toBeNull();
  });

  it('has no auth and no database when none is written', () => {
    const cs = parseConnectionString('mongodb://example.com/?appName=x');
    expect(cs.auth).toBeNull();
    expect(cs.database).toBeNull();
  });

  it('rejects forbidden characters in the database name', () => {
    expect(parseError('mongodb://h/a%20b').message).toContain('database name');
    expect(parseError('mongodb://h/a%24b').message).toContain('not allowed');
  });

  it.each([
    ['mongodb://alice:foo:bar@h', "unescaped ':'"],
    ['mongodb://alice@foo:bar@h', "unescaped '@'"],
    ['mongodb://alice:b%zz@h', "unescaped '%'"],
    ['mongodb://alice:foo/bar@h/db', "unescaped '/'"],
    ['mongodb://alice:fo?o@h/db', 'percent-encode them'],
    ['mongodb://alice:fo?o=1@h/db', 'percent-encode them'],
    ['mongodb://alice:fo?o/x@h', 'percent-encode them'],
    ['mongodb://alice?o@h', "unescaped '?'"],
    ['mongodb://alice?o@x=1@h', "unescaped '?'"],
    ['mongodb://alice:a[b@h', 'must be percent-encoded'],
    ['mongodb://:secret@h', 'no user name'],
  ])('rejects bad userinfo %s with a hint to percent-encode', (uri, words) => {
    expect(parseError(uri).message).toContain(words);
  });
});

describe('parseConnectionString: options', () => {
  it('parses typed options with case-insensitive keys', () => {
    const cs = parseConnectionString(
      'mongodb://a,b/?REPLICASET=rs0&heartbeatFrequencyMS=500&serverMonitoringMode=poll&localThresholdMS=0' +
        '&serverSelectionTimeoutMS=5000&connectTimeoutMS=0&socketTimeoutMS=100&timeoutMS=1&appName=my%20app' +
        '&directConnection=false&retryWrites=false&retryReads=true&w=majority&journal=true&wTimeoutMS=3000' +
        '&readConcernLevel=local&compressors=zstd,snappy',
    );
    expect(cs.options).toEqual({
      replicaSet: 'rs0',
      heartbeatFrequencyMS: 500,
      serverMonitoringMode: 'poll',
      localThresholdMS: 0,
      serverSelectionTimeoutMS: 5000,
      connectTimeoutMS: 0,
      socketTimeoutMS: 100,
      timeoutMS: 1,
      appName: 'my app',
      directConnection: false,
      retryWrites: false,
      retryReads: true,
      w: 'majority',
      journal: true,
      wTimeoutMS: 3000,
      readConcernLevel: 'local',
      compressors: ['zstd', 'snappy'],
    });
    expect(cs.warnings).toEqual([]);
  });

  it('keeps readPreferenceTags in order, one tag set per occurrence, the empty one included', () => {
    const cs = parseConnectionString(
      'mongodb://h/?readPreference=secondaryPreferred&readPreferenceTags=dc:ny,rack:1&readPreferenceTags=dc:sf' +
        '&readPreferenceTags=&maxStalenessSeconds=90',
    );
    expect(cs.options.readPreference).toBe('secondaryPreferred');
    expect(cs.options.readPreferenceTags).toEqual([{ dc: 'ny', rack: '1' }, { dc: 'sf' }, {}]);
    expect(cs.options.maxStalenessSeconds).toBe(90);
    expect(cs.warnings).toEqual([]);
  });

  it('keeps colons inside authMechanismProperties values and reads CANONICALIZE_HOST_NAME as a boolean', () => {
    const cs = parseConnectionString(
      'mongodb://u@h/?authMechanism=MONGODB-OIDC&authMechanismProperties=TOKEN_RESOURCE:mongodb://x:1,ENVIRONMENT:azure',
    );
    expect(cs.options.authMechanismProperties).toEqual({
      TOKEN_RESOURCE: 'mongodb://x:1',
      ENVIRONMENT: 'azure',
    });
    const gssapi = parseConnectionString(
      'mongodb://u@h/?authMechanismProperties=CANONICALIZE_HOST_NAME:false',
    );
    expect(gssapi.options.authMechanismProperties).toEqual({ CANONICALIZE_HOST_NAME: false });
  });

  it('ignores invalid values and unknown keys with a warning that names them', () => {
    const cs = parseConnectionString(
      'mongodb://h/?heartbeatFrequencyMS=499&serverMonitoringMode=sometimes&fooBar=1&journal=&compressors=zlib,lz4',
    );
    expect(cs.options).toEqual({ compressors: ['zlib'] });
    expect(cs.warnings).toEqual([
      "Unsupported option 'fooBar' (ignored)",
      'Unsupported value "499" for option \'heartbeatFrequencyMS\': it must be at least 500 (ignored)',
      'Unsupported value "sometimes" for option \'serverMonitoringMode\': it must be one of stream, poll, auto (ignored)',
      "Option 'journal' has an empty value (ignored)",
      "Option 'compressors': Unsupported compressors 'lz4' ignored",
    ]);
  });

  it('warns about a repeated key and uses the last value', () => {
    const cs = parseConnectionString('mongodb://h/?appName=a&APPNAME=b');
    expect(cs.options.appName).toBe('b');
    expect(cs.warnings).toEqual(["The option 'APPNAME' is given more than once; the last value is used"]);
  });

  it('treats ssl as an alias of tls: agreeing values are fine, disagreeing ones are an error', () => {
    expect(parseConnectionString('mongodb://h/?ssl=true&tls=true&ssl=true').options.tls).toBe(true);
    expect(parseConnectionString('mongodb://h/?ssl=true&tls=true').warnings).toEqual([]);
    expect(parseError('mongodb://h/?ssl=true&tls=false').message).toBe(
      "The options 'ssl' and 'tls' disagree: all tls and ssl values must be the same",
    );
  });

  it.each([
    [
      'mongodb://a,b/?directConnection=true',
      'directConnection=true needs exactly one host, but 2 were given',
    ],
    [
      'mongodb+srv://a.example.com/?directConnection=true',
      'directConnection=true cannot be used with mongodb+srv',
    ],
    [
      'mongodb://a,b/?loadBalanced=true',
      'loadBalanced=true needs exactly one host (the load balancer), but 2 were given',
    ],
    [
      'mongodb://a/?loadBalanced=true&replicaSet=rs',
      'loadBalanced=true cannot be used together with replicaSet',
    ],
    ['mongodb://a/?loadBalanced=true&directConnection=true', 'together with directConnection=true'],
    ['mongodb+srv://a.example.com,b.example.com', 'exactly one host'],
    ['mongodb+srv://a.example.com:27017', 'cannot have a port'],
    ['mongodb+srv://127.0.0.1', 'DNS host name'],
    ['mongodb://a/?srvMaxHosts=1', "'srvMaxHosts' can only be used with mongodb+srv://"],
    ['mongodb://a/?srvServiceName=db', "'srvServiceName' can only be used with mongodb+srv://"],
    [
      'mongodb+srv://a.example.com/?srvMaxHosts=1&replicaSet=rs',
      'srvMaxHosts cannot be used together with replicaSet',
    ],
    ['mongodb+srv://a.example.com/?srvMaxHosts=1&loadBalanced=true', 'together with loadBalanced=true'],
    [
      'mongodb://a/?tlsInsecure=true&tlsAllowInvalidHostnames=false',
      "'tlsInsecure' and 'tlsAllowInvalidHostnames'",
    ],
    [
      'mongodb://a/?maxStalenessSeconds=120',
      'maxStalenessSeconds cannot be used with read preference mode primary',
    ],
    ['mongodb://a/?readPreference=primary&readPreferenceTags=dc:ny', 'readPreferenceTags cannot be used'],
    ['mongodb://a/?proxyPort=1080', "'proxyPort' requires proxyHost"],
    ['mongodb://a/?proxyHost=p&proxyUsername=u', 'must be given together'],
    ['mongodb://a/?proxyHost=p&proxyHost=q', "'proxyHost' is given more than once"],
    ['mongodb://a/?w', "The option 'w' has no value"],
    ['mongodb://a/?=1', 'empty name'],
    ['mongodb://a/?appName=100%', "value of option 'appName'"],
  ])('rejects %s: %s', (uri, message) => {
    expect(parseError(uri).message).toContain(message);
  });

  it('allows maxStalenessSeconds=-1 with mode primary, and the empty tag set', () => {
    expect(parseConnectionString('mongodb://a/?maxStalenessSeconds=-1').options.maxStalenessSeconds).toBe(-1);
    expect(parseConnectionString('mongodb://a/?readPreferenceTags=').options.readPreferenceTags).toEqual([
      {},
    ]);
  });

  it('returns frozen values', () => {
    const cs = parseConnectionString('mongodb://u:p@a/?readPreferenceTags=dc:ny&readPreference=nearest');
    expect(Object.isFrozen(cs)).toBe(true);
    expect(Object.isFrozen(cs.hosts)).toBe(true);
    expect(Object.isFrozen(cs.options)).toBe(true);
    expect(Object.isFrozen(cs.auth)).toBe(true);
    expect(Object.isFrozen(cs.options.readPreferenceTags?.[0])).toBe(true);
  });
});
