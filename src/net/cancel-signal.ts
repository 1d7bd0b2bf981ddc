/**
 * What cancels a connection attempt (DNS, TCP, TLS, handshake): the part of AbortSignal the
 * connection code uses, so that an AbortSignal fits, and {@link Cancellation}, a lighter one.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A cancellation for one check's connection attempt. An AbortController with its signal and
 * event-target state costs about 1 KB; a monitor makes one per new connection, and 1,000
 * monitors connecting at once make them all in the same moment (docs/benchmarks.md, "Where the
 * polling memory goes"). Listeners are called once, in the order added.
 */
export class Cancellation implements CancelSignal {
  #reason: unknown = undefined;
  #aborted = false;
  #listeners: (() => void)[] | null = null;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** Cancels with `reason` (the first call only) and calls the listeners. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = null;
    if (listeners !== null) for (const listener of listeners) listener();
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.#aborted) return; // as an AbortSignal: an aborted signal fires no more events
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.#listeners;
    if (listeners === null) return;
    const index = listeners.indexOf(listener);
    if (index >= 0) listeners.splice(index, 1);
  }
}
