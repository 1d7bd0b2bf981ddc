/**
 * What `demo` and `watch` share around the live view: choosing the output (a redrawn view on a
 * TTY, plain lines in a pipe, NDJSON with --json), redrawing on a timer, printing every event as
 * NDJSON, and turning Ctrl-C (SIGINT) or SIGTERM into a promise so that the command can close
 * everything before it exits.
 */
import type { Writable } from 'node:stream';
import type { TopologyEventName } from '../events/events.js';
import type { CommonOptions } from './args.js';
import { listen, type AnyEventSource } from './event-source.js';
import { ndjsonLine } from './ndjson.js';
import type { LiveView, LogLine } from './live-view.js';
import { renderLiveView, type RenderOptions } from './render.js';
import { PlainScreen, SilentScreen, TtyScreen, type Screen } from './screen.js';

export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  readonly stderr: Writable;
  /** Environment (NO_COLOR); defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface LiveOutput {
  readonly mode: 'json' | 'tty' | 'plain';
  readonly screen: Screen;
  readonly render: RenderOptions & { readonly width: number | null };
  /** Prints a view: redrawn on a TTY, nothing elsewhere (plain mode prints events instead). */
  draw(view: LiveView): void;
  /** An event for the log: printed at once in plain mode. */
  logLine(line: LogLine): void;
  /** Writes one NDJSON line (json mode only). */
  json(event: string, payload: unknown): void;
}

/** Picks the output for the options and the stream: --json, a TTY, or a pipe. */
export function chooseOutput(options: CommonOptions, io: CliIo, now: () => number): LiveOutput {
  const env = io.env ?? process.env;
  const tty = io.stdout.isTTY === true;
  const color =
    options.color === 'always' ||
    (options.color === 'auto' && tty && (env.NO_COLOR === undefined || env.NO_COLOR === ''));
  const startedAt = now();
  const mode = options.json ? 'json' : tty ? 'tty' : 'plain';
  const screen: Screen =
    mode === 'json'
      ? new SilentScreen()
      : mode === 'tty'
        ? new TtyScreen(io.stdout)
        : new PlainScreen(io.stdout);
  const render = {
    color,
    // One column short of the terminal: a line that fills the last column leaves the cursor
    // in the terminal's pending-wrap state, where clearing the rest of the line eats a character.
    // A terminal that reports 0 columns does not know its width: lines are left whole.
    get width() {
      const columns = io.stdout.columns ?? 100;
      return tty && columns > 0 ? Math.max(20, columns - 1) : null;
    },
  };
  return {
    mode,
    screen,
    render,
    draw(view) {
      if (mode === 'tty') screen.frame(renderLiveView(view, render));
    },
    logLine(line) {
      if (mode === 'plain') screen.event(`${(line.atMS / 1000).toFixed(1).padStart(5)} s  ${line.text}`);
    },
    json(event, payload) {
      if (mode === 'json') io.stdout.write(ndjsonLine(event, payload, new Date(), now() - startedAt) + '\n');
    },
  };
}

/** Every event name a Topology emits, so that --json can listen to all of them. */
const topologyEventNames: Record<TopologyEventName, true> = {
  topologyOpening: true,
  topologyClosed: true,
  topologyDescriptionChanged: true,
  serverOpening: true,
  serverClosed: true,
  serverDescriptionChanged: true,
  serverHeartbeatStarted: true,
  serverHeartbeatSucceeded: true,
  serverHeartbeatFailed: true,
  primaryChanged: true,
  writableChanged: true,
  readableChanged: true,
  refreshed: true,
  poolCleared: true,
  srvRescanFailed: true,
  srvRecordsRejected: true,
  listenerError: true,
};
export const allTopologyEvents = Object.keys(topologyEventNames) as TopologyEventName[];

/** Prints every event of `source` as NDJSON; returns a function that stops. */
export function printEventsAsJson(source: AnyEventSource, output: LiveOutput): () => void {
  if (output.mode !== 'json') return () => undefined;
  const detachers = allTopologyEvents.map((name) =>
    listen(source, name, (payload: unknown) => output.json(name, payload)),
  );
  return () => {
    for (const detach of detachers) detach();
  };
}

/**
 * Resolves on the first SIGINT or SIGTERM. A second signal while closing exits at once (130):
 * a person pressing Ctrl-C twice wants out.
 */
export function interruption(onSecond: () => void): {
  readonly interrupted: Promise<string>;
  dispose(): void;
} {
  let first = true;
  let resolve: (signal: string) => void = () => undefined;
  const interrupted = new Promise<string>((r) => (resolve = r));
  const handler = (signal: NodeJS.Signals) => {
    if (first) {
      first = false;
      resolve(signal);
    } else onSecond();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    interrupted,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Calls `tick` every `ms` while the command runs; the interval keeps the process alive meanwhile. */
export function every(ms: number, tick: () => void): () => void {
  const timer = setInterval(tick, ms);
  return () => clearInterval(timer);
}

/** Resolves after `ms` (the --duration), or never when ms is null; cancel with the returned function. */
export function after(ms: number | null): { readonly elapsed: Promise<void>; cancel(): void } {
  if (ms === null) return { elapsed: new Promise<void>(() => undefined), cancel: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { elapsed, cancel: () => clearTimeout(timer) };
}
