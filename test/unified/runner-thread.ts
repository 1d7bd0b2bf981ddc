/**
 * A test-runner "thread": an async lane that runs the operations given to it by runOnThread one
 * after another, and remembers the first failure for waitForThread.
 */
export class RunnerThread {
  #tail: Promise<void> = Promise.resolve();
  #failure: Error | null = null;

  /** Queues `work` after everything queued before; returns at once. */
  run(work: () => Promise<void>): void {
    this.#tail = this.#tail.then(async () => {
      if (this.#failure) return;
      try {
        await work();
      } catch (err) {
        this.#failure = err as Error;
      }
    });
  }

  /** Resolves when the queue is empty; throws the first failure of any queued operation. */
  async join(): Promise<void> {
    await this.#tail;
    if (this.#failure) throw new Error(`thread operation failed: ${this.#failure.message}`);
  }
}
