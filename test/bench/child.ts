/**
 * Fresh Node processes for measurements that must not share a process with the runner: a clean
 * libuv thread pool (DNS under load), `--expose-gc` (retained heap), or the CPU and memory of
 * one side alone (scale). Children run TypeScript through tsx (or plain JavaScript with plain
 * node) and talk over the IPC channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What a child sends: `{ type, ... }`. */
export interface ChildMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface ChildOptions {
  /** Run a plain JavaScript child with plain `node`, without tsx (what a user's process has). */
  readonly plainNode?: boolean;
  /** Extra `node` flags, e.g. `--expose-gc`. */
  readonly nodeFlags?: readonly string[];
  /** Kill the child (by its pid) after this long; its pending waits reject. */
  readonly timeoutMs: number;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** After the result, how long to let the child exit by itself before killing it (default 0). */
  readonly graceMs?: number;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** A running child: wait for its messages, send it some, and know when it exits. */
export class BenchChild {
  readonly #process: ChildProcess;
  readonly #queue: ChildMessage[] = [];
  readonly #waiters: { type: string; resolve: (m: ChildMessage) => void; reject: (e: Error) => void }[] = [];
  readonly exited: Promise<ChildExit>;
  #exit: ChildExit | undefined;
  #stderr = '';
  readonly #timer: NodeJS.Timeout;
  readonly #name: string;

  constructor(script: string, args: readonly string[], options: ChildOptions) {
    this.#name = script.split('/').at(-1) ?? script;
    const tsx = import.meta.resolve('tsx');
    this.#process = fork(fileURLToPath(new URL(script, import.meta.url)), [...args], {
      execArgv: [...(options.nodeFlags ?? []), ...(options.plainNode === true ? [] : ['--import', tsx])],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      env: { ...process.env, ...options.env },
    });
    this.#process.stderr?.setEncoding('utf8');
    this.#process.stderr?.on('data', (chunk: string) => {
      this.#stderr += chunk;
      if (this.#stderr.length > 20_000) this.#stderr = this.#stderr.slice(-20_000);
    });
    this.#process.on('message', (message: unknown) => {
      if (!isChildMessage(message)) return;
      const index = this.#waiters.findIndex((w) => w.type === message.type || message.type === 'error');
      if (index >= 0) {
        const [waiter] = this.#waiters.splice(index, 1);
        if (message.type === 'error' && waiter !== undefined && waiter.type !== 'error') {
          waiter.reject(new Error(`${this.#name}: ${String(message.message)}`));
        } else waiter?.resolve(message);
      } else this.#queue.push(message);
    });
    this.#timer = setTimeout(() => {
      this.kill(`timed out after ${options.timeoutMs} ms`);
    }, options.timeoutMs);
    this.exited = new Promise<ChildExit>((resolve) => {
      this.#process.on('exit', (code, signal) => {
        clearTimeout(this.#timer);
        this.#exit = { code, signal, stderr: this.#stderr };
        const reason = this.#killedBecause ?? `exited (code ${code}, signal ${signal})`;
        const tail = this.#stderr.trim().split('\n').slice(-5).join(' / ');
        for (const waiter of this.#waiters.splice(0)) {
          waiter.reject(
            new Error(`${this.#name} ${reason} before sending "${waiter.type}"${tail ? `: ${tail}` : ''}`),
          );
        }
        resolve(this.#exit);
      });
    });
  }

  #killedBecause: string | undefined;

  /** The next message of `type` (an `error` message from the child rejects instead). */
  next(type: string): Promise<ChildMessage> {
    const index = this.#queue.findIndex((m) => m.type === type || m.type === 'error');
    if (index >= 0) {
      const [message] = this.#queue.splice(index, 1);
      if (message === undefined) throw new Error('unreachable');
      if (message.type === 'error' && type !== 'error') {
        return Promise.reject(new Error(`${this.#name}: ${String(message.message)}`));
      }
      return Promise.resolve(message);
    }
    if (this.#exit !== undefined) {
      return Promise.reject(new Error(`${this.#name} exited before sending "${type}"`));
    }
    return new Promise((resolve, reject) => this.#waiters.push({ type, resolve, reject }));
  }

  send(message: ChildMessage): void {
    if (this.#process.connected) this.#process.send(message);
  }

  kill(reason: string): void {
    if (this.#exit !== undefined) return;
    this.#killedBecause = reason;
    this.#process.kill('SIGKILL');
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }
}

/** Runs `script` to completion and returns its `result` message. */
export async function runChild(
  script: string,
  args: readonly string[],
  options: ChildOptions,
): Promise<ChildMessage> {
  const child = new BenchChild(script, args, options);
  try {
    return await child.next('result');
  } finally {
    await finish(child, options.graceMs ?? 0);
  }
}

/** Lets the child exit within `graceMs`, then ends it by its pid. */
async function finish(child: BenchChild, graceMs: number): Promise<void> {
  if (graceMs > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([child.exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }
  child.kill('no longer needed');
  await child.exited;
}

/** Like {@link runChild}, with `start(child)` called first (to send it its input). */
export async function runChildWith(
  script: string,
  args: readonly string[],
  options: ChildOptions,
  start: (child: BenchChild) => void,
): Promise<ChildMessage> {
  const child = new BenchChild(script, args, options);
  try {
    start(child);
    return await child.next('result');
  } finally {
    await finish(child, options.graceMs ?? 0);
  }
}

function isChildMessage(value: unknown): value is ChildMessage {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}

// ---- inside a child ------------------------------------------------------------------------

/** Sends a message to the parent (a no-op when run by hand without IPC). */
export function sendToParent(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (typeof process.send !== 'function' || !process.connected) {
      console.log(JSON.stringify(message));
      resolve();
      return;
    }
    process.send(message, undefined, undefined, () => resolve());
  });
}

/** Waits for the parent's message of `type`. */
export function parentMessage(type: string): Promise<ChildMessage> {
  return new Promise((resolve) => {
    const listener = (message: unknown): void => {
      if (isChildMessage(message) && message.type === type) {
        process.off('message', listener);
        resolve(message);
      }
    };
    process.on('message', listener);
  });
}

/**
 * Runs a child's main function: its value goes to the parent as the `result` message, a thrown
 * error as an `error` message; then the channel is closed so the child can exit.
 */
export async function childMain(main: () => Promise<Record<string, unknown>>): Promise<void> {
  // Stand in for the application that would keep a real process alive: our monitors, by design,
  // never do, so a child awaiting only them would otherwise exit mid-measurement.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    const result = await main();
    await sendToParent({ ...result, type: 'result' });
  } catch (error) {
    await sendToParent({
      type: 'error',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    process.exitCode = 1;
  } finally {
    clearInterval(keepAlive);
  }
  if (process.connected) process.disconnect();
}
