import { describe, expect, it } from 'vitest';
import { ServerType, TopologyType } from '../../../src/description/server-type.js';
import { ServerSelectionError } from '../../../src/errors.js';
import { selectionCriteria } from '../../../src/selection/criteria.js';
import { selectServers } from '../../../src/selection/select-servers.js';
import { selectionError } from '../../../src/selection/selection-error.js';
import { server, snapshot } from './fixtures.js';

const noPrimary = () =>
  snapshot(TopologyType.ReplicaSetNoPrimary, [
    server('a:27017', ServerType.RSSecondary, { lastUpdateTime: 1000, roundTripTime: 2.345 }),
    server('b:27017', ServerType.Unknown, { error: { name: 'NetworkError', message: 'connection refused' } }),
    server('c:27017', ServerType.Unknown),
  ]);

describe('selectionError', () => {
  it('names the read preference, the wait and every server as the client saw it', () => {
    const current = noPrimary();
    const criteria = selectionCriteria('primary', { operation: 'write' });
    const result = selectServers(current, criteria.readPreference, { operation: 'write' });
    const error = selectionError(criteria, current, result, { kind: 'timeout', timeoutMS: 500 }, 1500);
    expect(error).toBeInstanceOf(ServerSelectionError);
    expect(error.timedOut).toBe(true);
    expect(error.message).toMatch(
      /^Server selection timed out after 500 ms for read preference primary \(write\): /,
    );
    expect(error.message).toContain('Topology ReplicaSetNoPrimary; servers: ');
    expect(error.message).toContain('a:27017 (RSSecondary, checked 500 ms ago, RTT 2.35 ms)');
    expect(error.message).toContain('b:27017 (Unknown, last error: connection refused, checked 1500 ms ago)');
    expect(error.message).toContain('c:27017 (Unknown, never checked)');
    expect(error.servers.map((s) => s.lastHeartbeatAgeMS)).toEqual([500, 1500, null]);
  });

  it('says when waiting could not help', () => {
    const current = snapshot(TopologyType.Unknown, []);
    const criteria = selectionCriteria('nearest', undefined);
    const error = selectionError(
      criteria,
      current,
      selectServers(current, criteria.readPreference),
      { kind: 'immediate' },
      0,
    );
    expect(error.timedOut).toBe(false);
    expect(error.message).toMatch(
      /^No server can be selected for read preference nearest: .*servers: no servers$/,
    );
  });
});
