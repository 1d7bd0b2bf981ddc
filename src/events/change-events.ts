/**
 * Composition of the events the Topology emits: those of one snapshot swap (the specification's
 * SDAM events followed by the high-level ones), and a monitor's heartbeat reports, each stamped
 * with the emitting topology's id.
 */
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

export function heartbeatSucceededEvent(
  topologyId: number,
  info: HeartbeatSucceededInfo,
): ServerHeartbeatSucceededEvent {
  return {
    topologyId,
    address: info.address,
    connectionId: info.connectionId,
    awaited: info.awaited,
    duration: info.duration,
    // A getter: a reply recognised from its bytes is decoded only if a listener reads it.
    get reply() {
      return info.reply;
    },
    ...(info.dnsDuration === undefined ? {} : { dnsDuration: info.dnsDuration }),
    ...(info.connectDuration === undefined ? {} : { connectDuration: info.connectDuration }),
  };
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
