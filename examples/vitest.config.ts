// The examples' own vitest configuration: `npx vitest run --root examples` runs
// examples/*.test.ts (the project's suite, `npm test`, runs only test/**/*.test.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url));

export default defineConfig({
  // The README's examples import the package by name, as users do; here that name is the source
  // (as tsconfig.json's `paths` say for tsc and tsx).
  resolve: {
    alias: [
      { find: /^waspnest\/testing$/, replacement: source('testing/index.ts') },
      { find: /^waspnest$/, replacement: source('index.ts') },
    ],
  },
  test: {
    include: ['*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
