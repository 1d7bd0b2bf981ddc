import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/monitor-lets-process-exit.ts', import.meta.url));

describe('background work does not surprise the process', () => {
  it('a streaming monitor with its RTT pinger, never closed, lets the process exit by itself', async () => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['--import', 'tsx', fixture], (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('streaming after 1 description(s)');
    expect(result.code).toBe(0);
  });
});
