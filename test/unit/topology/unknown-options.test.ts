/**
 * Misspelled options: an unknown constructor key is an error naming the nearest known option; an
 * unknown connection-string option is ignored with a warning (the specification's rule), with the
 * same suggestion.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TopologyOptionsError } from '../../../src/errors.js';
import { Topology } from '../../../src/topology/topology.js';
import { topologyOptionNames, type TopologyOptions } from '../../../src/topology/topology-options.js';

const opened: Topology[] = [];
function topology(uri: string, options?: TopologyOptions): Topology {
  const created = new Topology(uri, options);
  opened.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((t) => t.close()));
});

function rejection(options: unknown): Error {
  try {
    topology('mongodb://a', options as TopologyOptions);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the options were accepted');
}

describe('unknown constructor options', () => {
  it('throw TopologyOptionsError naming the key and the nearest known option', () => {
    const error = rejection({ heartbeatFrequency: 1000 });
    expect(error).toBeInstanceOf(TopologyOptionsError);
    expect(error.message).toBe("unknown option 'heartbeatFrequency'; did you mean heartbeatFrequencyMS?");
    expect(rejection({ ServerSelectionTimeoutMS: 5 }).message).toBe(
      "unknown option 'ServerSelectionTimeoutMS'; did you mean serverSelectionTimeoutMS?",
    );
  });

  it('name only the key when no known option is near', () => {
    expect(rejection({ heartbeatFrequencyMS: 1000, readPreference: 'secondary' }).message).toBe(
      "unknown option 'readPreference'",
    );
  });

  it('are rejected even when their value is undefined, and options must be an object', () => {
    expect(rejection({ connectTimeout: undefined }).message).toMatch(/did you mean connectTimeoutMS\?/);
    expect(rejection(null)).toBeInstanceOf(TopologyOptionsError);
    expect(rejection(null).message).toBe('the options must be an object, got null');
  });

  it('every documented option is accepted', () => {
    const all: Record<string, unknown> = Object.fromEntries(
      topologyOptionNames.map((name) => [name, undefined]),
    );
    expect(() => topology('mongodb://a', all as TopologyOptions)).not.toThrow();
  });
});

describe('unknown connection-string options', () => {
  it('go to onWarning with the nearest known option, and are ignored', () => {
    const warnings: string[] = [];
    const t = topology('mongodb://a/?heartbeatFrequency=1000&appName=x', {
      onWarning: (w) => warnings.push(w),
    });
    expect(warnings).toEqual([
      "Unsupported option 'heartbeatFrequency' (ignored); did you mean heartbeatFrequencyMS?",
    ]);
    expect(t.settings.heartbeatFrequencyMS).toBe(10_000);
    expect(t.settings.appName).toBe('x');
  });

  it('are process warnings by default, once per message', async () => {
    const seen: Error[] = [];
    const onWarning = (warning: Error) => seen.push(warning);
    process.on('warning', onWarning);
    try {
      topology('mongodb://a/?unknownPackageTestOptionMS=1');
      topology('mongodb://b/?unknownPackageTestOptionMS=2');
      // Warnings are delivered in order: once this one arrives, the earlier ones have.
      const last = new Promise((resolve) => process.once('warning', resolve));
      process.emitWarning('end of the test', { code: 'WASPNEST_TEST_SENTINEL' });
      await last;
    } finally {
      process.off('warning', onWarning);
    }
    const ours = seen.filter((w) => (w as Error & { code?: string }).code === 'WASPNEST_CONNECTION_STRING');
    expect(ours.map((w) => w.message)).toEqual(["Unsupported option 'unknownPackageTestOptionMS' (ignored)"]);
  });
});
