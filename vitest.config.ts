import { defineConfig } from 'vitest/config';

/**
 * Files that mostly wait (on sockets, simulated elections, child processes and the real time of a
 * demo), not on the CPU: many at once keep a 2-core machine busy. The rest (the pure core, the
 * property and conformance runs) compete for the CPU: one worker per core.
 */
const waiting = [
  'test/integration/**/*.test.ts',
  'test/adapters/**/*.test.ts',
  'test/real/**/*.test.ts',
  'test/unified/end-to-end.test.ts',
  'test/cli/**/*.test.ts',
  'test/examples/**/*.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The spec runner prints its own summary; keep output readable in CI.
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'waiting', include: waiting, maxWorkers: 6, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'computing',
          include: ['test/**/*.test.ts'],
          exclude: waiting,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
