/**
 * What the official driver is doing for the soak's load, kept so that an operation that never
 * ends can be explained: the commands started for each write key and not yet finished, the
 * connection check-outs still waiting, and (from the driver's internals, read only) the state of
 * the connections its operations hold.
 */
import type { MongoClient } from 'mongodb';

/** The `_id` the soak's update or find targets: each write key is a document of its own. */
function keyOf(command: Record<string, unknown>): string | undefined {
  const updates = command['updates'];
  const filter = Array.isArray(updates)
    ? (updates[0] as { q?: { _id?: unknown } } | undefined)?.q
    : (command['filter'] as { _id?: unknown } | undefined);
  return typeof filter?._id === 'string' ? filter._id : undefined;
}

/** The fields of a driver connection worth reading when an operation on it never ends. */
interface DriverConnectionState {
  readonly id?: number;
  readonly closed?: boolean;
  readonly error?: Error;
  readonly dataEvents?: unknown;
  readonly socket?: {
    readonly destroyed?: boolean;
    readonly writableNeedDrain?: boolean;
    readonly writableLength?: number;
    readonly readyState?: string;
  };
}

export class DriverWatch {
  readonly #client: MongoClient;
  readonly #since: () => string;
  /** Per write key, the commands started and not yet succeeded (a success forgets the key). */
  readonly #commands = new Map<string, string[]>();
  readonly #keysByRequest = new Map<number, string>();
  /** Check-outs still waiting per server: without waitQueueTimeoutMS they have no time limit. */
  readonly #checkOuts = new Map<string, number>();

  /** `client` must have been created with `monitorCommands: true`. */
  constructor(client: MongoClient, startedAt: number) {
    this.#client = client;
    this.#since = () => `${((Date.now() - startedAt) / 1000).toFixed(2)} s`;
    client.on('commandStarted', (e) => {
      const key = keyOf(e.command as Record<string, unknown>);
      if (key === undefined) return;
      this.#keysByRequest.set(e.requestId, key);
      this.#note(key, `started on ${e.address} conn ${String(e.connectionId)} req ${e.requestId}`);
    });
    client.on('commandSucceeded', (e) => {
      const key = this.#keysByRequest.get(e.requestId);
      if (key === undefined) return;
      this.#keysByRequest.delete(e.requestId);
      this.#commands.delete(key);
    });
    client.on('commandFailed', (e) => {
      const key = this.#keysByRequest.get(e.requestId);
      if (key === undefined) return;
      this.#keysByRequest.delete(e.requestId);
      this.#note(key, `failed req ${e.requestId}: ${e.failure.message}`);
    });
    const count = (address: string, delta: number): void => {
      this.#checkOuts.set(address, (this.#checkOuts.get(address) ?? 0) + delta);
    };
    client.on('connectionCheckOutStarted', (e) => count(e.address, 1));
    client.on('connectionCheckedOut', (e) => count(e.address, -1));
    client.on('connectionCheckOutFailed', (e) => count(e.address, -1));
  }

  #note(key: string, line: string): void {
    this.#commands.set(key, [...(this.#commands.get(key) ?? []), `${this.#since()} ${line}`]);
  }

  /** The commands the driver started for `key` that have not succeeded. */
  commandsFor(key: string): string {
    const lines = this.#commands.get(key) ?? [];
    return lines.length === 0 ? 'no command started' : lines.join(', ');
  }

  /** Servers with connection check-outs still waiting, and how many. */
  waitingCheckOuts(): string {
    const waiting = [...this.#checkOuts].filter(([, n]) => n !== 0).map(([a, n]) => `${a}: ${n}`);
    return waiting.join(', ') || 'none';
  }

  /** The driver's checked-out connections and the state of each (its internals, read only). */
  heldConnections(): string {
    const held: string[] = [];
    const servers = (this.#client as unknown as { topology?: { s?: { servers?: Map<string, unknown> } } })
      .topology?.s?.servers;
    for (const [address, server] of servers ?? []) {
      const pool = (server as { pool?: { checkedOut?: Set<DriverConnectionState> } }).pool;
      for (const c of pool?.checkedOut ?? []) {
        held.push(
          `${address} conn ${String(c.id)}: closed ${String(c.closed)}, error ${c.error?.message ?? 'none'}, ` +
            `reading ${String(c.dataEvents != null)}, socket destroyed ${String(c.socket?.destroyed)} ` +
            `state ${String(c.socket?.readyState)} needDrain ${String(c.socket?.writableNeedDrain)} ` +
            `buffered ${String(c.socket?.writableLength)}`,
        );
      }
    }
    return held.join('; ') || 'none';
  }
}
