/**
 * The unified runner end to end: real files of the format run through the official driver
 * against a simulated replica set; valid-pass files must pass and valid-fail files must fail.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { specDirExists } from '../spec/spec-files.js';
import { runMatrix } from './matrix.js';
import { loadUnifiedFiles, unifiedTestsDir } from './unified-files.js';

const dir = unifiedTestsDir();
const present = specDirExists(dir);
if (!present && process.env['CI'])
  throw new Error(`unified test data not found at ${dir} (set UNIFIED_TESTS_DIR)`);

async function run(pathFilter: string) {
  const files = loadUnifiedFiles(dir);
  const { results } = await runMatrix(files, { topologies: ['replicaset'], pathFilter, timeoutMS: 10_000 });
  return results;
}

describe.skipIf(!present)(`unified runner end to end (data: ${dir})`, () => {
  it('passes valid-pass files the simulator supports', async () => {
    const results = [
      ...(await run('valid-pass/poc-command-monitoring.json')),
      ...(await run('valid-pass/operator-lte.json')),
      ...(await run('valid-pass/expectedEventsForClient-ignoreExtraEvents.json')),
    ];
    expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(3);
    // Skipped only for the server version the simulator declares (tests for servers <= 4.4).
    expect(results.filter((r) => r.status === 'failed')).toEqual([]);
    for (const r of results.filter((x) => x.status === 'skipped')) expect(r.reason).toMatch(/server version/);
  });

  it('fails valid-fail files, for the reason they are about', async () => {
    const matchAsRoot = await run('valid-fail/operator-matchAsRoot.json');
    expect(matchAsRoot).toHaveLength(1);
    expect(matchAsRoot[0]).toMatchObject({ status: 'failed' });
    expect(matchAsRoot[0]!.reason).toMatch(/result does not match/);
    const unsupported = await run('valid-fail/operation-unsupported.json');
    expect(unsupported[0]).toMatchObject({ status: 'failed' });
    expect(unsupported[0]!.reason).toMatch(
      /unsupportedOperation on a client is not implemented by the runner/,
    );
    const schema = await run('valid-fail/schemaVersion-unsupported.json');
    expect(schema[0]!.reason).toMatch(/schemaVersion 0\.1 is not supported/);
  });
});

describe('unified runner: starting a client entity', () => {
  it('starts monitoring for waitForEvent without opening a pooled connection (as the driver itself)', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'unified-'));
    try {
      mkdirSync(path.join(root, 'sdam'));
      const test = {
        description: 'monitoring only',
        operations: [
          {
            name: 'waitForEvent',
            object: 'testRunner',
            arguments: {
              client: 'client',
              event: { serverDescriptionChangedEvent: { newDescription: { type: 'RSPrimary' } } },
              count: 1,
            },
          },
        ],
        // No connection of the pool is created, checked out or in: the pool stays empty.
        expectEvents: [{ client: 'client', eventType: 'cmap', events: [] }],
      };
      const file = {
        description: 'monitoring-only',
        schemaVersion: '1.17',
        createEntities: [
          {
            client: {
              id: 'client',
              observeEvents: [
                'serverDescriptionChangedEvent',
                'connectionCreatedEvent',
                'connectionCheckedOutEvent',
              ],
            },
          },
        ],
        tests: [test],
      };
      writeFileSync(path.join(root, 'sdam', 'monitoring-only.json'), JSON.stringify(file));
      const { results } = await runMatrix(loadUnifiedFiles(root), {
        topologies: ['replicaset'],
        timeoutMS: 10_000,
      });
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({ status: 'passed' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
