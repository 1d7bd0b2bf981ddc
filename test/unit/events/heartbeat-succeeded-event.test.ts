import type { Document } from 'bson';
import { describe, expect, it } from 'vitest';
import { heartbeatSucceededEvent } from '../../../src/events/change-events.js';
import type { HeartbeatSucceededInfo } from '../../../src/monitor/server-monitor-types.js';

/** An info whose reply counts its reads (a repeated reply is decoded on read). */
function countingInfo(extra: Partial<HeartbeatSucceededInfo> = {}): {
  info: HeartbeatSucceededInfo;
  reads: () => number;
} {
  let reads = 0;
  const info: HeartbeatSucceededInfo = {
    address: 'a:27017',
    connectionId: 'a:27017#1',
    awaited: false,
    duration: 2,
    get reply(): Document {
      reads++;
      return { ok: 1, isWritablePrimary: true };
    },
    ...extra,
  };
  return { info, reads: () => reads };
}

describe('heartbeatSucceededEvent', () => {
  it('reads the reply only when a listener does, each time from the info', () => {
    const { info, reads } = countingInfo();
    const event = heartbeatSucceededEvent(7, info);
    expect(reads()).toBe(0);
    expect(event.reply).toEqual({ ok: 1, isWritablePrimary: true });
    expect(reads()).toBe(1);
  });

  it('has reply as an own enumerable field: a spread or JSON of the event carries it', () => {
    const { info } = countingInfo();
    const event = heartbeatSucceededEvent(7, info);
    expect(Object.keys(event)).toEqual([
      'topologyId',
      'address',
      'connectionId',
      'awaited',
      'duration',
      'reply',
    ]);
    expect({ ...event }).toEqual({
      topologyId: 7,
      address: 'a:27017',
      connectionId: 'a:27017#1',
      awaited: false,
      duration: 2,
      reply: { ok: 1, isWritablePrimary: true },
    });
    expect(JSON.parse(JSON.stringify(event))).toMatchObject({ topologyId: 7, reply: { ok: 1 } });
  });

  it('has dnsDuration and connectDuration only when the check opened a connection', () => {
    expect('dnsDuration' in heartbeatSucceededEvent(1, countingInfo().info)).toBe(false);
    expect('connectDuration' in heartbeatSucceededEvent(1, countingInfo().info)).toBe(false);
    const opened = heartbeatSucceededEvent(1, countingInfo({ dnsDuration: 3, connectDuration: 4 }).info);
    expect(opened).toMatchObject({ dnsDuration: 3, connectDuration: 4 });
  });
});
