import { describe, expect, it } from 'vitest';
import { NetworkError } from '../../../src/errors.js';
import { ScriptedHello, ScriptedTopology, VirtualClock } from '../../../src/testing/index.js';

const members = ['a:27017', 'b:27017'];
const primary = ScriptedHello.primary('rs0', members);
const secondary = ScriptedHello.secondary('rs0', members);

describe('ScriptedTopology', () => {
  it('is a real Topology on a virtual clock', () => {
    const t = new ScriptedTopology('mongodb://a,b/?replicaSet=rs0');
    expect(t.clock).toBeInstanceOf(VirtualClock);
    expect(t.topology.settings.clock).toBe(t.clock);
    t.start();
    expect(t.monitored.sort()).toEqual(members);
  });

  it('standing answers come as the virtual clock advances, every heartbeat', () => {
    const t = new ScriptedTopology('mongodb://a,b/?replicaSet=rs0', { heartbeatFrequencyMS: 1000 });
    t.respond('a:27017', primary, { latencyMS: 5 });
    t.respond('b:27017', (check) => (check === 1 ? secondary : new NetworkError('gone')));
    t.start();
    expect(t.topology.snapshot.type).toBe('ReplicaSetNoPrimary');
    t.advance(5);
    expect(t.topology.snapshot.type).toBe('ReplicaSetWithPrimary');
    expect(t.topology.snapshot.servers.get('b:27017')?.type).toBe('RSSecondary');
    t.advance(1005); // the next heartbeat of each
    expect(t.checks('a:27017')).toBe(2);
    expect(t.topology.snapshot.servers.get('b:27017')?.type).toBe('Unknown');
    t.respond('b:27017', null);
    t.advance(1005);
    expect(t.stats('b:27017').checking).toBe(true); // begun, waiting for the script
  });

  it('paces requested checks to one per minHeartbeatFrequencyMS', () => {
    const t = new ScriptedTopology('mongodb://a/?directConnection=true', { heartbeatFrequencyMS: 10_000 });
    t.start();
    t.reply('a:27017', ScriptedHello.standalone());
    t.topology.scheduleRefresh();
    expect(t.stats('a:27017')).toMatchObject({ checkRequests: 1, checks: 1, checking: false });
    t.advance(499);
    expect(t.checks('a:27017')).toBe(1);
    t.advance(1);
    expect(t.checks('a:27017')).toBe(2);
  });

  it('reply and fail begin a check when none is in flight, and name unknown addresses clearly', () => {
    const t = new ScriptedTopology('mongodb://a/?directConnection=true');
    expect(() => t.reply('a:27017', ScriptedHello.standalone())).toThrow(/no scripted monitor.*start\(\)/);
    t.start();
    t.reply('a:27017', ScriptedHello.standalone());
    t.reply('a:27017', ScriptedHello.standalone());
    expect(t.checks('a:27017')).toBe(2);
    expect(() => t.fail('z:1')).toThrow(/z:1 has no scripted monitor; monitored addresses: a:27017/);
  });
});

describe('a member named as primary while Unknown', () => {
  it('is checked at once instead of at its next heartbeat', () => {
    const t = new ScriptedTopology('mongodb://a,b/?replicaSet=rs0', { heartbeatFrequencyMS: 10_000 });
    t.start();
    t.fail('a:27017', new NetworkError('restarting'));
    expect(t.topology.snapshot.servers.get('a:27017')?.type).toBe('Unknown');
    t.advance(600); // past minHeartbeatFrequencyMS, long before the next heartbeat
    const requestsBefore = t.checkRequests('a:27017');
    t.reply('b:27017', ScriptedHello.secondary('rs0', members, { primary: 'a:27017' }));
    expect(t.topology.snapshot.servers.get('a:27017')?.type).toBe('PossiblePrimary');
    expect(t.checkRequests('a:27017')).toBe(requestsBefore + 1);
    t.advance(0); // the requested check starts now, not at the 10 s heartbeat
    expect(t.stats('a:27017').checking).toBe(true);
    t.reply('a:27017', primary);
    expect(t.topology.snapshot.type).toBe('ReplicaSetWithPrimary');
  });
});

describe('finding a new primary before the next heartbeat (polling)', () => {
  const three = ['a:27017', 'b:27017', 'c:27017'];
  /** a primary, b and c secondaries, 10 s heartbeats; the clock is past minHeartbeatFrequencyMS. */
  function settled(): ScriptedTopology {
    const t = new ScriptedTopology('mongodb://a,b,c/?replicaSet=rs0', { heartbeatFrequencyMS: 10_000 });
    t.start();
    t.reply('a:27017', ScriptedHello.primary('rs0', three));
    t.reply('b:27017', ScriptedHello.secondary('rs0', three, { primary: 'a:27017' }));
    t.reply('c:27017', ScriptedHello.secondary('rs0', three, { primary: 'a:27017' }));
    expect(t.topology.snapshot.type).toBe('ReplicaSetWithPrimary');
    t.advance(600);
    return t;
  }

  it('losing the primary gets every member checked at once', () => {
    const t = settled();
    const before = three.map((m) => t.checkRequests(m));
    t.fail('a:27017', new NetworkError('connection reset'));
    expect(t.topology.snapshot.type).toBe('ReplicaSetNoPrimary');
    three.forEach((m, i) => expect(t.checkRequests(m)).toBe((before[i] as number) + 1));
    t.advance(0); // the requested checks start now, not at the 10 s heartbeat
    expect(t.stats('c:27017').checking).toBe(true);
    t.reply('c:27017', ScriptedHello.primary('rs0', three));
    expect(t.topology.selectServerNow('primary')?.address).toBe('c:27017');
  });

  it('a member that starts naming another primary gets that server checked at once, once', () => {
    const t = settled();
    const before = t.checkRequests('c:27017');
    t.reply('b:27017', ScriptedHello.secondary('rs0', three, { primary: 'c:27017' }));
    expect(t.checkRequests('c:27017')).toBe(before + 1);
    // The same news again is not news: no second request.
    t.reply('b:27017', ScriptedHello.secondary('rs0', three, { primary: 'c:27017', tags: { dc: 'x' } }));
    expect(t.checkRequests('c:27017')).toBe(before + 1);
    t.advance(0);
    expect(t.stats('c:27017').checking).toBe(true);
    t.reply('c:27017', ScriptedHello.primary('rs0', three));
    expect(t.topology.selectServerNow('primary')?.address).toBe('c:27017');
    expect(t.topology.snapshot.servers.get('a:27017')?.type).toBe('Unknown'); // the old one, demoted
  });

  it('members naming the primary we know ask for nothing', () => {
    const t = settled();
    const before = three.map((m) => t.checkRequests(m));
    t.reply('b:27017', ScriptedHello.secondary('rs0', three, { primary: 'a:27017', tags: { dc: 'y' } }));
    expect(three.map((m) => t.checkRequests(m))).toEqual(before);
  });
});
