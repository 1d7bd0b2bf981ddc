/**
 * openSrvTopology, the first lookup of a `mongodb+srv://` topology, without sockets or DNS: a
 * table resolver answers, and the opening records what it was told.
 */
import { describe, expect, it } from 'vitest';
import { DnsError, WaspnestError } from '../../../src/errors.js';
import type { SrvAnswer, SrvResolver } from '../../../src/monitor/srv-poller.js';
import {
  copyOptions,
  resolveTopologySettings,
  type TopologySettings,
} from '../../../src/topology/topology-options.js';
import { openSrvTopology, type SrvOpening } from '../../../src/topology/topology-srv.js';
import { parseConnectionString } from '../../../src/uri/connection-string.js';

class TableResolver implements SrvResolver {
  constructor(
    readonly srv: readonly SrvAnswer[] | (() => never),
    readonly txt: readonly (readonly string[])[] = [],
  ) {}
  async resolveSrv(): Promise<readonly SrvAnswer[]> {
    return typeof this.srv === 'function' ? this.srv() : this.srv;
  }
  async resolveTxt(): Promise<readonly (readonly string[])[]> {
    return this.txt;
  }
}

function open(
  resolver: SrvResolver,
  resolving: () => boolean = () => true,
  onWarning?: (warning: string) => void,
) {
  const parsed = parseConnectionString('mongodb+srv://cluster0.example.com/');
  const told: string[] = [];
  const constructorOptions = copyOptions({
    srvResolver: resolver,
    random: () => 0,
    tls: false,
    onWarning: onWarning ?? ((warning: string) => told.push(`warning: ${warning}`)),
  });
  const settings = resolveTopologySettings(
    { scheme: parsed.scheme, hosts: parsed.hosts, srvHost: parsed.srvHost },
    parsed.options,
    constructorOptions,
  );
  const outcome: { settings?: TopologySettings; ttlMS?: number | null; error?: Error } = {};
  const opening: SrvOpening = {
    resolving,
    resolved: (resolvedSettings, ttlMS) => {
      told.push('resolved');
      outcome.settings = resolvedSettings;
      outcome.ttlMS = ttlMS;
    },
    failed: (error) => {
      told.push('failed');
      outcome.error = error;
    },
  };
  return { done: openSrvTopology(settings, parsed.options, constructorOptions, opening), told, outcome };
}

describe('openSrvTopology', () => {
  it('completes the settings from the records, warnings first, with the smallest TTL', async () => {
    const resolver = new TableResolver(
      [
        { name: 'm1.example.com', port: 27017, ttl: 300 },
        { name: 'm2.example.com', port: 27018, ttl: 60 },
      ],
      [['replicaSet=rs0&authSource=admin&loadBalanced=maybe']],
    );
    const { done, told, outcome } = open(resolver);
    await done;
    expect(told).toHaveLength(2);
    expect(told[0]).toMatch(/^warning: TXT record: .*loadBalanced/);
    expect(told[1]).toBe('resolved');
    expect(outcome.settings?.seeds).toEqual(['m1.example.com:27017', 'm2.example.com:27018']);
    expect(outcome.settings?.replicaSet).toBe('rs0');
    expect(outcome.ttlMS).toBe(60_000);
  });

  it('fails the opening with the lookup error, or a WaspnestError naming the host for a non-Error', async () => {
    const refused = new Error('querySrv ECONNREFUSED');
    const failing = open(
      new TableResolver(() => {
        throw refused;
      }),
    );
    await failing.done;
    expect(failing.told).toEqual(['failed']);
    expect(failing.outcome.error).toBeInstanceOf(DnsError);
    expect(failing.outcome.error?.message).toMatch(
      /SRV lookup of _mongodb\._tcp\.cluster0\.example\.com failed/,
    );
    expect(failing.outcome.error?.cause).toBe(refused);

    // The records' warnings go to the embedder's onWarning, which may throw anything.
    const odd = open(
      new TableResolver([{ name: 'm1.example.com', port: 27017 }], [['loadBalanced=maybe']]),
      () => true,
      () => {
        throw 'SERVFAIL';
      },
    );
    await odd.done;
    expect(odd.told).toEqual(['failed']);
    expect(odd.outcome.error).toBeInstanceOf(WaspnestError);
    expect(odd.outcome.error?.message).toBe('SRV lookup for cluster0.example.com failed: SERVFAIL');
  });

  it('reports nothing once the topology stopped resolving (closed meanwhile)', async () => {
    const succeeded = open(new TableResolver([{ name: 'm1.example.com', port: 27017 }]), () => false);
    const failed = open(
      new TableResolver(() => {
        throw new Error('lookup failed');
      }),
      () => false,
    );
    await Promise.all([succeeded.done, failed.done]);
    expect(succeeded.told).toEqual([]);
    expect(failed.told).toEqual([]);
  });
});
