/**
 * Many deadlines, one timer. Waiters (server selections, refresh waits) each have a deadline;
 * instead of a timer per waiter, the queue keeps them in a binary heap ordered by deadline and
 * arms a single clock timer for the earliest one. 10,000 waiters cost one timer, and each
 * insertion or removal costs O(log n).
 */
import type { Clock, TimerHandle } from './clock.js';
import { isProcessStall } from './deadline.js';

/** An entry of the queue. `heapIndex` is the queue's bookkeeping: -1 when not queued. */
export interface Deadline {
  readonly deadline: number;
  heapIndex: number;
}

export interface DeadlineQueueOptions<T extends Deadline> {
  readonly clock: Clock;
  /**
   * Called with every entry whose deadline passed, all at once (already removed from the queue).
   * `stalled` says the timer fired so late that the process itself must have been paused
   * (see isProcessStall): the deadlines passed while nothing could run.
   */
  readonly expire: (expired: T[], stalled: boolean) => void;
}

export class DeadlineQueue<T extends Deadline> {
  readonly #clock: Clock;
  readonly #expire: (expired: T[], stalled: boolean) => void;
  readonly #heap: T[] = [];
  #timer: TimerHandle | null = null;
  /** The deadline the armed timer is for. */
  #armedFor = Infinity;

  constructor(options: DeadlineQueueOptions<T>) {
    this.#clock = options.clock;
    this.#expire = options.expire;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Queues an entry; an infinite deadline is never queued (it cannot expire). */
  add(entry: T): void {
    if (entry.deadline === Infinity) return;
    entry.heapIndex = this.#heap.length;
    this.#heap.push(entry);
    this.#up(entry.heapIndex);
    this.#arm();
  }

  /** Removes an entry (settled early); harmless when it is not queued. */
  remove(entry: T): void {
    const index = entry.heapIndex;
    if (index < 0 || this.#heap[index] !== entry) return;
    const last = this.#heap.pop() as T;
    entry.heapIndex = -1;
    if (last !== entry) {
      this.#heap[index] = last;
      last.heapIndex = index;
      this.#down(index);
      this.#up(last.heapIndex);
    }
    if (this.#heap.length === 0) this.#disarm();
  }

  /** Empties the queue without expiring anything and cancels the timer; returns what was queued. */
  drain(): T[] {
    const entries = this.#heap.splice(0);
    for (const entry of entries) entry.heapIndex = -1;
    this.#disarm();
    return entries;
  }

  #arm(): void {
    const first = this.#heap[0];
    if (first === undefined) return this.#disarm();
    if (this.#timer !== null && this.#armedFor <= first.deadline) return;
    this.#disarm();
    const armedAt = this.#clock.now();
    const delay = Math.max(0, first.deadline - armedAt);
    this.#armedFor = first.deadline;
    this.#timer = this.#clock.setTimeout(() => this.#fire(armedAt, delay), delay);
  }

  #disarm(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#armedFor = Infinity;
  }

  #fire(armedAt: number, delay: number): void {
    this.#timer = null;
    this.#armedFor = Infinity;
    const now = this.#clock.now();
    const expired: T[] = [];
    for (let first = this.#heap[0]; first !== undefined && first.deadline <= now; first = this.#heap[0]) {
      this.remove(first);
      expired.push(first);
    }
    this.#arm();
    if (expired.length > 0) this.#expire(expired, isProcessStall(delay, now - armedAt));
  }

  #up(index: number): void {
    const heap = this.#heap;
    const entry = heap[index] as T;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as T;
      if (parent.deadline <= entry.deadline) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const entry = heap[index] as T;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && (heap[right] as T).deadline < (heap[left] as T).deadline) child = right;
      const smaller = heap[child] as T;
      if (smaller.deadline >= entry.deadline) break;
      heap[index] = smaller;
      smaller.heapIndex = index;
      index = child;
    }
    heap[index] = entry;
    entry.heapIndex = index;
  }
}
