/**
 * waspnest: a MongoDB topology monitor with immutable snapshots (the Wasp's Nest pattern),
 * herd-free refreshes and server selection.
 *
 * The public API is deliberately small: the Topology and its options, events and errors; the
 * data types of a snapshot; read preferences; and the pure functions of the core for people who
 * build their own shell or test against the specification (applyServerDescription,
 * applyApplicationError, selectServers, ...). The testing kit is at `waspnest/testing`.
 */

// The live topology.
export { Topology } from './topology/topology.js';
export type {
  ReportErrorOptions,
  SelectServerNowOptions,
  SelectServerOptions,
  TopologyState,
  WaitForRefreshOptions,
} from './topology/topology-types.js';
export type { TopologyOptions, TopologySettings } from './topology/topology-options.js';
export type { SrvAnswer, SrvResolver, SrvRescanFailureReason } from './monitor/srv-poller.js';
export type { RejectedSrvRecord } from './uri/srv.js';

// Events.
export type {
  ListenerErrorEvent,
  PoolClearedEvent,
  PrimaryChangedEvent,
  ReadableChangedEvent,
  RefreshedEvent,
  ServerClosedEvent,
  ServerDescriptionChangedEvent,
  ServerHeartbeatFailedEvent,
  ServerHeartbeatStartedEvent,
  ServerHeartbeatSucceededEvent,
  ServerOpeningEvent,
  SrvRecordsRejectedEvent,
  SrvRescanFailedEvent,
  TopologyClosedEvent,
  TopologyDescriptionChangedEvent,
  TopologyEventBase,
  TopologyEventName,
  TopologyEvents,
  TopologyOpeningEvent,
  WritableChangedEvent,
} from './events/events.js';

// Errors.
export {
  AddressError,
  ConnectionStringError,
  DnsError,
  NetworkError,
  NetworkTimeoutError,
  ProcessStallError,
  ReadPreferenceError,
  RefreshTimeoutError,
  ServerReplyError,
  ServerSelectionError,
  TopologyClosedError,
  TopologyOptionsError,
  WaspnestError,
  WireProtocolError,
  type ServerSelectionErrorOptions,
  type ServerSelectionReadPreference,
  type ServerSelectionServerSummary,
} from './errors.js';

// Snapshot data.
export { ServerType, TopologyType } from './description/server-type.js';
export type {
  Address,
  ServerDescription,
  ServerErrorInfo,
  TopologyDescription,
  TopologyVersion,
} from './description/types.js';

// Read preferences and selection.
export {
  toReadPreference,
  type ReadPreference,
  type DriverReadPreferenceLike,
  type ReadPreferenceLike,
  type ReadPreferenceMode,
  type ReadPreferenceOptions,
  type TagSet,
} from './selection/read-preference.js';
export {
  selectServers,
  type SelectionFailureReason,
  type SelectionOptions,
  type SelectionResult,
} from './selection/select-servers.js';
export { pickServer } from './selection/pick-server.js';

// The pure core, for custom shells and conformance tests.
export {
  initialTopologyDescription,
  primaryOf,
  type TopologyOptions as InitialTopologyOptions,
} from './description/topology-description.js';
export { applyServerDescription, replaceSeedList } from './description/apply-server-description.js';
export {
  applyApplicationError,
  type ApplicationErrorContext,
  type ApplicationErrorOutcome,
  type ErrorActions,
} from './description/application-error.js';
export {
  serverDescriptionFromError,
  serverDescriptionFromHello,
  unknownServerDescription,
  type FromErrorOptions,
  type FromHelloOptions,
} from './description/server-description.js';
export { serverDescriptionsEqual } from './description/server-description-equality.js';
export { normalizeAddress, addressProblem } from './description/address.js';
export {
  addRttSample,
  emptyRttStats,
  RTT_WINDOW_SIZE,
  type RttStats,
} from './description/round-trip-time.js';
export { sdamEventsBetween, type SdamEvent } from './description/sdam-events.js';
export {
  parseConnectionString,
  type ConnectionString,
  type ConnectionStringScheme,
} from './uri/connection-string.js';
export type { ConnectionOptions, CompressorName } from './uri/options.js';
export type { ConnectionAuth } from './uri/userinfo.js';
export type { HostIdentifier, HostType } from './uri/hosts.js';

// The official driver, observed: the same snapshots and events from a MongoClient.
export {
  watchMongoClient,
  MongoClientWatcher,
  type MongoClientLike,
  type WatchMongoClientOptions,
  type DriverServerDescription,
  type DriverTopologyDescription,
  type DriverObjectIdLike,
  type DriverCounterLike,
} from './adapters/mongo-client.js';

// The seams, for custom monitors and clocks.
export {
  systemClock,
  reusableTimer,
  type Clock,
  type ReusableTimer,
  type TimerHandle,
} from './time/clock.js';
export { DnsCache, type DnsCacheOptions, type ResolvedAddress } from './net/dns-cache.js';
export type { ServerApi } from './net/handshake.js';
export type {
  CheckPhase,
  HeartbeatFailedInfo,
  HeartbeatStartedInfo,
  HeartbeatSucceededInfo,
  LookupFunction,
  MonitorSettings,
  ServerMonitor,
  ServerMonitorFactory,
  ServerMonitorListener,
  ServerMonitoringMode,
  TlsSettings,
} from './monitor/server-monitor-types.js';
