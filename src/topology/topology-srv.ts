/**
 * A `mongodb+srv://` topology's use of DNS: the first lookup, which completes the settings (the
 * seed list, and TXT options below the URI's and the constructor's) and opens the topology or
 * fails it, and the rescans of a
 * sharded or unknown topology, whose host list changes go back to the topology. The poller holds
 * the topology weakly, so that its timer cannot keep an unclosed topology alive.
 */
import { TopologyType } from '../description/server-type.js';
import { WaspnestError } from '../errors.js';
import type { Address, TopologyDescription } from '../description/types.js';
import type { RejectedSrvRecord } from '../uri/srv.js';
import {
  resolveInitialSeedList,
  SrvPoller,
  systemSrvResolver,
  type SrvRescanFailure,
} from '../monitor/srv-poller.js';
import {
  resolveTopologySettings,
  type SeedSource,
  type TopologyOptions,
  type TopologySettings,
  type UriTopologyOptions,
} from './topology-options.js';

export interface ResolvedSrvSettings {
  readonly settings: TopologySettings;
  /** Warnings about the records (TXT options ignored, ...), for the settings' onWarning. */
  readonly warnings: readonly string[];
  /** The SRV records' TTL in ms (the first rescan waits at least this long), or null. */
  readonly ttlMS: number | null;
}

/**
 * Looks up the SRV and TXT records of `settings.srvHost` and resolves the settings again with the
 * hosts found and the TXT options.
 * @throws DnsError (or the resolver's error) when the lookup fails or finds no usable host.
 */
export async function resolveSrvSettings(
  settings: TopologySettings,
  uriOptions: UriTopologyOptions,
  constructorOptions: TopologyOptions,
): Promise<ResolvedSrvSettings> {
  const srvHost = settings.srvHost as string;
  const resolved = await resolveInitialSeedList(srvHost, {
    resolver: settings.srvResolver ?? systemSrvResolver,
    srvServiceName: settings.srvServiceName,
    srvMaxHosts: settings.srvMaxHosts,
    random: settings.random,
  });
  const source: SeedSource = { scheme: 'mongodb+srv', hosts: resolved.hosts, srvHost };
  const next = resolveTopologySettings(source, uriOptions, constructorOptions, resolved.txtOptions);
  return { settings: next, warnings: resolved.warnings, ttlMS: resolved.ttlMS };
}

/** What the first lookup of a `mongodb+srv://` topology reports to. */
export interface SrvOpening {
  /** Whether the topology still waits for the lookup (false once it was closed meanwhile). */
  resolving(): boolean;
  /** The lookup completed the settings; its records' TTL in ms (or null) paces the first rescan. */
  resolved(settings: TopologySettings, ttlMS: number | null): void;
  /** The lookup failed, or found no usable host: the topology cannot open. */
  failed(error: Error): void;
}

/**
 * Runs the first lookup (see {@link resolveSrvSettings}) and reports its outcome to `opening`:
 * the records' warnings go to the new settings' onWarning first; nothing is reported once the
 * topology stopped resolving. Never rejects.
 */
export async function openSrvTopology(
  settings: TopologySettings,
  uriOptions: UriTopologyOptions,
  constructorOptions: TopologyOptions,
  opening: SrvOpening,
): Promise<void> {
  try {
    const resolved = await resolveSrvSettings(settings, uriOptions, constructorOptions);
    if (!opening.resolving()) return; // closed meanwhile
    for (const warning of resolved.warnings) resolved.settings.onWarning(warning);
    opening.resolved(resolved.settings, resolved.ttlMS);
  } catch (error) {
    if (!opening.resolving()) return;
    opening.failed(
      error instanceof Error
        ? error
        : new WaspnestError(`SRV lookup for ${settings.srvHost} failed: ${String(error)}`),
    );
  }
}

/** What a rescan reports to. Held weakly: only the topology keeps it alive. */
export interface SrvPollingOwner {
  /** Whether reports are wanted now (the topology is open). */
  accepting(): boolean;
  snapshot(): TopologyDescription;
  replaceSeedList(hosts: readonly Address[]): void;
  rescanFailed(failure: SrvRescanFailure): void;
  recordsRejected(rejected: readonly RejectedSrvRecord[]): void;
}

/** Starts rescanning the SRV records of `settings.srvHost`; stop the returned poller to end it. */
export function startSrvPolling(
  settings: TopologySettings,
  owner: WeakRef<SrvPollingOwner>,
  ttlMS: number | null,
): SrvPoller {
  const accepting = (): SrvPollingOwner | undefined => {
    const target = owner.deref();
    return target !== undefined && target.accepting() ? target : undefined;
  };
  const poller = new SrvPoller({
    srvHost: settings.srvHost as string,
    resolver: settings.srvResolver ?? systemSrvResolver,
    srvServiceName: settings.srvServiceName,
    srvMaxHosts: settings.srvMaxHosts,
    random: settings.random,
    clock: settings.clock,
    rescanIntervalMS: settings.rescanSRVIntervalMS,
    heartbeatFrequencyMS: settings.heartbeatFrequencyMS,
    // A DNS lookup is part of connecting: it gets the same limit.
    lookupTimeoutMS: settings.connectTimeoutMS,
    // Only a sharded or still unknown topology follows its SRV records (the specification).
    currentHosts: () => {
      const target = owner.deref();
      if (target === undefined) return null;
      const snapshot = target.snapshot();
      if (snapshot.type !== TopologyType.Sharded && snapshot.type !== TopologyType.Unknown) return null;
      return [...snapshot.servers.keys()];
    },
    update: (hosts) => owner.deref()?.replaceSeedList(hosts),
    failed: (failure) => accepting()?.rescanFailed(failure),
    rejected: (rejected) => accepting()?.recordsRejected(rejected),
  });
  poller.start(ttlMS);
  return poller;
}
