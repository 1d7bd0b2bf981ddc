/**
 * Facts about the package that the code prints: its version (the handshake's
 * `client.driver.version`, `waspnest --version`) and where its documentation lives (hints in CLI
 * messages, which must work from an installed copy, where docs/ is not shipped).
 *
 * Constants, not a read of package.json: the same source is built as CommonJS (no `import.meta`)
 * and run as ES modules (no `__dirname`), with package.json at a different depth in each.
 * test/unit/package-info.test.ts fails when they drift from package.json: bump them together.
 */
export const packageVersion = '0.1.0';

/** The documentation pages (docs/*.md) on the repository's site. */
export const documentationUrl = 'https://github.com/waspnest/waspnest/blob/main/docs';
