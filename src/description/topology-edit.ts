/**
 * A pending change to a snapshot, as an overlay on it: the state machine reads and writes the
 * overlay (plain objects, no immer draft), and `commit` turns it into a new snapshot only when
 * something counted changed. So the common case, a heartbeat that changes nothing, costs no
 * draft, no copy and no allocation beyond the overlay, and returns the very same snapshot.
 */
import { freeze } from 'immer';
import { countsAsUnchanged, DEFAULT_RTT_TOLERANCE_MS } from './server-description-equality.js';
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
  /** Servers replaced or added, in the order they were first written. */
  readonly #written = new Map<Address, ServerDescription>();
  /** Servers of the base snapshot removed. */
  readonly #removed = new Set<Address>();

  constructor(base: TopologyDescription) {
    this.#base = base;
    this.type = base.type;
    this.setName = base.setName;
    this.maxSetVersion = base.maxSetVersion;
    this.maxElectionId = base.maxElectionId;
    this.seedCount = base.seedCount ?? base.servers.size;
  }

  has(address: Address): boolean {
    if (this.#written.has(address)) return true;
    return !this.#removed.has(address) && this.#base.servers.has(address);
  }

  get(address: Address): ServerDescription | undefined {
    const written = this.#written.get(address);
    if (written !== undefined) return written;
    return this.#removed.has(address) ? undefined : this.#base.servers.get(address);
  }

  set(address: Address, description: ServerDescription): void {
    this.#removed.delete(address);
    this.#written.set(address, description);
  }

  remove(address: Address): void {
    this.#written.delete(address);
    if (this.#base.servers.has(address)) this.#removed.add(address);
  }

  /** The servers as they now stand: the base's in their order, then the added ones. */
  servers(): ServerDescription[] {
    const list: ServerDescription[] = [];
    const written = this.#written;
    const removed = this.#removed;
    for (const [address, description] of this.#base.servers) {
      if (removed.size > 0 && removed.has(address)) continue;
      list.push(written.get(address) ?? description);
    }
    for (const [address, description] of written) {
      if (!this.#base.servers.has(address)) list.push(description);
    }
    return list;
  }

  /** The addresses of the servers as they now stand. */
  addresses(): Address[] {
    const list: Address[] = [];
    for (const address of this.#base.servers.keys()) if (!this.#removed.has(address)) list.push(address);
    for (const address of this.#written.keys()) if (!this.#base.servers.has(address)) list.push(address);
    return list;
  }

  /** The RSPrimary servers as they now stand (normally at most one). */
  primaries(): ServerDescription[] {
    const list: ServerDescription[] = [];
    for (const description of this.#written.values())
      if (description.type === ServerType.RSPrimary) list.push(description);
    const basePrimary = primaryAddressOf(this.#base);
    if (basePrimary !== null && !this.#removed.has(basePrimary) && !this.#written.has(basePrimary)) {
      const description = this.#base.servers.get(basePrimary);
      if (description !== undefined) list.push(description);
    }
    return list;
  }

  hasPrimary(): boolean {
    for (const description of this.#written.values())
      if (description.type === ServerType.RSPrimary) return true;
    // The base's primary, found once per snapshot (snapshots never change, so the answer holds).
    const basePrimary = primaryAddressOf(this.#base);
    return basePrimary !== null && !this.#removed.has(basePrimary) && !this.#written.has(basePrimary);
  }

  /** checkIfHasPrimary: the replica-set type that matches whether a primary is known. */
  checkIfHasPrimary(): void {
    this.type = this.hasPrimary() ? TopologyType.ReplicaSetWithPrimary : TopologyType.ReplicaSetNoPrimary;
  }

  /**
   * The base snapshot when nothing counted changed, else a new snapshot (version + 1): a frozen
   * shallow copy of the base, sharing every server description that was not rewritten.
   */
  commit(rttToleranceMS: number = DEFAULT_RTT_TOLERANCE_MS): TopologyDescription {
    const base = this.#base;
    let serversChanged = this.#removed.size > 0;
    if (!serversChanged) {
      for (const [address, description] of this.#written) {
        const before = base.servers.get(address);
        if (before === undefined || !countsAsUnchanged(before, description, rttToleranceMS)) {
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
    // One shallow copy of the map either way (a Map cannot share structure). The snapshot is
    // built directly rather than through an immer draft (a snapshot per RTT move makes this a
    // per-heartbeat path). Only what is new gets frozen: the rewritten descriptions (deeply) and
    // the new map and snapshot (shallowly; immer's freeze makes the map refuse set/delete). The
    // descriptions shared with the base are frozen already, so the cost does not grow with the
    // number of members beyond the map copy.
    let servers = base.servers;
    if (this.#removed.size > 0 || this.#written.size > 0) {
      const map = new Map(base.servers);
      for (const address of this.#removed) map.delete(address);
      for (const [address, description] of this.#written) map.set(address, freeze(description, true));
      servers = freeze(map);
    }
    const next: TopologyDescription = {
      ...base,
      type: this.type,
      setName: this.setName,
      maxSetVersion: this.maxSetVersion,
      maxElectionId: this.maxElectionId,
      seedCount: this.seedCount,
      servers,
      ...(derived === null ? {} : derived),
      version: base.version + 1,
    };
    return Object.freeze(next);
  }

  /** Whether a server was added or removed, or changed type, wire versions or session timeout. */
  #derivedInputsChanged(): boolean {
    if (this.#removed.size > 0) return true;
    for (const [address, description] of this.#written) {
      const before = this.#base.servers.get(address);
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

const primaryAddresses = new WeakMap<TopologyDescription, Address | null>();

/** The address of the snapshot's RSPrimary, or null; memoised per (immutable) snapshot. */
function primaryAddressOf(snapshot: TopologyDescription): Address | null {
  let address = primaryAddresses.get(snapshot);
  if (address === undefined) {
    address = null;
    for (const server of snapshot.servers.values()) {
      if (server.type === ServerType.RSPrimary) {
        address = server.address;
        break;
      }
    }
    primaryAddresses.set(snapshot, address);
  }
  return address;
}
