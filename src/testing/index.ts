/**
 * `waspnest/testing`: deployments on loopback that speak the real MongoDB wire protocol, for
 * failover tests that run in milliseconds with any client (waspnest, the official driver,
 * Mongoose), and the same control interface over real mongod processes.
 *
 * @packageDocumentation
 */
export { SimulatedReplicaSet } from './simulated-replica-set.js';
export type {
  SimulatedReplicaSetOptions,
  ReplicaSetMemberOptions,
  MemberReconfig,
  MemberState,
} from './simulated-replica-set.js';
export type { MemberRole } from './replica-set-member.js';
export { SimulatedShardedCluster } from './simulated-sharded-cluster.js';
export type { SimulatedShardedClusterOptions } from './simulated-sharded-cluster.js';
export { SimulatedStandalone } from './simulated-standalone.js';
export type { SimulatedStandaloneOptions } from './simulated-standalone.js';
export { SimulatedDeployment, SimulatorClosedError, SimulatorTimeoutError } from './simulated-deployment.js';
export type { SimulatedTlsOptions } from './tls-terminator.js';
export type {
  SimulatorEventMap,
  SimulatorEventName,
  SimulatorEventPayload,
  WaitForOptions,
  CommandEvent,
  ConnectionEvent,
  ServerEvent,
  ElectionEvent,
  PrimaryLostEvent,
  ReconfigEvent,
  TopologyVersionEvent,
  ReplicationEvent,
} from './simulated-deployment.js';
export type { FaultSpec, FaultKind, FaultHandle, FaultEvent, FaultTarget } from './faults.js';
export type { FailCommandOptions, WriteConcernErrorSpec } from './fail-command.js';
export type { FailCommandHandle, FailPointEvent } from './fail-points.js';
export { RealReplicaSet, UnsupportedOnRealServerError } from './real-replica-set.js';
export type { RealReplicaSetOptions } from './real-replica-set.js';
export { findMongodBinary } from './mongod-binary.js';
export { MongodUnavailableError, SimulatorOptionsError } from '../errors.js';
export { ServerErrorCode } from './server-errors.js';
export {
  SIMULATED_SERVER_VERSION,
  SIMULATED_MIN_WIRE_VERSION,
  SIMULATED_MAX_WIRE_VERSION,
} from './server-constants.js';
// ScriptedTopology: a socket-free topology on a virtual clock, for unit tests.
export * from './scripted-topology.js'; // ScriptedTopology, ScriptedHello, VirtualClock and their types
