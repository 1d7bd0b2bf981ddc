import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The spec runner prints its own summary; keep output readable in CI.
    reporters: ['default'],
  },
});
