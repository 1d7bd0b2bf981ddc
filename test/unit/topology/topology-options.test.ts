import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/time/clock.js';
import { TopologyOptionsError } from '../../../src/errors.js';
import {
  DEFAULTS,
  resolveTopologySettings,
  type TopologyOptions,
} from '../../../src/topology/topology-options.js';
import { parseConnectionString } from '../../../src/uri/connection-string.js';

function settings(uri: string, options: TopologyOptions = {}, txt = {}) {
  const parsed = parseConnectionString(uri);
  return resolveTopologySettings(
    { scheme: parsed.scheme, hosts: parsed.hosts, srvHost: parsed.srvHost },
    parsed.options,
    options,
    txt,
  );
}

describe('resolveTopologySettings', () => {
  it('applies the documented defaults', () => {
    const s = settings('mongodb://a,b');
    expect(s).toMatchObject({
      seeds: ['a:27017', 'b:27017'],
      heartbeatFrequencyMS: 10_000,
      minHeartbeatFrequencyMS: 500,
      serverSelectionTimeoutMS: 30_000,
      localThresholdMS: 15,
      connectTimeoutMS: 10_000,
      serverMonitoringMode: 'auto',
      directConnection: false,
      replicaSet: null,
      loadBalanced: false,
      appName: null,
      tls: undefined,
      srvMaxHosts: 0,
      srvServiceName: 'mongodb',
      rescanSRVIntervalMS: 60_000,
      lazy: false,
      maxTopologiesPerDeployment: 10,
    });
    expect(s.clock).toBe(systemClock);
    expect(s.monitorFactory).toBeUndefined();
    expect(Object.isFrozen(s)).toBe(true);
    expect(DEFAULTS.heartbeatFrequencyMS).toBe(10_000);
  });

  it('reads URI options and lets constructor options win', () => {
    const uri =
      'mongodb://a/?replicaSet=rs0&heartbeatFrequencyMS=2000&serverSelectionTimeoutMS=5000&localThresholdMS=30&appName=uri&serverMonitoringMode=poll';
    expect(settings(uri)).toMatchObject({
      replicaSet: 'rs0',
      heartbeatFrequencyMS: 2000,
      serverSelectionTimeoutMS: 5000,
      localThresholdMS: 30,
      appName: 'uri',
      serverMonitoringMode: 'poll',
    });
    expect(
      settings(uri, {
        heartbeatFrequencyMS: 3000,
        appName: 'ctor',
        replicaSet: 'other',
        serverMonitoringMode: 'stream',
      }),
    ).toMatchObject({
      replicaSet: 'other',
      heartbeatFrequencyMS: 3000,
      appName: 'ctor',
      serverMonitoringMode: 'stream',
    });
  });

  it('puts TXT record options below the connection string and the constructor', () => {
    const srv = 'mongodb+srv://cluster.example.com';
    expect(settings(srv, {}, { replicaSet: 'fromTxt' }).replicaSet).toBe('fromTxt');
    expect(settings(`${srv}/?replicaSet=fromUri`, {}, { replicaSet: 'fromTxt' }).replicaSet).toBe('fromUri');
    expect(settings(srv, { replicaSet: 'fromCtor' }, { replicaSet: 'fromTxt' }).replicaSet).toBe('fromCtor');
  });

  it('enables TLS for mongodb+srv unless tls=false, and for any TLS option', () => {
    expect(settings('mongodb+srv://cluster.example.com').tls).toMatchObject({ enabled: true });
    expect(settings('mongodb+srv://cluster.example.com/?tls=false').tls).toBeUndefined();
    expect(settings('mongodb+srv://cluster.example.com', { tls: false }).tls).toBeUndefined();
    expect(settings('mongodb://a', { tlsInsecure: true }).tls).toMatchObject({
      enabled: true,
      allowInvalidCertificates: true,
      allowInvalidHostnames: true,
    });
    expect(settings('mongodb://a/?tls=true&tlsAllowInvalidHostnames=true').tls).toMatchObject({
      enabled: true,
      allowInvalidCertificates: false,
      allowInvalidHostnames: true,
    });
  });

  it('reads TLS files and reports an unreadable one by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'waspnest-tls-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'CA PEM');
    const tls = settings('mongodb://a', { tlsCAFile: ca, tlsCertificateKeyFile: ca }).tls;
    expect(String(tls?.ca)).toBe('CA PEM');
    expect(String(tls?.cert)).toBe('CA PEM');
    expect(String(tls?.key)).toBe('CA PEM');
    expect(() => settings('mongodb://a', { tlsCAFile: join(dir, 'missing.pem') })).toThrow(
      /tlsCAFile: cannot read .*missing\.pem/,
    );
  });

  it.each<[string, TopologyOptions, RegExp]>([
    ['mongodb://a', { heartbeatFrequencyMS: 100 }, /heartbeatFrequencyMS must be at least 500/],
    ['mongodb://a', { heartbeatFrequencyMS: -1 }, /heartbeatFrequencyMS must be a non-negative number/],
    [
      'mongodb://a',
      { serverSelectionTimeoutMS: Number.NaN },
      /serverSelectionTimeoutMS must be a non-negative/,
    ],
    ['mongodb://a', { connectTimeoutMS: Infinity }, /connectTimeoutMS must be a non-negative number/],
    [
      'mongodb://a',
      { serverMonitoringMode: 'sometimes' as never },
      /serverMonitoringMode must be 'stream', 'poll' or 'auto', got 'sometimes'/,
    ],
    [
      'mongodb://a,b',
      { directConnection: true },
      /directConnection=true needs exactly one host, but 2 were given/,
    ],
    ['mongodb://a,b', { loadBalanced: true }, /loadBalanced=true needs exactly one host/],
    [
      'mongodb://a',
      { loadBalanced: true, replicaSet: 'rs0' },
      /loadBalanced=true cannot be used together with replicaSet/,
    ],
    [
      'mongodb://a',
      { loadBalanced: true, directConnection: true },
      /loadBalanced=true cannot be used together with directConnection=true/,
    ],
    ['mongodb://a', { srvMaxHosts: 2 }, /'srvMaxHosts' can only be used with mongodb\+srv/],
    ['mongodb://a', { srvServiceName: 'x' }, /'srvServiceName' can only be used with mongodb\+srv/],
    [
      'mongodb://a',
      { rescanSRVIntervalMS: 1000 },
      /'rescanSRVIntervalMS' can only be used with mongodb\+srv/,
    ],
    [
      'mongodb+srv://c.example.com',
      { srvMaxHosts: 2, replicaSet: 'rs0' },
      /srvMaxHosts cannot be used together with replicaSet/,
    ],
    ['mongodb+srv://c.example.com', { srvMaxHosts: 1.5 }, /srvMaxHosts must be a non-negative integer/],
    ['mongodb+srv://c.example.com', { srvServiceName: 'bad name' }, /srvServiceName must be letters/],
    [
      'mongodb+srv://c.example.com',
      { directConnection: true },
      /directConnection=true cannot be used with mongodb\+srv/,
    ],
    ['mongodb://a', { replicaSet: '' }, /replicaSet must be a non-empty string/],
    ['mongodb://a', { lazy: 'yes' as never }, /lazy must be true or false, got 'yes'/],
    [
      'mongodb://a',
      { tlsInsecure: true, tlsAllowInvalidHostnames: false },
      /'tlsInsecure' and 'tlsAllowInvalidHostnames' cannot be used together/,
    ],
    [
      'mongodb://a/?tlsInsecure=false',
      { tlsAllowInvalidCertificates: true },
      /'tlsInsecure' and 'tlsAllowInvalidCertificates' cannot be used together/,
    ],
    [
      'mongodb://a,b',
      { srvMaxHosts: 1, loadBalanced: true },
      /'srvMaxHosts' can only be used with mongodb\+srv/,
    ],
    [
      'mongodb://a',
      { tls: false, tlsAllowInvalidCertificates: true },
      /TLS options were given but tls=false/,
    ],
    ['mongodb://a', { lookup: 'dns' as never }, /lookup must be a function/],
    ['mongodb://a', { clock: {} as never }, /clock must have now\(\) and setTimeout/],
  ])('%s with %o is rejected clearly', (uri, options, message) => {
    let caught: unknown;
    try {
      settings(uri, options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TopologyOptionsError);
    expect((caught as Error).message).toMatch(message);
  });

  describe('after the SRV lookup, with its hosts and TXT options', () => {
    const resolvedHosts = ['h1.example.com:27017', 'h2.example.com:27017'];
    function afterLookup(uri: string, hosts: readonly string[], txt: object, options: TopologyOptions = {}) {
      const parsed = parseConnectionString(uri);
      return resolveTopologySettings(
        { scheme: 'mongodb+srv', hosts, srvHost: parsed.srvHost },
        parsed.options,
        options,
        txt,
      );
    }

    it.each<[string, readonly string[], object, RegExp]>([
      [
        'mongodb+srv://c.example.com/?srvMaxHosts=1',
        resolvedHosts.slice(0, 1),
        { replicaSet: 'repl0' },
        /srvMaxHosts cannot be used together with replicaSet/,
      ],
      [
        'mongodb+srv://c.example.com',
        resolvedHosts,
        { loadBalanced: true },
        /loadBalanced=true needs exactly one host \(the load balancer\), but 2 were given/,
      ],
      [
        'mongodb+srv://c.example.com/?replicaSet=rs',
        resolvedHosts.slice(0, 1),
        { loadBalanced: true },
        /loadBalanced=true cannot be used together with replicaSet/,
      ],
    ])('%s resolving to %o with TXT %o is rejected', (uri, hosts, txt, message) => {
      expect(() => afterLookup(uri, hosts, txt)).toThrow(TopologyOptionsError);
      expect(() => afterLookup(uri, hosts, txt)).toThrow(message);
    });

    it('allows loadBalanced from TXT with a single host, and takes the resolved hosts as seeds', () => {
      const s = afterLookup('mongodb+srv://c.example.com', resolvedHosts.slice(0, 1), { loadBalanced: true });
      expect(s.loadBalanced).toBe(true);
      expect(s.seeds).toEqual(resolvedHosts.slice(0, 1));
    });
  });

  it('accepts Infinity for serverSelectionTimeoutMS and lower heartbeats with a lower minimum', () => {
    expect(settings('mongodb://a', { serverSelectionTimeoutMS: Infinity }).serverSelectionTimeoutMS).toBe(
      Infinity,
    );
    expect(settings('mongodb://a', { minHeartbeatFrequencyMS: 10, heartbeatFrequencyMS: 50 })).toMatchObject({
      minHeartbeatFrequencyMS: 10,
      heartbeatFrequencyMS: 50,
    });
  });
});
