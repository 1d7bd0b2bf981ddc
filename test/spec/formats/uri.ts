/**
 * The connection string and URI options specification tests: each entry of `tests` parses
 * `uri` and checks validity, warnings, hosts (as written: type, host, port or null), auth
 * (username, password, database) and options (keys compared case-insensitively).
 * A null field means "no assertion", as the tests' README says.
 */
import assert from 'node:assert/strict';
import type { Document } from 'bson';
import { ConnectionStringError } from '../../../src/errors.js';
import { parseConnectionString, type ConnectionString } from '../../../src/uri/connection-string.js';
import { optionNameFor } from '../../../src/uri/options.js';
import type { FormatHandler, SpecCase } from '../spec-case.js';

/** Canonical extended JSON wraps numbers (Int32, Double, Long); compare them as plain numbers. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    if ('_bsontype' in value) {
      const n = Number((value as { valueOf(): unknown }).valueOf());
      return Number.isNaN(n) ? value : n;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function checkHosts(parsed: ConnectionString, expected: unknown): void {
  const actual = parsed.hostIdentifiers.map((h) => ({ type: h.type, host: h.host, port: h.port }));
  assert.deepEqual(actual, plain(expected), 'hosts');
}

function checkAuth(parsed: ConnectionString, expected: Document): void {
  const wanted = plain(expected) as { username: unknown; password: unknown; db: unknown };
  assert.equal(parsed.auth?.username ?? null, wanted.username, 'auth.username');
  assert.equal(parsed.auth?.password ?? null, wanted.password, 'auth.password');
  assert.equal(parsed.database, wanted.db, 'auth.db');
}

function checkOptions(parsed: ConnectionString, expected: Document): void {
  for (const [key, value] of Object.entries(expected)) {
    const name = optionNameFor(key);
    assert.ok(name, `the test expects option '${key}', which waspnest does not know`);
    // Read the property directly: secret options are non-enumerable.
    const actual: unknown = parsed.options[name];
    assert.deepEqual(plain(actual), plain(value), `option ${key}`);
  }
}

function runTest(test: Document): void {
  const uri = String(test['uri']);
  if (test['valid'] === false) {
    assert.throws(
      () => parseConnectionString(uri),
      (err: unknown) => err instanceof ConnectionStringError,
      'expected a ConnectionStringError',
    );
    return;
  }
  const parsed = parseConnectionString(uri);
  if (test['warning'] === true) assert.ok(parsed.warnings.length > 0, 'expected at least one warning');
  if (test['warning'] === false) {
    assert.deepEqual(parsed.warnings, [], 'expected no warning');
  }
  if (test['hosts'] != null) checkHosts(parsed, test['hosts']);
  if (test['auth'] != null) checkAuth(parsed, test['auth'] as Document);
  if (test['options'] != null) checkOptions(parsed, test['options'] as Document);
}

export const uriCases: FormatHandler = (file) =>
  (file.content['tests'] as Document[]).map((test): SpecCase => ({
    name: `${file.path}: ${String(test['description'])}`,
    run: () => runTest(test),
  }));
