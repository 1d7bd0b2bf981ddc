/**
 * The live view's LAST HEARTBEAT column says 'streaming' for a server that holds an awaitable
 * hello (it answers the moment anything changes, so the time since its last reply means nothing),
 * and goes back to the age of the last check when that stream fails.
 */
import { describe, expect, it } from 'vitest';
import { memberRows } from '../../src/cli/live-view.js';
import { TopologyTracker } from '../../src/cli/topology-tracker.js';
import { initialTopologyDescription } from '../../src/description/topology-description.js';
import type { ServerHeartbeatFailedEvent, ServerHeartbeatStartedEvent } from '../../src/events/events.js';
import { closeAfterTest, replicaSet, topology } from '../integration/topology/close-after-test.js';

describe('TopologyTracker and streaming servers', () => {
  it('marks every streaming member, and unmarks one whose stream fails', async () => {
    const rs = await replicaSet({ members: 3 });
    const t = topology(rs.uri, { serverMonitoringMode: 'stream' });
    const tracker = new TopologyTracker(t, { now: () => performance.now() });
    closeAfterTest(async () => tracker.close());
    const streaming = new Set<string>();
    const allStreaming = new Promise<void>((resolve) => {
      const onStarted = (e: ServerHeartbeatStartedEvent) => {
        if (e.awaited) streaming.add(e.address);
        if (streaming.size === rs.members.length) {
          t.off('serverHeartbeatStarted', onStarted);
          resolve();
        }
      };
      t.on('serverHeartbeatStarted', onStarted);
    });
    await t.connect();
    await allStreaming;
    const row = (address: string) =>
      tracker.view({ title: 't', target: 't', footer: '' }).members.find((m) => m.address === address);
    for (const address of rs.members) expect(row(address)?.streaming).toBe(true);

    const victim = rs.secondaries[0] as string;
    const failed = new Promise<ServerHeartbeatFailedEvent>((resolve) =>
      t.on('serverHeartbeatFailed', (e) => {
        if (e.address === victim) resolve(e);
      }),
    );
    await rs.kill(victim);
    await failed;
    expect(row(victim)?.streaming).toBe(false);
    expect(row(victim)?.lastHeartbeatAgeMS).not.toBeNull();
  });

  it('never calls an Unknown server streaming (an error marked it; its stream is no answer)', () => {
    const snapshot = initialTopologyDescription(['a:1'], { now: 0 });
    const [row] = memberRows(snapshot, 10, () => ({ lastHeartbeatAt: 5, streaming: true }));
    expect(row?.type).toBe('Unknown');
    expect(row?.streaming).toBe(false);
    expect(row?.lastHeartbeatAgeMS).toBe(5);
  });
});
