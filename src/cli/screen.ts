/**
 * Where the live view goes. On a TTY the view is redrawn in place (cursor up, clear below); in a
 * pipe nothing moves: each notable event is printed once as a plain line, and the caller prints
 * the final view and summary at the end. The only file of the CLI that writes cursor movements.
 */
import type { Writable } from 'node:stream';

export interface Screen {
  /** True when frames are redrawn in place. */
  readonly live: boolean;
  /** Replaces the live frame (TTY only; ignored in a pipe). */
  frame(lines: readonly string[]): void;
  /** A notable event: printed at once in a pipe, shown in the frame's log on a TTY. */
  event(line: string): void;
  /** Ends the live area (the last frame stays on screen) and prints `lines` below it. */
  finish(lines: readonly string[]): void;
}

const hideCursor = '\x1b[?25l';
const showCursor = '\x1b[?25h';
const clearBelow = '\x1b[J';
const clearLine = '\x1b[K';

/** Redraws in place: moves up over the previous frame, clears below, writes the new one. */
export class TtyScreen implements Screen {
  readonly live = true;
  #drawn = 0;
  #finished = false;
  readonly #out: Writable & { rows?: number };
  readonly #rows: () => number | undefined;

  constructor(out: Writable & { rows?: number }, rows: () => number | undefined = () => out.rows) {
    this.#out = out;
    this.#rows = rows;
  }

  frame(lines: readonly string[]): void {
    if (this.#finished) return;
    // A frame taller than the terminal cannot be redrawn in place (the cursor cannot go up
    // into the scrollback), so keep one row free and cut the rest.
    // A terminal that reports 0 rows does not know its height: the frame is shown whole.
    const rows = this.#rows();
    const visible = rows === undefined || rows <= 0 ? lines : lines.slice(0, Math.max(1, rows - 1));
    // Each line overwrites the old one and clears what is left of it; only then is the rest
    // below cleared (when the frame got shorter). Clearing the whole frame first would flicker,
    // and terminals such as tmux push a screen cleared from its top into the scrollback.
    let text = this.#drawn === 0 ? hideCursor : `\x1b[${this.#drawn}A\r`;
    text += visible.map((line) => line + clearLine).join('\n') + '\n' + clearBelow;
    this.#drawn = visible.length;
    this.#out.write(text);
  }

  event(_line: string): void {
    // Shown in the frame's event log.
  }

  finish(lines: readonly string[]): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#out.write((lines.length > 0 ? '\n' + lines.join('\n') + '\n' : '') + showCursor);
  }

  /** Puts the cursor back if the process is leaving in a hurry. */
  restoreCursor(): void {
    if (!this.#finished) this.#out.write(showCursor);
  }
}

/** Plain output for pipes and files: one line per event, the summary at the end. */
export class PlainScreen implements Screen {
  readonly live = false;
  readonly #out: Writable;

  constructor(out: Writable) {
    this.#out = out;
  }

  frame(_lines: readonly string[]): void {
    // No live frame in a pipe.
  }

  event(line: string): void {
    this.#out.write(line + '\n');
  }

  finish(lines: readonly string[]): void {
    if (lines.length > 0) this.#out.write(lines.join('\n') + '\n');
  }
}

/** A screen that prints nothing (the --json mode prints its own lines). */
export class SilentScreen implements Screen {
  readonly live = false;
  frame(_lines: readonly string[]): void {}
  event(_line: string): void {}
  finish(_lines: readonly string[]): void {}
}
