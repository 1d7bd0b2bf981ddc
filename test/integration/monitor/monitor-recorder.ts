/**
 * A ServerMonitorListener that records everything a monitor says, acts as the topology would
 * (its last description is the "current" one), and lets a test wait for events in order.
 */
import type { ServerDescription } from '../../../src/description/types.js';
import type {
  HeartbeatFailedInfo,
  HeartbeatStartedInfo,
  HeartbeatSucceededInfo,
  ServerMonitorListener,
} from '../../../src/monitor/server-monitor-types.js';

export type MonitorEvent =
  | { readonly type: 'started'; readonly info: HeartbeatStartedInfo }
  | { readonly type: 'succeeded'; readonly info: HeartbeatSucceededInfo }
  | { readonly type: 'failed'; readonly info: HeartbeatFailedInfo }
  | { readonly type: 'description'; readonly description: ServerDescription };

interface Waiter {
  readonly predicate: (event: MonitorEvent) => boolean;
  readonly resolve: (event: MonitorEvent) => void;
}

export class MonitorRecorder implements ServerMonitorListener {
  readonly events: MonitorEvent[] = [];
  current: ServerDescription | undefined;
  #cursor = 0;
  #waiters: Waiter[] = [];

  heartbeatStarted(info: HeartbeatStartedInfo): void {
    this.#record({ type: 'started', info });
  }
  heartbeatSucceeded(info: HeartbeatSucceededInfo): void {
    this.#record({ type: 'succeeded', info });
  }
  heartbeatFailed(info: HeartbeatFailedInfo): void {
    this.#record({ type: 'failed', info });
  }
  description(description: ServerDescription): void {
    this.current = description;
    this.#record({ type: 'description', description });
  }

  /** For MonitorSettings.currentDescription. */
  readonly currentDescription = (): ServerDescription | undefined => this.current;

  get descriptions(): ServerDescription[] {
    return this.events.flatMap((e) => (e.type === 'description' ? [e.description] : []));
  }

  count(type: MonitorEvent['type']): number {
    return this.events.filter((e) => e.type === type).length;
  }

  /**
   * The next event (after the previous one this method returned) that matches: events are
   * consumed in order, so successive calls check the order things happened in.
   */
  next(predicate: (event: MonitorEvent) => boolean = () => true): Promise<MonitorEvent> {
    for (let i = this.#cursor; i < this.events.length; i++) {
      const event = this.events[i] as MonitorEvent;
      if (predicate(event)) {
        this.#cursor = i + 1;
        return Promise.resolve(event);
      }
    }
    this.#cursor = this.events.length;
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }));
  }

  /** The next description event (see next). */
  async nextDescription(
    predicate: (d: ServerDescription) => boolean = () => true,
  ): Promise<ServerDescription> {
    const event = await this.next((e) => e.type === 'description' && predicate(e.description));
    return (event as Extract<MonitorEvent, { type: 'description' }>).description;
  }

  async nextFailure(): Promise<HeartbeatFailedInfo> {
    return ((await this.next((e) => e.type === 'failed')) as Extract<MonitorEvent, { type: 'failed' }>).info;
  }

  async nextSuccess(): Promise<HeartbeatSucceededInfo> {
    return ((await this.next((e) => e.type === 'succeeded')) as Extract<MonitorEvent, { type: 'succeeded' }>)
      .info;
  }

  #record(event: MonitorEvent): void {
    this.events.push(event);
    const index = this.#waiters.findIndex((w) => w.predicate(event));
    if (index >= 0) {
      const [waiter] = this.#waiters.splice(index, 1);
      this.#cursor = this.events.length;
      waiter?.resolve(event);
    }
  }
}
