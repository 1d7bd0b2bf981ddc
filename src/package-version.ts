/**
 * The package's version, sent in the handshake's `client.driver.version` and printed by
 * `waspnest --version`. A constant, not a read of package.json: the same source is built both
 * as CommonJS (no `import.meta`) and run as ES modules (no `__dirname`), and the shipped layout
 * puts package.json at a different depth in each. test/unit/package-version.test.ts fails when
 * this drifts from package.json, so bump both together.
 */
export const packageVersion = '0.1.0';
