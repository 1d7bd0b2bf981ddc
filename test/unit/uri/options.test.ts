import { describe, expect, it } from 'vitest';
import {
  knownOptionNames,
  mergeOptions,
  optionNameFor,
  parseOptions,
  splitOptionPairs,
  type OptionName,
} from '../../../src/uri/options.js';

describe('optionNameFor', () => {
  it('finds options in any case, and ssl as tls', () => {
    expect(optionNameFor('HEARTBEATFREQUENCYMS')).toBe('heartbeatFrequencyMS');
    expect(optionNameFor('appname')).toBe('appName');
    expect(optionNameFor('wtimeoutms')).toBe('wTimeoutMS');
    expect(optionNameFor('SSL')).toBe('tls');
    expect(optionNameFor('wtimeout')).toBeUndefined();
  });
});

// For every option: a value it accepts (and what it becomes) and a value it refuses with a warning.
const table: readonly [OptionName, string, unknown, string][] = [
  ['adaptiveRetries', 'true', true, 'yes'],
  ['appName', 'app', 'app', 'x'.repeat(129)],
  ['authMechanism', 'scram-sha-256', 'SCRAM-SHA-256', 'MAGIC'],
  ['authMechanismProperties', 'SERVICE_NAME:mongodb', { SERVICE_NAME: 'mongodb' }, 'SERVICE_NAME'],
  ['compressors', 'zlib,snappy', ['zlib', 'snappy'], 'lz4'],
  ['connectTimeoutMS', '0', 0, '-1'],
  ['directConnection', 'FALSE', false, '0'],
  ['heartbeatFrequencyMS', '500', 500, '499'],
  ['journal', 'true', true, 'y'],
  ['loadBalanced', 'false', false, '1'],
  ['localThresholdMS', '15', 15, '1.5'],
  ['maxConnecting', '1', 1, '0'],
  ['maxIdleTimeMS', '0', 0, '-2'],
  ['maxPoolSize', '0', 0, 'ten'],
  ['maxStalenessSeconds', '-1', -1, '0'],
  ['minPoolSize', '3', 3, '-3'],
  ['proxyPort', '65535', 65535, '65536'],
  ['readPreference', 'SecondaryPreferred', 'secondaryPreferred', 'fastest'],
  ['readPreferenceTags', 'dc:ny', [{ dc: 'ny' }], 'dc'],
  ['retryReads', 'false', false, 'no'],
  ['retryWrites', 'true', true, 't'],
  ['serverMonitoringMode', 'stream', 'stream', 'push'],
  ['serverSelectionTimeoutMS', '0', 0, '-2'],
  ['serverSelectionTryOnce', 'false', false, 'f'],
  ['socketTimeoutMS', '2147483647', 2147483647, '2147483648'],
  ['srvMaxHosts', '0', 0, '-1'],
  ['srvServiceName', 'my-service', 'my-service', 'my--service'],
  ['timeoutMS', '0', 0, '1e3'],
  ['tls', 'true', true, 'on'],
  ['tlsAllowInvalidCertificates', 'true', true, 'invalid'],
  ['tlsAllowInvalidHostnames', 'true', true, 'invalid'],
  ['tlsDisableCertificateRevocationCheck', 'true', true, 'invalid'],
  ['tlsDisableOCSPEndpointCheck', 'false', false, 'invalid'],
  ['tlsInsecure', 'true', true, 'invalid'],
  ['w', '0', 0, '-1'],
  ['waitQueueTimeoutMS', '100', 100, 'soon'],
  ['wTimeoutMS', '9007199254740991', 9007199254740991, '9007199254740992'],
  ['zlibCompressionLevel', '-1', -1, '10'],
];

describe('option values', () => {
  it.each(table)('%s accepts %j', (name, text, value) => {
    const parsed = parseOptions(`${name}=${encodeURIComponent(text)}`);
    expect(parsed.options[name]).toEqual(value);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.given.has(name)).toBe(true);
  });

  it.each(table)('%s refuses %j with a warning and ignores it', (name, _text, _value, invalid) => {
    const parsed = parseOptions(`${name}=${encodeURIComponent(invalid)}`);
    expect(parsed.options[name]).toBeUndefined();
    expect(parsed.warnings).toHaveLength(1);
    expect(parsed.warnings[0]).toContain(name);
    expect(parsed.given.has(name)).toBe(true);
  });

  it('keeps string options as written', () => {
    const parsed = parseOptions(
      'authSource=%24external&replicaSet=rs%2F0&readConcernLevel=snapshot&tlsCAFile=%2Fetc%2Fca.pem' +
        '&tlsCertificateKeyFile=c.pem&proxyHost=p&proxyUsername=u&w=dc-tag',
    );
    expect(parsed.options).toEqual({
      authSource: '$external',
      replicaSet: 'rs/0',
      readConcernLevel: 'snapshot',
      tlsCAFile: '/etc/ca.pem',
      tlsCertificateKeyFile: 'c.pem',
      proxyHost: 'p',
      proxyUsername: 'u',
      w: 'dc-tag',
    });
  });

  it('covers every option in the table', () => {
    const names = new Set(table.map(([name]) => name));
    const strings: OptionName[] = [
      'authSource',
      'replicaSet',
      'readConcernLevel',
      'tlsCAFile',
      'tlsCertificateKeyFile',
      'tlsCertificateKeyFilePassword',
      'proxyHost',
      'proxyUsername',
      'proxyPassword',
    ];
    for (const name of strings) names.add(name);
    expect([...names].sort()).toEqual([...knownOptionNames].sort());
  });
});

describe('splitOptionPairs', () => {
  it('skips empty segments and splits at the first "="', () => {
    expect(
      splitOptionPairs('a=1&&authMechanismProperties=K:a=b&').map((p) => [p.key, p.rawValue, p.name]),
    ).toEqual([
      ['a', '1', undefined],
      ['authMechanismProperties', 'K:a=b', 'authMechanismProperties'],
    ]);
  });
});

describe('mergeOptions', () => {
  it('overlays later options and keeps secrets non-enumerable', () => {
    const base = parseOptions('appName=a&tlsCertificateKeyFilePassword=s').options;
    const merged = mergeOptions(base, { appName: 'b', retryWrites: false });
    expect(merged).toEqual({ appName: 'b', retryWrites: false });
    expect(merged.tlsCertificateKeyFilePassword).toBe('s');
    expect(Object.keys(merged)).not.toContain('tlsCertificateKeyFilePassword');
    expect(Object.isFrozen(merged)).toBe(true);
  });
});
