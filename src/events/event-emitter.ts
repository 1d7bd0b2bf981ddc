/**
 * Emission of the topology events, guarded: a listener that throws neither breaks the monitor that
 * caused the event nor stops the other listeners. Its error is reported through the
 * `listenerError` event, or, when nobody listens to that, once per topology through
 * `process.emitWarning`.
 */
import { EventEmitter } from 'eventemitter3';
import type { TopologyEventRecord, TopologyEvents } from './events.js';

type EventName<Events extends object> = EventEmitter.EventNames<Events>;
type Listener<Events extends object, K extends EventName<Events>> = EventEmitter.EventListener<Events, K>;
type AnyListener = (...args: never[]) => void;

/** The guard remembers the listener it wraps, so that `off` and `listeners` speak of the user's function. */
const ORIGINAL: unique symbol = Symbol('waspnest.originalListener');
interface GuardedListener {
  (...args: unknown[]): void;
  [ORIGINAL]: AnyListener;
}

/**
 * An eventemitter3 emitter whose listeners cannot hurt the emitter: each listener is wrapped at
 * registration in a guard that catches what it throws and hands it to `listenerThrew`.
 * (eventemitter3 stops at the first throwing listener; wrapping at registration, rather than
 * re-implementing `emit`, keeps its fast path and its `once` bookkeeping.)
 */
export abstract class GuardedEventEmitter<Events extends object> extends EventEmitter<Events> {
  /** Called with what a listener of `event` threw. Must not throw. */
  protected abstract listenerThrew(event: string, error: unknown): void;

  /**
   * A guard per registration, found again by `off(fn)` among the registered listeners by the
   * function it wraps (no table of guards per event: two WeakMaps and a Map cost about 450 B per
   * emitter with two events listened to, measured; removing a listener is rare).
   */
  static #guard<E extends object>(
    owner: GuardedEventEmitter<E>,
    event: PropertyKey,
    fn: AnyListener,
  ): GuardedListener {
    const call = fn as unknown as (this: unknown, ...args: unknown[]) => void;
    const guarded = function (this: unknown, ...args: unknown[]): void {
      try {
        call.apply(this, args);
      } catch (error) {
        owner.listenerThrew(String(event), error);
      }
    };
    return Object.assign(guarded, { [ORIGINAL]: fn });
  }

  /** The registered guards of `fn` for `event` (one per registration, distinct). */
  #guardsOf(event: EventName<Events>, fn: AnyListener): AnyListener[] {
    const guards: AnyListener[] = [];
    for (const registered of super.listeners(event) as unknown as AnyListener[]) {
      if ((registered as Partial<GuardedListener>)[ORIGINAL] === fn && !guards.includes(registered)) {
        guards.push(registered);
      }
    }
    return guards;
  }

  /** `#guard`, typed as the listener it wraps. */
  #guarded<K extends EventName<Events>>(event: K, fn: Listener<Events, K>): Listener<Events, K> {
    return GuardedEventEmitter.#guard(this, event, fn as unknown as AnyListener) as unknown as Listener<
      Events,
      K
    >;
  }

  override on<K extends EventName<Events>>(event: K, fn: Listener<Events, K>, context?: unknown): this {
    return super.on(event, this.#guarded(event, fn), context);
  }

  override addListener<K extends EventName<Events>>(
    event: K,
    fn: Listener<Events, K>,
    context?: unknown,
  ): this {
    return this.on(event, fn, context);
  }

  override once<K extends EventName<Events>>(event: K, fn: Listener<Events, K>, context?: unknown): this {
    return super.once(event, this.#guarded(event, fn), context);
  }

  override removeListener<K extends EventName<Events>>(
    event: K,
    fn?: Listener<Events, K>,
    context?: unknown,
    once?: boolean,
  ): this {
    const listener = fn as unknown as AnyListener | undefined;
    // No function: all of the event's listeners; a guard (eventemitter3 removes a `once` listener
    // by its registered function): itself; the user's function: every guard made for it.
    if (listener === undefined || ORIGINAL in listener) return super.removeListener(event, fn, context, once);
    for (const guard of this.#guardsOf(event, listener)) {
      super.removeListener(event, guard as unknown as Listener<Events, K>, context, once);
    }
    return this;
  }

  override off<K extends EventName<Events>>(
    event: K,
    fn?: Listener<Events, K>,
    context?: unknown,
    once?: boolean,
  ): this {
    return this.removeListener(event, fn, context, once);
  }

  override listeners<K extends EventName<Events>>(event: K): Array<Listener<Events, K>> {
    return super
      .listeners(event)
      .map(
        (guard) => ((guard as unknown as Partial<GuardedListener>)[ORIGINAL] ?? guard) as Listener<Events, K>,
      );
  }
}

/**
 * The emitter of the topology events (our Topology, the MongoClient adapter): a listener's error
 * goes to the `listenerError` listeners, or, with nobody listening there, to one process warning.
 * (A throwing `listenerError` listener is swallowed: there is nobody left to tell.)
 */
export abstract class TopologyEventEmitter extends GuardedEventEmitter<TopologyEvents> {
  abstract readonly topologyId: number;
  #warnedAboutListener = false;

  /** Emits an event made as a record (its name and payload were matched when it was made). */
  protected emitRecord(event: TopologyEventRecord): void {
    (this.emit as (name: string, payload: unknown) => boolean)(event.name, event.payload);
  }

  /** The process warning for a listener of `event` that threw an error with `message`. */
  protected abstract listenerWarning(event: string, message: string): string;

  protected override listenerThrew(event: string, error: unknown): void {
    if (event !== 'listenerError' && this.listenerCount('listenerError') > 0) {
      this.emit('listenerError', { topologyId: this.topologyId, event, error });
      return;
    }
    if (this.#warnedAboutListener) return;
    this.#warnedAboutListener = true;
    const message = error instanceof Error ? error.message : String(error);
    process.emitWarning(this.listenerWarning(event, message), { code: 'WASPNEST_LISTENER_ERROR' });
  }
}
