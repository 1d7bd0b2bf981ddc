import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { countLiveTopology, liveTopologyCount } from '../../../src/topology/lifecycle.js';
import { ScriptedTopology } from '../../../src/testing/scripted-topology.js';

const fixture = fileURLToPath(new URL('./fixtures/collected-topology.ts', import.meta.url));

describe('a Topology garbage-collected without close()', () => {
  it('stops its monitors (FinalizationRegistry) and warns once', () => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fixture], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.status).toBe(0);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as {
      started: number;
      closedBeforeGc: number;
      closed: number;
      warnings: string[];
    };
    // Two forgotten topologies of 3 monitors and one closed topology of 2.
    expect(result.started).toBe(8);
    expect(result.closedBeforeGc).toBe(2);
    expect(result.closed).toBe(8);
    const notClosed = result.warnings.filter((w) => w.startsWith('WASPNEST_TOPOLOGY_NOT_CLOSED'));
    expect(notClosed).toHaveLength(1);
    expect(notClosed[0]).toMatch(/garbage-collected without close\(\)/);
  });
});

describe('many topologies to one deployment', () => {
  it('warns once when more than maxTopologiesPerDeployment are open, and counts closes', async () => {
    const warnings: Error[] = [];
    const original = process.emitWarning;
    process.emitWarning = ((warning: string | Error, options?: { code?: string }) => {
      const error = typeof warning === 'string' ? new Error(warning) : warning;
      warnings.push(Object.assign(error, { code: options?.code }));
    }) as typeof process.emitWarning;
    const uri = 'mongodb://many1.example.com,many2.example.com/?replicaSet=many';
    const key = 'mongodb://many1.example.com:27017,many2.example.com:27017/?replicaSet=many';
    const topologies: ScriptedTopology[] = [];
    try {
      for (let i = 0; i < 12; i++)
        topologies.push(new ScriptedTopology(uri, { maxTopologiesPerDeployment: 10 }).start());
    } finally {
      process.emitWarning = original;
    }
    expect(liveTopologyCount(key)).toBe(12);
    const many = warnings.filter((w) => (w as Error & { code?: string }).code === 'WASPNEST_MANY_TOPOLOGIES');
    expect(many).toHaveLength(1);
    expect(many[0]?.message).toMatch(/11 waspnest topologies are open to .*many1\.example\.com/);
    await Promise.all(topologies.map((t) => t.close()));
    expect(liveTopologyCount(key)).toBe(0);
  });

  it('the release function is idempotent', () => {
    const release = countLiveTopology('test://idempotent', 100);
    release();
    release();
    expect(liveTopologyCount('test://idempotent')).toBe(0);
  });
});
