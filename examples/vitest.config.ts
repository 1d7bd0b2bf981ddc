// The examples' own vitest configuration: `npx vitest run --root examples` runs
// examples/*.test.ts (the project's suite, `npm test`, runs only test/**/*.test.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
