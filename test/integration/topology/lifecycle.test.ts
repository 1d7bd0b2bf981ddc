import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SimulatedReplicaSet } from '../../../src/testing/simulated-replica-set.js';

const fixture = fileURLToPath(new URL('./fixtures/collected-live-topology.ts', import.meta.url));

describe('a live Topology garbage-collected without close()', () => {
  it('has its socket monitors close every connection', () => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fixture], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as {
      openWhileAlive: number;
      openAfterGc: number;
    };
    expect(result.openWhileAlive).toBeGreaterThanOrEqual(3);
    expect(result.openAfterGc).toBe(0);
  });
});

describe('monitors never keep the process alive', () => {
  it('a process whose script ends without close() exits by itself while its monitors stream', async () => {
    const rs = await SimulatedReplicaSet.start({ members: 3 });
    try {
      const script = fileURLToPath(new URL('./fixtures/unclosed-topology.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', script, rs.uri], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // The replica set keeps serving the child's monitors; the child must exit anyway.
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, stderr).toBe(0);
      expect(stdout).toContain('discovered ReplicaSetWithPrimary');
    } finally {
      await rs.close();
    }
  });
});
