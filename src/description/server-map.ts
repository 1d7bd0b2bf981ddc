/**
 * The servers of a snapshot: a read-only map from address to description that shares its
 * address index with the snapshot it was made from.
 *
 * Why not a frozen `Map`: a new snapshot per changed server would copy and re-hash every entry,
 * and freezing a `Map` so that `set`/`delete` refuse costs more again; both grow with the number
 * of members. Here the addresses (their order and their index) are stored once and shared by
 * every later map with the same members, so replacing one server's description copies an array
 * of pointers, nothing more. Adding or removing a member, which is rare, builds a new index.
 *
 * There are no mutating methods at all, and the instance is frozen.
 */
import { ServerType } from './server-type.js';
import type { Address, ServerDescription } from './types.js';

/** What Node's util.inspect passes to a custom inspector (only what is used here). */
interface InspectOptions {
  readonly depth?: number | null;
  stylize(text: string, style: string): string;
}
type Inspect = (value: unknown, options: InspectOptions) => string;

/** The key util.inspect (and so console.log) looks for; a registered symbol, so no import of node:util. */
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/**
 * The part shared by maps with the same members: addresses in order, and their positions (null
 * for a few members, found by scanning the addresses instead: a Map is 184 B of heap per
 * membership, and a scan of a handful of addresses costs a few nanoseconds more per lookup).
 */
interface AddressIndex {
  readonly addresses: readonly Address[];
  readonly positions: ReadonlyMap<Address, number> | null;
}

/** Up to this many members, positions are found by scanning the addresses. */
const SCANNED_UP_TO = 8;

function positionOf(index: AddressIndex, address: Address): number | undefined {
  if (index.positions !== null) return index.positions.get(address);
  const addresses = index.addresses;
  for (let i = 0; i < addresses.length; i++) if (addresses[i] === address) return i;
  return undefined;
}

export class ServerMap implements ReadonlyMap<Address, ServerDescription> {
  readonly #index: AddressIndex;
  readonly #descriptions: readonly ServerDescription[];
  /** The RSPrimary's address once looked for; the map never changes, so the answer holds. */
  #primary: Address | null | undefined;

  private constructor(
    index: AddressIndex,
    descriptions: readonly ServerDescription[],
    primary?: Address | null,
  ) {
    this.#index = index;
    this.#descriptions = descriptions;
    this.#primary = primary;
    Object.freeze(this);
  }

  /** A map of the given descriptions, keyed by their addresses; a later duplicate replaces an earlier one. */
  static of(descriptions: Iterable<ServerDescription>): ServerMap {
    const addresses: Address[] = [];
    const positions = new Map<Address, number>();
    const values: ServerDescription[] = [];
    for (const description of descriptions) {
      const position = positions.get(description.address);
      if (position !== undefined) {
        values[position] = description;
        continue;
      }
      positions.set(description.address, addresses.length);
      addresses.push(description.address);
      values.push(description);
    }
    // Copies of exactly their length: arrays grown by push keep spare slots (17 for 3 servers), and
    // the index lives as long as the membership, the values as long as the snapshot.
    return new ServerMap(
      { addresses: addresses.slice(), positions: addresses.length > SCANNED_UP_TO ? positions : null },
      values.slice(),
    );
  }

  /** The map itself if it is a ServerMap, else one with the same entries (snapshots built elsewhere). */
  static from(map: ReadonlyMap<Address, ServerDescription>): ServerMap {
    return map instanceof ServerMap ? map : ServerMap.of(map.values());
  }

  /**
   * A map with `replaced` descriptions in place of (or added after) the current ones and the
   * `removed` addresses gone. With no member added or removed, the address index is shared.
   */
  with(
    replaced: ReadonlyMap<Address, ServerDescription>,
    removed: ReadonlySet<Address> = new Set(),
  ): ServerMap {
    const index = this.#index;
    let sameMembers = removed.size === 0;
    if (sameMembers) {
      for (const address of replaced.keys()) {
        if (positionOf(index, address) === undefined) {
          sameMembers = false;
          break;
        }
      }
    }
    if (!sameMembers) {
      const kept: ServerDescription[] = [];
      for (const [address, description] of this) {
        if (!removed.has(address)) kept.push(replaced.get(address) ?? description);
      }
      for (const [address, description] of replaced) {
        if (positionOf(index, address) === undefined && !removed.has(address)) kept.push(description);
      }
      return ServerMap.of(kept);
    }
    const descriptions = this.#descriptions.slice();
    // The primary carries over when it is known and no written server is or was it.
    let primary = this.#primary;
    for (const [address, description] of replaced) {
      descriptions[positionOf(index, address) as number] = description;
      if (description.type === ServerType.RSPrimary || address === primary) primary = undefined;
    }
    return new ServerMap(this.#index, descriptions, primary);
  }

  /** The address of the RSPrimary in this map, or null (the first, should there be several). */
  primaryAddress(): Address | null {
    if (this.#primary === undefined) {
      this.#primary = null;
      for (const description of this.#descriptions) {
        if (description.type === ServerType.RSPrimary) {
          this.#primary = description.address;
          break;
        }
      }
    }
    return this.#primary;
  }

  get size(): number {
    return this.#descriptions.length;
  }

  get(address: Address): ServerDescription | undefined {
    const position = positionOf(this.#index, address);
    return position === undefined ? undefined : this.#descriptions[position];
  }

  has(address: Address): boolean {
    return positionOf(this.#index, address) !== undefined;
  }

  keys(): MapIterator<Address> {
    return this.#index.addresses.values();
  }

  values(): MapIterator<ServerDescription> {
    return this.#descriptions.values();
  }

  entries(): MapIterator<[Address, ServerDescription]> {
    return this.#pairs().values();
  }

  [Symbol.iterator](): MapIterator<[Address, ServerDescription]> {
    return this.entries();
  }

  forEach(
    callback: (
      description: ServerDescription,
      address: Address,
      map: ReadonlyMap<Address, ServerDescription>,
    ) => void,
    thisArg?: unknown,
  ): void {
    const addresses = this.#index.addresses;
    for (let i = 0; i < addresses.length; i++)
      callback.call(thisArg, this.#descriptions[i] as ServerDescription, addresses[i] as Address, this);
  }

  /** JSON has no maps: an object keyed by address, in the map's order. */
  toJSON(): Record<Address, ServerDescription> {
    return Object.fromEntries(this.#pairs());
  }

  get [Symbol.toStringTag](): string {
    return 'ServerMap';
  }

  /**
   * How console.log and util.inspect show the map: as a Map of its entries, `ServerMap(3) {
   * '127.0.0.1:27017' => { address: …, type: 'RSPrimary', … }, … }`. Without it they would show
   * `ServerMap {}`, since the entries live in private fields. (structuredClone copies no private
   * field either, so it gives `{}`; JSON.stringify uses toJSON.)
   */
  [inspectCustom](depth: number, options: InspectOptions, inspect: Inspect): string {
    if (depth < 0) return options.stylize('[ServerMap]', 'special');
    const inner = inspect(new Map(this.#pairs()), {
      ...options,
      depth: options.depth === null || options.depth === undefined ? options.depth : options.depth - 1,
    });
    // `Map(3) {…}` for an ordinary Map: the same text under this class's name.
    return inner.replace(/^Map(?=\(\d+\))/, 'ServerMap');
  }

  #pairs(): [Address, ServerDescription][] {
    const addresses = this.#index.addresses;
    return addresses.map((address, i) => [address, this.#descriptions[i] as ServerDescription]);
  }
}
