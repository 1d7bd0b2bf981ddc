import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/package-version.js';

describe('packageVersion', () => {
  it('is the version in package.json (bump src/package-version.ts with it)', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(packageVersion).toBe(manifest.version);
  });
});
