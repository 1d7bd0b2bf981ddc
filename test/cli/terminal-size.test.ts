/**
 * A terminal that reports its size as 0 × 0 (some pseudo-terminals and CI runners do) does not
 * know its size: the view is shown whole, not cut to 20 columns or one row.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseOutput } from '../../src/cli/live-session.js';
import { TtyScreen } from '../../src/cli/screen.js';

function terminal(columns: number | undefined): PassThrough & { isTTY: boolean; columns?: number } {
  return Object.assign(new PassThrough(), { isTTY: true, ...(columns === undefined ? {} : { columns }) });
}

const options = { json: false, durationSeconds: 1, color: 'never' } as const;

describe('the size of the terminal', () => {
  it('cuts lines one column short of a known width, and leaves them whole at width 0', () => {
    const now = () => 0;
    expect(chooseOutput(options, { stdout: terminal(80), stderr: new PassThrough() }, now).render.width).toBe(
      79,
    );
    expect(
      chooseOutput(options, { stdout: terminal(0), stderr: new PassThrough() }, now).render.width,
    ).toBeNull();
    // No width reported at all: the usual 100 columns are assumed.
    expect(
      chooseOutput(options, { stdout: terminal(undefined), stderr: new PassThrough() }, now).render.width,
    ).toBe(99);
  });

  it('draws the whole frame when the terminal reports 0 rows, and keeps one row free otherwise', () => {
    const lines = ['one', 'two', 'three', 'four'];
    const drawn = (rows: number) => {
      const out = new PassThrough();
      new TtyScreen(out, () => rows).frame(lines);
      return String(out.read());
    };
    expect(drawn(0)).toContain('four');
    expect(drawn(3)).toContain('two');
    expect(drawn(3)).not.toContain('three');
  });
});
