/**
 * Every way the snapshot can change, as one union applied by one pure function: (snapshot,
 * input) → { snapshot, actions }. The Topology runs each input through here, swaps the result in
 * and carries out the actions (pool clears, check cancels and requests) for `input.address`.
 * An input that changes nothing returns the same snapshot.
 */
import {
  applyApplicationError,
  NO_ERROR_ACTIONS,
  type ApplicationErrorContext,
  type ApplicationErrorOutcome,
} from './application-error.js';
import { applyServerDescription, replaceSeedList } from './apply-server-description.js';
import { applyMonitorOutcome } from './monitor-outcome.js';
import { loadBalancerServerDescription } from './server-description.js';
import { TopologyType } from './server-type.js';
import type { Address, ServerDescription, TopologyDescription } from './types.js';

export type TopologyInput =
  /** A monitor's check of `address` ended with this description. */
  | { readonly kind: 'checked'; readonly address: Address; readonly description: ServerDescription }
  /** An operation on `address` failed (the embedder reported it). */
  | {
      readonly kind: 'applicationError';
      readonly address: Address;
      readonly error: unknown;
      readonly context: ApplicationErrorContext;
    }
  /** An SRV rescan found this host list. */
  | { readonly kind: 'seedList'; readonly hosts: readonly Address[]; readonly now: number }
  /** Monitoring began: in load-balanced mode the seed is a load balancer, never checked. */
  | { readonly kind: 'opened'; readonly now: number };

export type TopologyInputOutcome = ApplicationErrorOutcome;

export function applyTopologyInput(
  snapshot: TopologyDescription,
  input: TopologyInput,
): TopologyInputOutcome {
  switch (input.kind) {
    case 'checked':
      return applyMonitorOutcome(snapshot, input.description);
    case 'applicationError':
      return applyApplicationError(snapshot, input.address, input.error, input.context);
    case 'seedList':
      return { snapshot: replaceSeedList(snapshot, input.hosts, input.now), actions: NO_ERROR_ACTIONS };
    case 'opened': {
      if (snapshot.type !== TopologyType.LoadBalanced) return { snapshot, actions: NO_ERROR_ACTIONS };
      let next = snapshot;
      for (const address of snapshot.servers.keys()) {
        next = applyServerDescription(next, loadBalancerServerDescription(address, input.now));
      }
      return { snapshot: next, actions: NO_ERROR_ACTIONS };
    }
  }
}
