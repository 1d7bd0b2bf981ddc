import { describe, expect, it } from 'vitest';
import { ConnectionStringError, DnsError } from '../../../src/errors.js';
import type { SrvAnswer, SrvResolver } from '../../../src/monitor/srv-poller.js';
import { ScriptedHello, ScriptedTopology } from '../../../src/testing/scripted-topology.js';
import { flush } from './scripted.js';
import { systemError } from '../net/system-error.js';

class TableResolver implements SrvResolver {
  srv: readonly SrvAnswer[] | Error = [];
  txt: readonly (readonly string[])[] = [];
  srvQueries = 0;
  async resolveSrv(): Promise<readonly SrvAnswer[]> {
    this.srvQueries += 1;
    if (this.srv instanceof Error) throw this.srv;
    return this.srv;
  }
  async resolveTxt(): Promise<readonly (readonly string[])[]> {
    return this.txt;
  }
}

const hosts = (...names: string[]): SrvAnswer[] =>
  names.map((name) => ({ name: `${name}.example.com`, port: 27017 }));
const address = (name: string) => `${name}.example.com:27017`;

function srvTopology(resolver: SrvResolver, query = '') {
  return new ScriptedTopology(`mongodb+srv://cluster0.example.com/${query}`, {
    srvResolver: resolver,
    random: () => 0,
    tls: false,
  });
}

describe('a mongodb+srv:// topology', () => {
  it('resolves the seed list before monitoring, then polls while Sharded', async () => {
    const resolver = new TableResolver();
    resolver.srv = hosts('m1', 'm2');
    const t = srvTopology(resolver);
    const connecting = t.topology.connect();
    expect(t.topology.state).toBe('resolving');
    expect(t.monitored).toEqual([]);
    await flush();
    expect(t.topology.state).toBe('open');
    expect(t.monitored.sort()).toEqual([address('m1'), address('m2')]);
    t.reply(address('m1'), ScriptedHello.mongos());
    await expect(connecting).resolves.toBe(t.topology);
    expect(t.topology.snapshot.type).toBe('Sharded');

    // A rescan 60 s later finds m3 and no longer m2.
    resolver.srv = hosts('m1', 'm3');
    t.advance(60_000);
    await flush();
    expect(resolver.srvQueries).toBe(2);
    expect([...t.topology.snapshot.servers.keys()].sort()).toEqual([address('m1'), address('m3')]);
    expect(t.monitored.sort()).toEqual([address('m1'), address('m3')]);

    // A failed rescan keeps the last good list.
    resolver.srv = systemError('querySrv', 'ETIMEOUT');
    t.advance(60_000);
    await flush();
    expect(resolver.srvQueries).toBe(3);
    expect(t.monitored.sort()).toEqual([address('m1'), address('m3')]);
    await t.close();
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('takes replicaSet from the TXT record, and does not poll a replica set', async () => {
    const resolver = new TableResolver();
    resolver.srv = hosts('a', 'b');
    resolver.txt = [['replicaSet=rs9']];
    const t = srvTopology(resolver).start();
    await flush();
    expect(t.topology.snapshot.type).toBe('ReplicaSetNoPrimary');
    expect(t.topology.snapshot.setName).toBe('rs9');
    expect(t.topology.settings.replicaSet).toBe('rs9');
    t.reply(address('a'), ScriptedHello.primary('rs9', [address('a'), address('b')]));
    t.advance(180_000);
    await flush();
    expect(resolver.srvQueries).toBe(1);
    await t.close();
  });

  it('a failed SRV lookup fails connect() and every later call with the DNS error', async () => {
    const resolver = new TableResolver();
    resolver.srv = systemError('querySrv', 'ENOTFOUND', '_mongodb._tcp.cluster0.example.com');
    const t = srvTopology(resolver);
    const error = await t.topology.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DnsError);
    expect((error as Error).message).toMatch(/_mongodb\._tcp\.cluster0\.example\.com failed \(ENOTFOUND\)/);
    expect(t.topology.state).toBe('failed');
    await expect(t.topology.selectServer()).rejects.toBe(error);
    await expect(t.topology.waitForRefresh()).rejects.toBe(error);
    await t.close();
  });

  it('refuses SRV answers outside the parent domain', async () => {
    const resolver = new TableResolver();
    resolver.srv = [{ name: 'evil.attacker.net', port: 27017 }];
    const t = srvTopology(resolver);
    await expect(t.topology.connect()).rejects.toBeInstanceOf(ConnectionStringError);
    expect(t.monitored).toEqual([]);
    await t.close();
  });

  it('close() during the lookup wins: connect rejects and nothing is monitored', async () => {
    const resolver = new TableResolver();
    resolver.srv = hosts('m1');
    const t = srvTopology(resolver);
    const connecting = t.topology.connect().catch((e: unknown) => e);
    await t.close();
    expect((await connecting) as Error).toMatchObject({ name: 'TopologyClosedError' });
    await flush();
    expect(t.monitored).toEqual([]);
    expect(t.clock.pendingTimers).toBe(0);
  });
});
