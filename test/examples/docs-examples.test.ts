/**
 * A code block in the docs that follows `<!-- example: examples/NAME -->` is that example file as
 * a user pastes it: the file without its header comment, importing from the package instead of
 * '../src/...'. The example runs in the suite (examples.test.ts), so the docs' copy cannot rot.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The example as a user writes it in their own project. */
function asPasted(source: string): string {
  const withoutHeader = source.replace(/^\/\*\*[\s\S]*?\*\/\n/, '');
  return withoutHeader
    .replaceAll("'../src/testing/index.js'", "'waspnest/testing'")
    .replaceAll("'../src/index.js'", "'waspnest'");
}

/** Every `<!-- example: path -->` marker of a markdown file, with the fenced block after it. */
function markedBlocks(markdown: string): { path: string; code: string }[] {
  const pattern = /<!-- example: (\S+) -->\s*\n```ts\n([\s\S]*?)```/g;
  return [...markdown.matchAll(pattern)].map((match) => ({ path: match[1] ?? '', code: match[2] ?? '' }));
}

describe('examples quoted in the docs', () => {
  it('docs/testing-failover.md quotes its examples exactly', async () => {
    const markdown = await readFile(`${root}docs/testing-failover.md`, 'utf8');
    const blocks = markedBlocks(markdown);
    expect(blocks.map((block) => block.path)).toEqual(
      expect.arrayContaining([
        'examples/fail-points.test.ts',
        'examples/change-streams.test.ts',
        'examples/rollback.test.ts',
      ]),
    );
    for (const block of blocks) {
      const source = await readFile(`${root}${block.path}`, 'utf8');
      expect(block.code, `the block quoting ${block.path}`).toBe(asPasted(source));
    }
  });
});
