/**
 * Listens to a topology's events (our Topology, or a MongoClient through watchMongoClient) and
 * keeps what the live view shows beyond the snapshot: when each server was last heard from, the
 * failovers with their detection times, and a short log of notable events.
 */
import type { Address, TopologyDescription } from '../description/types.js';
import type {
  PrimaryChangedEvent,
  ServerHeartbeatFailedEvent,
  ServerHeartbeatStartedEvent,
  ServerHeartbeatSucceededEvent,
} from '../events/events.js';
import type { FailoverRow, LiveView, LogLine, MemberExtras, CallStats } from './live-view.js';
import { memberRows, primaryAddress } from './live-view.js';
import { listen, type AnyEventSource } from './event-source.js';

/** The part of a Topology (or of the MongoClient adapter) the tracker needs. */
export interface TopologyEventSource extends AnyEventSource {
  readonly snapshot: TopologyDescription;
}

export interface TrackerOptions {
  /** The clock the elapsed times are read from (ms). */
  readonly now: () => number;
  /**
   * The election (by the simulator) that made `address` primary, for a primary our topology
   * announced at `seenAt` (same clock), if known: its moment and its cause ('stepDown', 'kill',
   * ...). Asked each time the view is built, so an election learnt after the announcement counts.
   */
  readonly electionOf?: (
    address: Address,
    seenAt: number,
  ) => { readonly at: number; readonly cause: string } | undefined;
  /** Called after every change worth redrawing or printing; `line` is set for notable events. */
  readonly onChange?: (line: LogLine | null) => void;
  /** How many log lines to keep. */
  readonly maxLog?: number;
}

export interface FrameExtras {
  readonly title: string;
  readonly target: string;
  readonly footer: string;
  readonly calls?: CallStats | null;
  /** Simulator-only facts per server: checks received, faults injected. */
  readonly member?: (address: Address) => Pick<MemberExtras, 'checks' | 'fault'> | undefined;
}

/** A failover as seen, before its detection time is known. */
interface SeenFailover {
  readonly seenAt: number;
  readonly previous: Address | null;
  readonly current: Address;
  readonly withoutPrimaryMS: number | null;
}

export class TopologyTracker {
  readonly startedAt: number;
  readonly #seen: SeenFailover[] = [];
  readonly log: LogLine[] = [];
  /** Every primary our topology announced, in order, with when (tracker clock). */
  readonly primaries: { readonly address: Address; readonly at: number }[] = [];
  readonly #heartbeatAt = new Map<Address, number>();
  /** Servers holding an awaitable hello: they answer the moment anything changes. */
  readonly #streaming = new Set<Address>();
  readonly #lastFailure = new Map<Address, string>();
  #everHadPrimary = false;
  readonly #detach: () => void;

  readonly #source: TopologyEventSource;
  readonly #options: TrackerOptions;

  constructor(source: TopologyEventSource, options: TrackerOptions) {
    this.#source = source;
    this.#options = options;
    this.startedAt = options.now();
    const onSucceeded = (e: ServerHeartbeatSucceededEvent) => {
      this.#heartbeatAt.set(e.address, this.#options.now());
      if (this.#lastFailure.delete(e.address)) this.note(`${e.address} answers again`);
      else this.#changed(null);
    };
    const onStarted = (e: ServerHeartbeatStartedEvent) => {
      if (e.awaited) this.#streaming.add(e.address);
      else this.#streaming.delete(e.address);
    };
    const onFailed = (e: ServerHeartbeatFailedEvent) => {
      this.#streaming.delete(e.address);
      this.#heartbeatAt.set(e.address, this.#options.now());
      const message = `${e.failure.name}: ${e.failure.message}`;
      // One line per new kind of failure, not one per retry.
      if (this.#lastFailure.get(e.address) !== message) {
        this.#lastFailure.set(e.address, message);
        this.note(`${e.address} check failed (${e.phase}): ${message}`);
      } else this.#changed(null);
    };
    const detachers = [
      listen(source, 'serverHeartbeatStarted', onStarted),
      listen(source, 'serverHeartbeatSucceeded', onSucceeded),
      listen(source, 'serverHeartbeatFailed', onFailed),
      listen(source, 'primaryChanged', (e) => this.#primaryChanged(e)),
      listen(source, 'serverOpening', (e) => this.note(`${e.address} joined the topology`)),
      listen(source, 'serverClosed', (e) => this.note(`${e.address} left the topology`)),
      listen(source, 'topologyDescriptionChanged', () => this.#changed(null)),
    ];
    this.#detach = () => {
      for (const detach of detachers) detach();
    };
    const primary = primaryAddress(source.snapshot);
    if (primary !== null) {
      this.#everHadPrimary = true;
      this.primaries.push({ address: primary, at: this.startedAt });
    }
  }

  /** ms since the tracker started. */
  elapsed(): number {
    return this.#options.now() - this.startedAt;
  }

  /** Adds a line to the log (also used by the demo for its schedule). */
  note(text: string): void {
    const line = { atMS: this.elapsed(), text };
    this.log.push(line);
    const max = this.#options.maxLog ?? 50;
    if (this.log.length > max) this.log.splice(0, this.log.length - max);
    this.#changed(line);
  }

  #changed(line: LogLine | null): void {
    this.#options.onChange?.(line);
  }

  #primaryChanged(e: PrimaryChangedEvent): void {
    const now = this.#options.now();
    if (e.current === null) {
      this.note(`primary ${e.previous ?? '?'} lost: no primary known`);
      return;
    }
    this.primaries.push({ address: e.current, at: now });
    if (!this.#everHadPrimary) {
      this.#everHadPrimary = true;
      this.note(`primary ${e.current} found`);
      return;
    }
    // A failover: a primary was known before and a different one is known now. The previous
    // primary may already have been lost in an earlier event; name the last one we knew.
    const previous = e.previous ?? this.primaries.at(-2)?.address ?? null;
    if (previous === e.current) {
      this.note(`primary ${e.current} is back`);
      return;
    }
    this.#seen.push({
      seenAt: now,
      previous,
      current: e.current,
      withoutPrimaryMS: e.durationMS,
    });
    this.note(`new primary ${e.current} (failover #${this.#seen.length})`);
  }

  /** Every failover so far, with its detection time when the election moment is known. */
  get failovers(): FailoverRow[] {
    return this.#seen.map((f, i) => {
      const election = this.#options.electionOf?.(f.current, f.seenAt);
      return {
        number: i + 1,
        atMS: f.seenAt - this.startedAt,
        cause: election?.cause ?? 'observed',
        previous: f.previous,
        current: f.current,
        detectionMS: election === undefined ? null : Math.max(0, f.seenAt - election.at),
        withoutPrimaryMS: f.withoutPrimaryMS,
      };
    });
  }

  /** The live view as of now. */
  view(extras: FrameExtras): LiveView {
    const now = this.#options.now();
    const snapshot = this.#source.snapshot;
    return {
      title: extras.title,
      target: extras.target,
      elapsedMS: now - this.startedAt,
      topologyType: snapshot.type,
      setName: snapshot.setName,
      primary: primaryAddress(snapshot),
      snapshotVersion: snapshot.version,
      members: memberRows(snapshot, now, (address) => ({
        lastHeartbeatAt: this.#heartbeatAt.get(address),
        streaming: this.#streaming.has(address),
        ...extras.member?.(address),
      })),
      failovers: this.failovers,
      calls: extras.calls ?? null,
      log: this.log,
      footer: extras.footer,
    };
  }

  /** Stops listening. */
  close(): void {
    this.#detach();
  }
}
