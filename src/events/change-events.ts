/**
 * Composition of the events the Topology emits: those of one snapshot swap (the specification's
 * SDAM events followed by the high-level ones), and a monitor's heartbeat reports, each stamped
 * with the emitting topology's id.
 */
import type { Document } from 'bson';
import { sdamEventsBetween, type SdamEvent } from '../description/sdam-events.js';
import type { TopologyDescription } from '../description/types.js';
import type {
  ServerHeartbeatFailedEvent,
  ServerHeartbeatStartedEvent,
  ServerHeartbeatSucceededEvent,
  TopologyEventRecord,
} from './events.js';
import type { HighLevelEventDeriver } from './high-level-events.js';
import type {
  HeartbeatFailedInfo,
  HeartbeatStartedInfo,
  HeartbeatSucceededInfo,
} from '../monitor/server-monitor-types.js';

/**
 * The events one snapshot swap causes, in the order listeners get them: the specification's
 * (servers opening, changing and closing, then the topology) followed by the high-level ones.
 * Our Topology and the MongoClient adapter both emit these, so that they cannot drift apart.
 */
export function changeEvents(
  previous: TopologyDescription,
  next: TopologyDescription,
  topologyId: number,
  highLevel: HighLevelEventDeriver,
  now: number,
): TopologyEventRecord[] {
  const events = sdamEventsBetween(previous, next).map((event) => sdamEventRecord(event, topologyId));
  for (const event of highLevel.eventsBetween(previous, next, now)) {
    events.push({ name: event.name, payload: { topologyId, ...event.payload } });
  }
  return events;
}

function sdamEventRecord(event: SdamEvent, topologyId: number): TopologyEventRecord {
  switch (event.type) {
    case 'serverOpening':
    case 'serverClosed':
      return { name: event.type, payload: { topologyId, address: event.address } };
    case 'serverDescriptionChanged':
      return {
        name: event.type,
        payload: {
          topologyId,
          address: event.address,
          previousDescription: event.previousDescription,
          newDescription: event.newDescription,
        },
      };
    case 'topologyDescriptionChanged':
      return {
        name: event.type,
        payload: {
          topologyId,
          previousDescription: event.previousDescription,
          newDescription: event.newDescription,
        },
      };
  }
}

export function heartbeatStartedEvent(
  topologyId: number,
  info: HeartbeatStartedInfo,
): ServerHeartbeatStartedEvent {
  return { topologyId, address: info.address, connectionId: info.connectionId, awaited: info.awaited };
}

/**
 * `reply` is an own enumerable getter (a spread or JSON.stringify of the event has it), decoded
 * only if read: a reply recognised from its bytes is not decoded unless a listener wants it. The
 * getter is one function defined on every event, so events keep fast properties and one hidden
 * class. A literal with its own getter and spreads was kept in dictionary mode by V8, and each such
 * event was seen to keep the report and reply bytes behind it until a full GC (scale-memory.ts).
 */
class HeartbeatSucceededEvent implements ServerHeartbeatSucceededEvent {
  readonly topologyId: number;
  readonly address: string;
  readonly connectionId: string;
  readonly awaited: boolean;
  readonly duration: number;
  declare readonly reply: Document;
  // Declared, not defined: present only when known, as in the other events.
  declare readonly dnsDuration?: number;
  declare readonly connectDuration?: number;
  readonly #info: HeartbeatSucceededInfo;

  /** The one `reply` getter of all events (a frozen descriptor, defined on each). */
  static readonly #replyProperty: PropertyDescriptor = Object.freeze({
    get(this: HeartbeatSucceededEvent): Document {
      return this.#info.reply;
    },
    enumerable: true,
    configurable: false,
  });

  constructor(topologyId: number, info: HeartbeatSucceededInfo) {
    this.topologyId = topologyId;
    this.address = info.address;
    this.connectionId = info.connectionId;
    this.awaited = info.awaited;
    this.duration = info.duration;
    this.#info = info;
    Object.defineProperty(this, 'reply', HeartbeatSucceededEvent.#replyProperty);
    if (info.dnsDuration !== undefined) (this as { dnsDuration?: number }).dnsDuration = info.dnsDuration;
    if (info.connectDuration !== undefined) {
      (this as { connectDuration?: number }).connectDuration = info.connectDuration;
    }
  }
}

export function heartbeatSucceededEvent(
  topologyId: number,
  info: HeartbeatSucceededInfo,
): ServerHeartbeatSucceededEvent {
  return new HeartbeatSucceededEvent(topologyId, info);
}

export function heartbeatFailedEvent(
  topologyId: number,
  info: HeartbeatFailedInfo,
): ServerHeartbeatFailedEvent {
  return {
    topologyId,
    address: info.address,
    connectionId: info.connectionId,
    awaited: info.awaited,
    duration: info.duration,
    failure: info.failure,
    phase: info.phase,
  };
}
