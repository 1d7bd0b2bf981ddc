import { describe, expect, it } from 'vitest';
import { ServerType, TopologyType } from '../../../src/description/server-type.js';
import { selectionCriteria } from '../../../src/selection/criteria.js';
import { toReadPreference } from '../../../src/selection/read-preference.js';
import { SelectionCache } from '../../../src/selection/selection-cache.js';
import { selectServers } from '../../../src/selection/select-servers.js';
import { server, snapshot } from './fixtures.js';

const settings = { selectionSettings: () => ({ localThresholdMS: 15, heartbeatFrequencyMS: 10_000 }) };
const withPrimary = () =>
  snapshot(TopologyType.ReplicaSetWithPrimary, [
    server('a:27017', ServerType.RSPrimary),
    server('b:27017', ServerType.RSSecondary),
  ]);

describe('SelectionCache', () => {
  it('answers a repeated selection on the current snapshot from the cache', () => {
    const current = withPrimary();
    const cache = new SelectionCache(current, settings);
    const first = cache.select(current, selectionCriteria('secondaryPreferred', undefined));
    expect(first).toEqual(
      selectServers(current, selectionCriteria('secondaryPreferred', undefined).readPreference),
    );
    expect(cache.select(current, selectionCriteria('secondaryPreferred', undefined))).toBe(first);
  });

  it('keeps nothing for a snapshot that is not current, and forgets on a change', () => {
    const current = withPrimary();
    const other = withPrimary();
    const cache = new SelectionCache(current, settings);
    const criteria = selectionCriteria('primary', undefined);
    expect(cache.select(other, criteria)).not.toBe(cache.select(other, criteria));
    const before = cache.select(current, criteria);
    cache.snapshotChanged(other);
    const after = cache.select(other, criteria);
    expect(after).not.toBe(before);
    expect(cache.select(other, criteria)).toBe(after);
  });

  it('never caches a selection with deprioritized servers', () => {
    const current = withPrimary();
    const cache = new SelectionCache(current, settings);
    const criteria = selectionCriteria('nearest', { deprioritized: ['a:27017'] });
    const first = cache.select(current, criteria);
    expect(first.inLatencyWindow.map((s) => s.address)).toEqual(['b:27017']);
    expect(cache.select(current, criteria)).not.toBe(first);
  });

  it('reads the settings at each selection (they change once an SRV lookup resolves)', () => {
    const current = snapshot(TopologyType.Sharded, [
      server('a:27017', ServerType.Mongos, { roundTripTime: 5 }),
      server('b:27017', ServerType.Mongos, { roundTripTime: 50 }),
    ]);
    let localThresholdMS = 15;
    const cache = new SelectionCache(current, {
      selectionSettings: () => ({ localThresholdMS, heartbeatFrequencyMS: 10_000 }),
    });
    expect(cache.select(current, selectionCriteria('nearest', undefined)).inLatencyWindow).toHaveLength(1);
    localThresholdMS = 100;
    cache.snapshotChanged(current);
    expect(cache.select(current, selectionCriteria('nearest', undefined)).inLatencyWindow).toHaveLength(2);
  });

  it('finds a read preference built once by identity, per operation, and only on its snapshot', () => {
    const current = withPrimary();
    const cache = new SelectionCache(current, settings);
    const tagged = toReadPreference({ mode: 'nearest', tags: [{ dc: 'east' }] });
    const first = cache.cached(current, tagged, undefined);
    expect(first.result).toEqual(selectServers(current, tagged));
    expect(cache.cached(current, tagged, undefined)).toBe(first);
    expect(cache.cached(current, tagged, 'write')).not.toBe(first);
    const primary = cache.cached(current, toReadPreference('primary'), undefined);
    expect(primary.only?.address).toBe('a:27017');
    expect(cache.cached(current, toReadPreference('primary'), undefined)).toBe(primary);
    const next = withPrimary();
    cache.snapshotChanged(next);
    expect(cache.cached(next, tagged, undefined)).not.toBe(first);
    expect(cache.cached(next, toReadPreference('primary'), undefined)).not.toBe(primary);
  });

  it('gives no single server when the latency window holds several (the caller picks)', () => {
    const current = withPrimary();
    const cache = new SelectionCache(current, settings);
    expect(cache.cached(current, toReadPreference('nearest'), undefined).only).toBeUndefined();
  });

  it('keeps finding the presets after many one-off read preferences with tags', () => {
    const current = withPrimary();
    const cache = new SelectionCache(current, settings);
    const primary = cache.cached(current, toReadPreference('primary'), undefined);
    for (let i = 0; i < 50; i++) {
      cache.cached(current, toReadPreference({ mode: 'nearest', tags: [{ dc: `x${i}` }] }), undefined);
    }
    expect(cache.cached(current, toReadPreference('primary'), undefined)).toBe(primary);
    // After a change the ring starts again from its first slot.
    const next = withPrimary();
    cache.snapshotChanged(next);
    const tagged = toReadPreference({ mode: 'nearest', tags: [{ dc: 'east' }] });
    const entry = cache.cached(next, tagged, undefined);
    expect(cache.cached(next, tagged, undefined)).toBe(entry);
  });
});
