/**
 * A pending change to a snapshot, as an overlay on it: the state machine reads and writes the
 * overlay (plain objects, no immer draft), and `commit` turns it into a new snapshot. Every
 * description written replaces the one it is written over, even when it compares equal to it
 * (the specification requires this, so round-trip times and write dates stay current); only an
 * edit that wrote nothing new (or wrote back the very same description objects) returns the base.
 * The common case, a heartbeat that changes no (=) field, is made cheap rather than rare: the new
 * snapshot shares the address index and every other description, and keeps the derived fields.
 */
import { freeze } from 'immer';
import { ServerMap } from './server-map.js';
import { ServerType, TopologyType } from './server-type.js';
import { compatibilityOf, logicalSessionTimeoutOf } from './topology-derived-fields.js';
import type { Address, ServerDescription, TopologyDescription } from './types.js';

export class TopologyEdit {
  type: TopologyType;
  setName: string | null;
  maxSetVersion: number | null;
  maxElectionId: string | null;
  seedCount: number;
  readonly #base: TopologyDescription;
  /** The base's servers as a ServerMap (the same object unless the snapshot was built elsewhere). */
  readonly #baseServers: ServerMap;
  /** Servers replaced or added, in the order they were first written. */
  readonly #written = new Map<Address, ServerDescription>();
  /** Servers of the base snapshot removed. */
  readonly #removed = new Set<Address>();

  constructor(base: TopologyDescription) {
    this.#base = base;
    this.#baseServers = ServerMap.from(base.servers);
    this.type = base.type;
    this.setName = base.setName;
    this.maxSetVersion = base.maxSetVersion;
    this.maxElectionId = base.maxElectionId;
    this.seedCount = base.seedCount ?? base.servers.size;
  }

  has(address: Address): boolean {
    if (this.#written.has(address)) return true;
    return !this.#removed.has(address) && this.#baseServers.has(address);
  }

  get(address: Address): ServerDescription | undefined {
    const written = this.#written.get(address);
    if (written !== undefined) return written;
    return this.#removed.has(address) ? undefined : this.#baseServers.get(address);
  }

  set(address: Address, description: ServerDescription): void {
    this.#removed.delete(address);
    this.#written.set(address, description);
  }

  remove(address: Address): void {
    this.#written.delete(address);
    if (this.#baseServers.has(address)) this.#removed.add(address);
  }

  /** The servers as they now stand: the base's in their order, then the added ones. */
  servers(): ServerDescription[] {
    const list: ServerDescription[] = [];
    const written = this.#written;
    const removed = this.#removed;
    for (const [address, description] of this.#baseServers) {
      if (removed.size > 0 && removed.has(address)) continue;
      list.push(written.get(address) ?? description);
    }
    for (const [address, description] of written) {
      if (!this.#baseServers.has(address)) list.push(description);
    }
    return list;
  }

  /** The addresses of the servers as they now stand. */
  addresses(): Address[] {
    const list: Address[] = [];
    for (const address of this.#baseServers.keys()) if (!this.#removed.has(address)) list.push(address);
    for (const address of this.#written.keys()) if (!this.#baseServers.has(address)) list.push(address);
    return list;
  }

  /** The RSPrimary servers as they now stand (normally at most one). */
  primaries(): ServerDescription[] {
    const list: ServerDescription[] = [];
    for (const description of this.#written.values())
      if (description.type === ServerType.RSPrimary) list.push(description);
    const basePrimary = this.#baseServers.primaryAddress();
    if (basePrimary !== null && !this.#removed.has(basePrimary) && !this.#written.has(basePrimary)) {
      const description = this.#baseServers.get(basePrimary);
      if (description !== undefined) list.push(description);
    }
    return list;
  }

  hasPrimary(): boolean {
    for (const description of this.#written.values())
      if (description.type === ServerType.RSPrimary) return true;
    // The base's primary, found once per snapshot (snapshots never change, so the answer holds).
    const basePrimary = this.#baseServers.primaryAddress();
    return basePrimary !== null && !this.#removed.has(basePrimary) && !this.#written.has(basePrimary);
  }

  /** checkIfHasPrimary: the replica-set type that matches whether a primary is known. */
  checkIfHasPrimary(): void {
    this.type = this.hasPrimary() ? TopologyType.ReplicaSetWithPrimary : TopologyType.ReplicaSetNoPrimary;
  }

  /**
   * The base snapshot when nothing was removed, no topology field changed and every description
   * written is the very object already held; else a new snapshot (version + 1): a frozen shallow
   * copy of the base, sharing every server description that was not rewritten.
   */
  commit(): TopologyDescription {
    const base = this.#base;
    let serversChanged = this.#removed.size > 0;
    if (!serversChanged) {
      for (const [address, description] of this.#written) {
        if (this.#baseServers.get(address) !== description) {
          serversChanged = true;
          break;
        }
      }
    }
    const fieldsChanged =
      this.type !== base.type ||
      this.setName !== base.setName ||
      this.maxSetVersion !== base.maxSetVersion ||
      this.maxElectionId !== base.maxElectionId ||
      this.seedCount !== (base.seedCount ?? base.servers.size);
    if (!serversChanged && !fieldsChanged) return base;

    // Compatibility and the session timeout are recomputed only when a field they read changed.
    let derived: {
      compatible: boolean;
      compatibilityError: string | null;
      logicalSessionTimeoutMinutes: number | null;
    } | null = null;
    if (serversChanged && this.#derivedInputsChanged()) {
      const servers = this.servers();
      derived = {
        ...compatibilityOf(servers),
        logicalSessionTimeoutMinutes: logicalSessionTimeoutOf(servers),
      };
    }
    // The snapshot is built directly rather than through an immer draft (a snapshot per heartbeat
    // makes this a hot path). Only what is new gets frozen: the rewritten descriptions
    // (deeply; those made by the core are frozen already) and the snapshot object. The server map
    // shares its address index with the base, so the cost barely grows with the number of members.
    let servers: ServerMap = this.#baseServers;
    if (this.#removed.size > 0 || this.#written.size > 0) {
      for (const description of this.#written.values()) freeze(description, true);
      servers = servers.with(this.#written, this.#removed);
    }
    // One literal in the order every snapshot is made in (initialTopologyDescription): spreading
    // the base and the optional derived fields measured as most of this function's cost.
    const next: TopologyDescription = {
      type: this.type,
      setName: this.setName,
      maxSetVersion: this.maxSetVersion,
      maxElectionId: this.maxElectionId,
      servers,
      compatible: derived === null ? base.compatible : derived.compatible,
      compatibilityError: derived === null ? base.compatibilityError : derived.compatibilityError,
      logicalSessionTimeoutMinutes:
        derived === null ? base.logicalSessionTimeoutMinutes : derived.logicalSessionTimeoutMinutes,
      version: base.version + 1,
      seedCount: this.seedCount,
    };
    return Object.freeze(next);
  }

  /** Whether a server was added or removed, or changed type, wire versions or session timeout. */
  #derivedInputsChanged(): boolean {
    if (this.#removed.size > 0) return true;
    for (const [address, description] of this.#written) {
      const before = this.#baseServers.get(address);
      if (
        before === undefined ||
        before.type !== description.type ||
        before.minWireVersion !== description.minWireVersion ||
        before.maxWireVersion !== description.maxWireVersion ||
        before.logicalSessionTimeoutMinutes !== description.logicalSessionTimeoutMinutes
      ) {
        return true;
      }
    }
    return false;
  }
}
