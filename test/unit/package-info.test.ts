import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { documentationUrl, packageVersion } from '../../src/package-info.js';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
  homepage: string;
};

describe('package facts the code prints', () => {
  it('packageVersion is the version in package.json (bump src/package-info.ts with it)', () => {
    expect(packageVersion).toBe(manifest.version);
  });

  it("documentationUrl is the docs folder of package.json's homepage, and docs/faq.md exists", () => {
    expect(documentationUrl).toBe(`${manifest.homepage.replace(/#.*$/, '')}/blob/main/docs`);
    expect(existsSync(new URL('../../docs/faq.md', import.meta.url))).toBe(true);
  });
});
