// The CommonJS consumer: `require` here (`import = require` takes the `require` condition under
// every resolution mode), and `import()` of the same package, typed by the `import` condition.
import { exercise, type OtherFormat } from './exercise.js';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- what a CommonJS consumer writes
import main = require('waspnest');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- what a CommonJS consumer writes
import testing = require('waspnest/testing');

// Under bundler resolution exercise.ts sees the `import` types: this checks both are one type.
const required: OtherFormat = { main, testing };

async function run(): Promise<void> {
  const [imported, importedTesting] = await Promise.all([import('waspnest'), import('waspnest/testing')]);
  if (imported.Topology !== required.main.Topology) throw new Error('cjs: two copies of Topology');
  console.info(await exercise('cjs', { main: imported, testing: importedTesting }));
}

run().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
