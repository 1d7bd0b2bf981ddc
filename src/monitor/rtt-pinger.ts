/**
 * While a monitor streams, the awaitable hello cannot measure round-trip time (the server holds
 * it), so this pinger sends a plain `hello` every heartbeatFrequencyMS on its own connection and
 * feeds the samples to the monitor. It publishes no events and never changes the topology: its
 * failures only drop its connection (the streaming check will notice a dead server itself).
 */
import type { TimerHandle } from '../time/clock.js';
import type { Address } from '../description/types.js';
import { NetworkError } from '../errors.js';
import { Connection } from '../net/connection.js';
import { sharedDnsCache } from '../net/dns-cache.js';
import { helloCommand } from '../net/handshake.js';
import { HelloBytesTemplate } from '../description/hello-reply-bytes.js';
import type { MonitorSettings } from './server-monitor-types.js';

export class RttPinger {
  readonly address: Address;
  readonly #settings: MonitorSettings;
  readonly #onSample: (sampleMS: number) => void;
  readonly #onFailure: (error: Error) => void;
  #connection: Connection | null = null;
  #abort: AbortController | null = null;
  #timer: TimerHandle | null = null;
  #closed = false;
  #running = false;
  /** Pings sent (handshakes included); for tests and diagnostics. */
  pings = 0;
  #sampleWaiters: ((sampleMS: number) => void)[] = [];

  /**
   * @param onSample receives each round trip in ms (the handshake's for a new connection).
   * @param onFailure hears of failed pings (diagnostics only: they change nothing).
   */
  constructor(
    address: Address,
    settings: MonitorSettings,
    onSample: (sampleMS: number) => void,
    onFailure: (error: Error) => void = () => undefined,
  ) {
    this.address = address;
    this.#settings = settings;
    this.#onSample = onSample;
    this.#onFailure = onFailure;
  }

  /** Pings at once, then every heartbeatFrequencyMS. Idempotent. */
  start(): void {
    if (this.#closed || this.#running) return;
    this.#running = true;
    void this.#ping();
  }

  /** Drops the connection and the timer. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sampleWaiters = [];
    this.#timer?.cancel();
    this.#timer = null;
    this.#abort?.abort(new NetworkError(`RTT pinger for ${this.address} closed`));
    this.#connection?.destroy();
    this.#connection = null;
  }

  /** The hello of the current connection, encoded once, and the last reply read in full. */
  #hello: { connection: Connection; frame: Buffer; template: HelloBytesTemplate | null } | null = null;

  async #ping(): Promise<void> {
    this.pings += 1;
    let sample: number;
    try {
      sample = await this.#measure();
    } catch (error) {
      // An RTT failure must not mark the server Unknown (no pool generation to check it against);
      // drop the connection and make a new one next time.
      this.#abort = null;
      this.#connection?.destroy();
      this.#connection = null;
      if (this.#closed) return;
      this.#scheduleNext();
      this.#onFailure(error instanceof Error ? error : new NetworkError(String(error)));
      return;
    }
    if (this.#closed) return;
    this.#scheduleNext();
    this.#onSample(sample);
    for (const resolve of this.#sampleWaiters.splice(0)) resolve(sample);
  }

  /** Resolves with the next sample taken (diagnostics and tests); never settles once closed. */
  nextSample(): Promise<number> {
    return new Promise((resolve) => this.#sampleWaiters.push(resolve));
  }

  /** One round trip: the handshake of a new connection, or a plain hello on the open one. */
  async #measure(): Promise<number> {
    const settings = this.#settings;
    const { clock } = settings;
    const existing = this.#connection;
    if (existing !== null && !existing.destroyed) {
      let cached = this.#hello;
      if (cached === null || cached.connection !== existing) {
        const command = helloCommand({ helloOk: existing.helloOk, serverApi: settings.serverApi });
        cached = { connection: existing, frame: existing.encodeCommand('admin', command), template: null };
        this.#hello = cached;
      }
      const started = clock.now();
      const reply = await existing.commandBytes(cached.frame, 'hello', {
        timeoutMS: settings.connectTimeoutMS,
      });
      const sample = clock.now() - started;
      // Only the time counts, and an error reply fails the ping: a reply matching the last one read
      // in full (outside its volatile fields) is that same successful reply, and is not decoded.
      const body = reply.kind === 'msgBytes' ? reply.body : null;
      if (body === null || cached.template?.match(body) == null) {
        existing.documentOf(reply);
        if (body !== null) cached.template = HelloBytesTemplate.of(Buffer.from(body));
      }
      return sample;
    }
    this.#abort = new AbortController();
    const connection = await Connection.connect(this.address, {
      address: this.address,
      connectTimeoutMS: settings.connectTimeoutMS,
      tls: settings.tls,
      clock,
      lookup: settings.lookup,
      dnsCache: settings.dnsCache ?? sharedDnsCache,
      signal: this.#abort.signal,
      handshake: {
        appName: settings.appName,
        serverApi: settings.serverApi,
        loadBalanced: settings.loadBalanced,
        metadata: settings.clientMetadata,
      },
    });
    this.#abort = null;
    connection.takeHandshakeReply(); // only the time counts: let the connection drop the reply
    if (this.#closed) connection.destroy();
    else this.#connection = connection;
    return connection.timings?.handshakeMS ?? 0;
  }

  #scheduleNext(): void {
    this.#timer = this.#settings.clock.setTimeout(() => {
      this.#timer = null;
      if (!this.#closed) void this.#ping();
    }, this.#settings.heartbeatFrequencyMS);
  }
}
