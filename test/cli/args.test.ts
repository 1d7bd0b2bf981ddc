import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../../src/cli/args.js';

describe('parseCliArgs', () => {
  it('parses demo with its defaults', () => {
    expect(parseCliArgs(['demo'])).toEqual({
      command: 'demo',
      options: {
        json: false,
        durationSeconds: null,
        color: 'auto',
        members: 3,
        callers: 50,
        heartbeatFrequencyMS: 1000,
      },
    });
  });

  it('parses demo options', () => {
    const parsed = parseCliArgs(['demo', '--duration', '6', '--json', '--callers', '10', '--color=never']);
    expect(parsed).toMatchObject({
      command: 'demo',
      options: { durationSeconds: 6, json: true, callers: 10, color: 'never' },
    });
  });

  it('parses watch with a URI and its options', () => {
    const parsed = parseCliArgs([
      'watch',
      'mongodb://a,b/?replicaSet=rs0',
      '--timeout',
      '500',
      '--mode',
      'poll',
    ]);
    expect(parsed).toEqual({
      command: 'watch',
      options: {
        json: false,
        durationSeconds: null,
        color: 'auto',
        uri: 'mongodb://a,b/?replicaSet=rs0',
        serverSelectionTimeoutMS: 500,
        heartbeatFrequencyMS: null,
        serverMonitoringMode: 'poll',
      },
    });
  });

  it('answers --help, help <topic> and --version before anything else', () => {
    expect(parseCliArgs(['--help'])).toEqual({ command: 'help', topic: null });
    expect(parseCliArgs(['-h'])).toEqual({ command: 'help', topic: null });
    expect(parseCliArgs(['help', 'watch'])).toEqual({ command: 'help', topic: 'watch' });
    expect(parseCliArgs(['demo', '--help'])).toEqual({ command: 'help', topic: 'demo' });
    expect(parseCliArgs(['--version'])).toEqual({ command: 'version' });
    expect(parseCliArgs(['watch', '--version'])).toEqual({ command: 'version' });
  });

  it.each([
    [[], /missing command/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['watch'], /needs a connection string/],
    [['watch', 'mongodb://a', 'mongodb://b'], /one connection string/],
    [['demo', 'extra'], /no arguments/],
    [['demo', '--duration', 'soon'], /--duration must be a number/],
    [['demo', '--duration=-1'], /--duration must be a number of at least 0.1/],
    [['demo', '--members', '2'], /--members must be an integer of at least 3/],
    [['demo', '--callers', '1.5'], /--callers must be an integer/],
    [['demo', '--timeout', '5'], /applies to watch/],
    [['watch', 'mongodb://a', '--members', '5'], /applies to demo/],
    [['watch', 'mongodb://a', '--mode', 'fast'], /--mode must be stream, poll or auto/],
    [['demo', '--color', 'pink'], /--color must be auto, always or never/],
    [['demo', '--bogus'], /^unknown option --bogus$/],
    [['demo', '--durration', '5'], /^unknown option --durration; did you mean --duration\?$/],
    [['demo', '-x'], /^unknown option -x$/],
    [['demo', '--duration', '-1'], /^--duration must be a number of at least 0.1, got "-1"$/],
    [['demo', '--duration'], /^--duration needs a value, as in --duration <s>$/],
    [['demo', '--duration', '--json'], /^--duration needs a value/],
    [['demo', '--json=yes'], /^--json takes no value$/],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
