import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Most files wait on sockets and child processes, not on the CPU: on a 2-core machine one
    // worker (vitest's default there) leaves the cores idle most of the time.
    maxWorkers: 4,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The spec runner prints its own summary; keep output readable in CI.
    reporters: ['default'],
  },
});
