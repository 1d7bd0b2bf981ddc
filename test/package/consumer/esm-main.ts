// The ES module consumer: `import` here, `require` of the same package through createRequire.
import { createRequire } from 'node:module';
import type * as RequiredMain from 'waspnest' with { 'resolution-mode': 'require' };
import type * as RequiredTesting from 'waspnest/testing' with { 'resolution-mode': 'require' };
import { exercise } from './exercise.js';

const require = createRequire(import.meta.url);
// Typed by the `require` condition: passing them to exercise() checks they are the `import` types.
const main = require('waspnest') as typeof RequiredMain;
const testing = require('waspnest/testing') as typeof RequiredTesting;

console.info(await exercise('esm', { main, testing }));
