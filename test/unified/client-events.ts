/**
 * Every event a client entity publishes (command monitoring, CMAP, SDAM), recorded in order under
 * its unified-format name, with waiters for waitForEvent and the checked-out connection count.
 */
import { deserialize, serialize, type Document } from 'bson';
import type { MongoClient } from 'mongodb';

export type EventCategory = 'command' | 'cmap' | 'sdam';

/** Unified-format event name -> the driver's event name and category. */
export const EVENT_KINDS: Readonly<
  Record<string, { readonly driver: string; readonly category: EventCategory }>
> = {
  commandStartedEvent: { driver: 'commandStarted', category: 'command' },
  commandSucceededEvent: { driver: 'commandSucceeded', category: 'command' },
  commandFailedEvent: { driver: 'commandFailed', category: 'command' },
  poolCreatedEvent: { driver: 'connectionPoolCreated', category: 'cmap' },
  poolReadyEvent: { driver: 'connectionPoolReady', category: 'cmap' },
  poolClearedEvent: { driver: 'connectionPoolCleared', category: 'cmap' },
  poolClosedEvent: { driver: 'connectionPoolClosed', category: 'cmap' },
  connectionCreatedEvent: { driver: 'connectionCreated', category: 'cmap' },
  connectionReadyEvent: { driver: 'connectionReady', category: 'cmap' },
  connectionClosedEvent: { driver: 'connectionClosed', category: 'cmap' },
  connectionCheckOutStartedEvent: { driver: 'connectionCheckOutStarted', category: 'cmap' },
  connectionCheckOutFailedEvent: { driver: 'connectionCheckOutFailed', category: 'cmap' },
  connectionCheckedOutEvent: { driver: 'connectionCheckedOut', category: 'cmap' },
  connectionCheckedInEvent: { driver: 'connectionCheckedIn', category: 'cmap' },
  serverDescriptionChangedEvent: { driver: 'serverDescriptionChanged', category: 'sdam' },
  serverHeartbeatStartedEvent: { driver: 'serverHeartbeatStarted', category: 'sdam' },
  serverHeartbeatSucceededEvent: { driver: 'serverHeartbeatSucceeded', category: 'sdam' },
  serverHeartbeatFailedEvent: { driver: 'serverHeartbeatFailed', category: 'sdam' },
  topologyDescriptionChangedEvent: { driver: 'topologyDescriptionChanged', category: 'sdam' },
  topologyOpeningEvent: { driver: 'topologyOpening', category: 'sdam' },
  topologyClosedEvent: { driver: 'topologyClosed', category: 'sdam' },
};

/** Commands whose events are hidden unless the client says observeSensitiveCommands. */
const SENSITIVE_COMMANDS = new Set([
  'authenticate',
  'saslstart',
  'saslcontinue',
  'getnonce',
  'createuser',
  'updateuser',
  'copydbgetnonce',
  'copydbsaslstart',
  'copydb',
]);

export interface RecordedEvent {
  /** The unified-format name, e.g. `commandStartedEvent`. */
  readonly name: string;
  readonly category: EventCategory;
  /** The driver's event object. */
  readonly event: Record<string, unknown>;
}

export interface ObserveOptions {
  /** `observeEvents`; null = none were asked for. */
  readonly observe: ReadonlySet<string> | null;
  readonly ignoreCommands: ReadonlySet<string>;
  readonly observeSensitiveCommands: boolean;
}

type Listener = (event: RecordedEvent) => void;

export class ClientEvents {
  readonly all: RecordedEvent[] = [];
  #listeners = new Set<Listener>();
  #checkedOut = 0;
  /** Recording for the test stops once its operations ran (the format disables listeners then). */
  recording = true;

  constructor(
    client: MongoClient,
    readonly options: ObserveOptions,
  ) {
    for (const [name, { driver, category }] of Object.entries(EVENT_KINDS)) {
      client.on(driver as 'commandStarted', (event: unknown) => {
        if (name === 'connectionCheckedOutEvent') this.#checkedOut += 1;
        if (name === 'connectionCheckedInEvent') this.#checkedOut -= 1;
        if (!this.recording) return;
        const recorded = { name, category, event: snapshot(event as Record<string, unknown>) };
        this.all.push(recorded);
        for (const listener of this.#listeners) listener(recorded);
      });
    }
  }

  /** Connections checked out and not yet checked in. */
  get checkedOut(): number {
    return this.#checkedOut;
  }

  /** The events `expectEvents` sees for a category: observed kinds only, minus the ignored commands. */
  observed(category: EventCategory): RecordedEvent[] {
    return this.all.filter((e) => e.category === category && this.isObserved(e));
  }

  isObserved(e: RecordedEvent): boolean {
    if (!this.options.observe?.has(e.name)) return false;
    if (e.category !== 'command') return true;
    const commandName = String(e.event['commandName'] ?? '');
    if (commandName === 'configureFailPoint' || this.options.ignoreCommands.has(commandName)) return false;
    return this.options.observeSensitiveCommands || !isSensitive(e);
  }

  /** Calls `listener` for every event from now on, until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** A sensitive command, or a hello the driver redacted (it carried speculativeAuthenticate). */
function isSensitive(e: RecordedEvent): boolean {
  const name = String(e.event['commandName'] ?? '').toLowerCase();
  if (SENSITIVE_COMMANDS.has(name)) return true;
  if (name === 'hello' || name === 'ismaster') {
    const body = (e.event['command'] ?? e.event['reply']) as Record<string, unknown> | undefined;
    return body !== undefined && Object.keys(body).length === 0;
  }
  return false;
}

/**
 * The event with its command and reply copied as they were when it was published: the driver
 * may later change objects a command shares with its options (a transaction's read concern gets
 * `afterClusterTime` in place), which would rewrite what was sent after the fact.
 */
function snapshot(event: Record<string, unknown>): Record<string, unknown> {
  const copy = (value: unknown) =>
    deserialize(serialize(value as Document, { ignoreUndefined: true }), { promoteValues: false });
  const out = Object.create(Object.getPrototypeOf(event) as object) as Record<string, unknown>;
  Object.assign(out, event);
  if (event['command'] && typeof event['command'] === 'object') out['command'] = copy(event['command']);
  if (event['reply'] && typeof event['reply'] === 'object') out['reply'] = copy(event['reply']);
  return out;
}
