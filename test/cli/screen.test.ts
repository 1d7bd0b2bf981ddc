import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PlainScreen, TtyScreen } from '../../src/cli/screen.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

describe('TtyScreen', () => {
  it('redraws in place: up over the previous frame, each line cleared to its end, the rest cleared below', () => {
    const out = sink();
    const screen = new TtyScreen(out.stream, () => 24);
    screen.frame(['a', 'b']);
    screen.frame(['c']);
    expect(out.text()).toBe('\x1b[?25l' + 'a\x1b[K\nb\x1b[K\n\x1b[J' + '\x1b[2A\r' + 'c\x1b[K\n\x1b[J');
  });

  it('keeps a frame within the terminal height so that it can be redrawn', () => {
    const out = sink();
    const screen = new TtyScreen(out.stream, () => 3);
    screen.frame(['1', '2', '3', '4', '5']);
    screen.frame(['x']);
    expect(out.text()).toContain('1\x1b[K\n2\x1b[K\n\x1b[J\x1b[2A\r');
    expect(out.text()).not.toContain('3');
  });

  it('leaves the last frame on screen, prints the summary below it and shows the cursor again', () => {
    const out = sink();
    const screen = new TtyScreen(out.stream, () => 24);
    screen.frame(['frame']);
    screen.finish(['summary']);
    screen.frame(['too late']);
    expect(out.text().endsWith('\nsummary\n\x1b[?25h')).toBe(true);
    expect(out.text()).not.toContain('too late');
  });
});

describe('PlainScreen', () => {
  it('prints events as lines and ignores frames', () => {
    const out = sink();
    const screen = new PlainScreen(out.stream);
    screen.frame(['frame']);
    screen.event('one');
    screen.finish(['end']);
    expect(out.text()).toBe('one\nend\n');
  });
});
