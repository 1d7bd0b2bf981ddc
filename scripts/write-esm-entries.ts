/**
 * The second half of `npm run build`: after tsc has compiled src to CommonJS in dist/cjs, writes
 *
 * - dist/cjs/package.json, `{"type": "commonjs"}`, so that Node and TypeScript read dist/cjs as
 *   CommonJS although the package is `"type": "module"`;
 * - for each entry point, an ES module in dist/esm that imports the CommonJS build and re-exports
 *   every name it has, with a declaration file that re-exports its types.
 *
 * One implementation, two doors: `import 'waspnest'` and `require('waspnest')` reach the same
 * class objects, so `instanceof` holds across them (the dual-package hazard cannot arise).
 * The names are read from the built module itself, so the ES entry can never miss an export.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cjsDir = join(root, 'dist', 'cjs');
const esmDir = join(root, 'dist', 'esm');
/** The entry points of package.json's `exports`, relative to dist/cjs and dist/esm. */
const entries = ['index.js', 'testing/index.js'];

writeFileSync(join(cjsDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);

const load = createRequire(import.meta.url);
for (const entry of entries) {
  const names = Object.keys(load(join(cjsDir, entry)) as object)
    .filter((name) => name !== '__esModule' && name !== 'default')
    .sort();
  if (names.length === 0) throw new Error(`dist/cjs/${entry} exports nothing: was it built?`);
  const target = join(esmDir, entry);
  mkdirSync(dirname(target), { recursive: true });
  const cjsEntry = relative(dirname(target), join(cjsDir, entry)).replaceAll('\\', '/');
  const header = `// Written by scripts/write-esm-entries.ts: re-exports ${cjsEntry}, the one implementation.\n`;
  writeFileSync(
    target,
    `${header}import implementation from '${cjsEntry}';\n\nexport const {\n${names
      .map((name) => `  ${name},\n`)
      .join('')}} = implementation;\n`,
  );
  writeFileSync(target.replace(/\.js$/, '.d.ts'), `${header}export * from '${cjsEntry}';\n`);
  console.info(`dist/esm/${entry}: ${names.length} names from dist/cjs/${entry}`);
}
