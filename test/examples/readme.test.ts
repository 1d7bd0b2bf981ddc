/**
 * The README's code cannot drift: every TypeScript block in it is an example file, included
 * verbatim below a `<!-- examples/<file> -->` marker (the file's leading doc comment, which says
 * how to run it, is not repeated). Those files are type-checked with the project (`npm run
 * typecheck`, strict) and run by test/examples/examples.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(`${root}/README.md`, 'utf8');

/** The example's text as the README shows it: without its leading doc comment. */
function shown(file: string): string {
  const text = readFileSync(`${root}/${file}`, 'utf8');
  const body = text.startsWith('/**') ? text.slice(text.indexOf('*/') + 2) : text;
  return body.replace(/^\n+/, '').replace(/\n+$/, '');
}

describe('README.md', () => {
  const blocks = [...readme.matchAll(/(?:<!-- (\S+) -->\n\n)?```ts\n([\s\S]*?)\n```/g)];

  it('has TypeScript examples, each included from a file', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const [, file, code] of blocks) {
      expect(file, `a \`\`\`ts block without an include marker:\n${code}`).toBeDefined();
    }
  });

  it.each(blocks.map(([, file, code]) => [file ?? '(none)', code ?? '']))(
    '%s is included verbatim',
    (file, code) => {
      expect(existsSync(`${root}/${file}`)).toBe(true);
      expect(code).toBe(shown(file));
    },
  );

  it('imports the package by its name, as users do', () => {
    for (const [, , code] of blocks) expect(code).toMatch(/from 'waspnest(\/testing)?';/);
  });
});
