import { describe, expect, it } from 'vitest';
import { applyServerDescription } from '../../../src/description/apply-server-description.js';
import { serverDescriptionFromHello } from '../../../src/description/server-description.js';
import { initialTopologyDescription } from '../../../src/description/topology-description.js';
import type { Address, ServerDescription, TopologyDescription } from '../../../src/description/types.js';
import { MonitorSet, type MonitorSetOwner } from '../../../src/topology/monitor-set.js';
import type {
  MonitorSettings,
  ServerMonitor,
  ServerMonitorFactory,
  ServerMonitorListener,
} from '../../../src/monitor/server-monitor-types.js';
import { resolveTopologySettings } from '../../../src/topology/topology-options.js';

/** A monitor that records what it is asked and lets the test report as it. */
class FakeMonitor implements ServerMonitor {
  readonly calls: string[] = [];
  constructor(
    readonly address: Address,
    readonly listener: ServerMonitorListener,
    readonly settings: MonitorSettings,
  ) {}
  start(): void {
    this.calls.push('start');
  }
  requestCheck(): void {
    this.calls.push('requestCheck');
  }
  cancelCheck(): void {
    this.calls.push('cancelCheck');
  }
  close(): void {
    this.calls.push('close');
  }
  started(awaited: boolean): void {
    this.listener.heartbeatStarted({ address: this.address, awaited, connectionId: '1' });
  }
}

function setUp(hosts: string[], options: { loadBalanced?: boolean } = {}) {
  const made: FakeMonitor[] = [];
  const monitorFactory: ServerMonitorFactory = (address, listener, settings) => {
    const monitor = new FakeMonitor(address, listener, settings);
    made.push(monitor);
    return monitor;
  };
  const settings = resolveTopologySettings(
    { scheme: 'mongodb', hosts, srvHost: null },
    {},
    { monitorFactory, ...(options.loadBalanced === true ? { loadBalanced: true } : {}) },
  );
  let snapshot: TopologyDescription = initialTopologyDescription(settings.seeds, {
    loadBalanced: settings.loadBalanced,
    now: 0,
  });
  const reports: string[] = [];
  const state = { accepting: true };
  const owner: MonitorSetOwner = {
    accepting: () => state.accepting,
    snapshot: () => snapshot,
    heartbeatStarted: (info) => reports.push(`started ${info.address}`),
    heartbeatSucceeded: (info) => reports.push(`succeeded ${info.address}`),
    heartbeatFailed: (info) => reports.push(`failed ${info.address}`),
    description: (address: Address, description: ServerDescription) =>
      reports.push(`description ${address} ${description.type}`),
  };
  const monitors = new Map<Address, ServerMonitor>();
  const set = new MonitorSet(monitors, new WeakRef(owner));
  return {
    set,
    made,
    monitors,
    reports,
    state,
    settings,
    owner,
    snapshot: () => snapshot,
    replace: (next: TopologyDescription) => (snapshot = next),
  };
}

describe('MonitorSet', () => {
  it('starts one monitor per server and closes those of removed servers', () => {
    const t = setUp(['a:27017', 'b:27017']);
    expect(t.set.reconcile(t.snapshot(), t.settings)).toEqual([]);
    expect(t.made.map((m) => [m.address, m.calls])).toEqual([
      ['a:27017', ['start']],
      ['b:27017', ['start']],
    ]);
    // Reconciling the same servers again starts nothing.
    t.set.reconcile(t.snapshot(), t.settings);
    expect(t.made).toHaveLength(2);
    // a answers as the primary of a set whose only member it is: b leaves the topology.
    const primary = serverDescriptionFromHello(
      'a:27017',
      { ok: 1, isWritablePrimary: true, setName: 'rs', hosts: ['a:27017'], maxWireVersion: 21 },
      { now: 1 },
    );
    const next = t.replace(applyServerDescription(t.snapshot(), primary));
    expect([...next.servers.keys()]).toEqual(['a:27017']);
    expect(t.set.reconcile(next, t.settings)).toEqual(['b:27017']);
    expect(t.made[1]?.calls).toEqual(['start', 'close']);
    expect([...t.set.addresses()]).toEqual(['a:27017']);
  });

  it("gives an application's monitor factory a listener and settings it can spread", () => {
    const t = setUp(['a:27017']);
    t.set.reconcile(t.snapshot(), t.settings);
    const made = t.made[0]!;
    // Copies, as a factory that wraps or extends them would make.
    const listener: ServerMonitorListener = { ...made.listener };
    const settings: MonitorSettings = { ...made.settings };
    listener.heartbeatStarted({ address: 'a:27017', awaited: false, connectionId: '1' });
    listener.description(settings.currentDescription()!);
    expect(t.reports).toEqual(['started a:27017', 'description a:27017 Unknown']);
    expect(settings.heartbeatFrequencyMS).toBe(t.settings.heartbeatFrequencyMS);
    expect(settings.clock).toBe(t.settings.clock);
  });

  it('starts no monitor for a load balancer', () => {
    const t = setUp(['lb:27017'], { loadBalanced: true });
    t.set.reconcile(t.snapshot(), t.settings);
    expect(t.made).toHaveLength(0);
  });

  it('forwards reports only from the current monitor of an address, while the owner accepts them', () => {
    const t = setUp(['a:27017']);
    t.set.reconcile(t.snapshot(), t.settings);
    const first = t.made[0]!;
    first.started(false);
    expect(t.reports).toEqual(['started a:27017']);
    t.state.accepting = false;
    first.started(false);
    expect(t.reports).toHaveLength(1);
    t.state.accepting = true;
    // The server leaves and comes back: the old monitor's late report is dropped.
    t.set.reconcile(initialTopologyDescription([], { now: 1 }), t.settings);
    t.set.reconcile(t.snapshot(), t.settings);
    first.listener.description(first.settings.currentDescription()!);
    expect(t.reports).toEqual(['started a:27017']);
    t.made[1]!.listener.description(t.made[1]!.settings.currentDescription()!);
    expect(t.reports).toEqual(['started a:27017', 'description a:27017 Unknown']);
  });

  it('leaves a monitor with an awaitable hello in flight out of the servers a round waits for', () => {
    const t = setUp(['a:27017', 'b:27017']);
    t.set.reconcile(t.snapshot(), t.settings);
    t.made[0]!.started(true);
    expect(t.set.notStreaming()).toEqual(['b:27017']);
    t.made[0]!.listener.heartbeatSucceeded({
      address: 'a:27017',
      awaited: true,
      connectionId: '1',
      duration: 1,
      reply: {},
    });
    expect(t.set.notStreaming()).toEqual(['a:27017', 'b:27017']);
  });

  it('routes requested checks and keeps pool generations per server', () => {
    const t = setUp(['a:27017', 'b:27017']);
    t.set.reconcile(t.snapshot(), t.settings);
    t.set.requestChecks(['b:27017']);
    t.set.requestChecks('all');
    t.set.cancelCheck('a:27017');
    expect(t.made.map((m) => m.calls)).toEqual([
      ['start', 'requestCheck', 'cancelCheck'],
      ['start', 'requestCheck', 'requestCheck'],
    ]);
    expect(t.set.poolGeneration('a:27017')).toBe(0);
    expect(t.set.clearPool('a:27017')).toBe(1);
    expect(t.set.clearPool('a:27017')).toBe(2);
    expect(t.set.poolGeneration('b:27017')).toBe(0);
  });
});
