import { describe, expect, it } from 'vitest';
import { ServerType, TopologyType } from '../../../src/description/server-type.js';
import { selectionCriteria } from '../../../src/selection/criteria.js';
import { SelectionCache } from '../../../src/selection/selection-cache.js';
import { selectServers } from '../../../src/selection/select-servers.js';
import { server, snapshot } from './fixtures.js';

const settings = () => ({ localThresholdMS: 15, heartbeatFrequencyMS: 10_000 });
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
    const cache = new SelectionCache(current, () => ({ localThresholdMS, heartbeatFrequencyMS: 10_000 }));
    expect(cache.select(current, selectionCriteria('nearest', undefined)).inLatencyWindow).toHaveLength(1);
    localThresholdMS = 100;
    cache.snapshotChanged(current);
    expect(cache.select(current, selectionCriteria('nearest', undefined)).inLatencyWindow).toHaveLength(2);
  });
});
