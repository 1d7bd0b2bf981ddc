// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layering (docs/architecture.md): each folder may import only the layers below it. Each rule
// is a regular expression over the import string naming what a folder may NOT reach; type-only
// imports count too (a type import is still an arrow the wrong way).
const libraryNeverImports = {
  regex: '(^|/)(testing|cli)/',
  message: 'the library never imports the test kit (testing/) or the CLI (cli/): they sit on top of it.',
};
/** Anything one folder up except the listed folders and top-level modules. */
function outside(folders, modules) {
  return `^\\.\\./(?!(${folders.join('|')})/|(${modules.join('|')})\\.js$)`;
}
const pureFolders = ['description', 'selection', 'uri'];
const baseModules = ['errors', 'nearest-name'];
const layers = [
  {
    folders: ['time'],
    regex: outside([], baseModules),
    message: 'time/ (the clock seam, deadlines) is the bottom of the shell: it imports only errors.',
  },
  {
    folders: pureFolders,
    regex: outside(pureFolders, baseModules),
    message:
      'the pure core (description/, selection/, uri/) imports nothing from the shell, time/, net/ or monitor/.',
  },
  {
    folders: ['net'],
    regex: outside([...pureFolders, 'time'], [...baseModules, 'package-info']),
    message: 'net/ imports nothing from monitor/ or the topology: what both need lives in net/ or below.',
  },
  {
    folders: ['monitor'],
    regex: outside([...pureFolders, 'net', 'time'], baseModules),
    message: 'monitor/ imports nothing from the topology: the seam is monitor/server-monitor-types.ts.',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'docs/api/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/testing/**', 'src/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [libraryNeverImports] }] },
  },
  ...layers.map(({ folders, regex, message }) => ({
    files: folders.map((folder) => `src/${folder}/**/*.ts`),
    rules: { 'no-restricted-imports': ['error', { patterns: [libraryNeverImports, { regex, message }] }] },
  })),
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
