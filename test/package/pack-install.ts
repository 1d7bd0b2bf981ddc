/**
 * The package as a user gets it: packs the tarball (which builds, through `prepack`), installs it
 * into a fresh temporary project and checks what a user would do first:
 *
 * - the packed file list: what package.json points at is there, tests and benchmarks are not,
 *   nothing unexpected, and every source map names a file the package ships;
 * - the README's links work from the registry page and from an installed copy;
 * - `import` and `require` of both entry points, in one process, reach one copy of each class;
 * - TypeScript consumers, ES module and CommonJS, type-check under node16, nodenext and bundler
 *   resolution (the package's declaration files themselves included); node16 and nodenext ones
 *   are then compiled and run;
 * - `--enable-source-maps` stack traces name files that exist;
 * - `npx waspnest --help` and `npx waspnest demo --duration 2`.
 *
 * Run with `npm run test:package` (CI runs it after the build). The dependencies of the package
 * come from npm's cache when they are there (`--prefer-offline`). Temporary directories are
 * removed at the end, whatever happened.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const consumerSources = fileURLToPath(new URL('consumer', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly exports: Record<string, string | Record<string, Record<string, string>>>;
  readonly bin: Record<string, string>;
  readonly main: string;
  readonly types: string;
  readonly homepage?: string;
  readonly devDependencies: Record<string, string>;
}

const failures: string[] = [];

function check(condition: boolean, what: string): void {
  console.info(`${condition ? 'ok  ' : 'FAIL'} ${what}`);
  if (!condition) failures.push(what);
}

/** Runs a command; its output is printed only when it fails (or when `show` asks for it). */
function run(command: string, args: readonly string[], cwd: string, what: string, show = false): string {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const ok = result.status === 0;
  check(ok, `${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (!ok || show) {
    const exit = result.error?.message ?? `exit ${result.status ?? result.signal}`;
    console.info(`     $ ${command} ${args.join(' ')}  [${exit}]`);
    console.info(output.replace(/^/gm, '     | ').trimEnd());
  }
  return result.stdout ?? '';
}

/** Every file path a package.json field points at (exports, bin, main, types). */
function pointedAt(manifest: Manifest): string[] {
  const paths = new Set<string>([manifest.main, manifest.types, ...Object.values(manifest.bin)]);
  const walk = (value: unknown): void => {
    if (typeof value === 'string') paths.add(value);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  return [...paths].map((path) => path.replace(/^\.\//, ''));
}

/** What may be in the tarball: the build, the sources its maps point at, and the documents. */
const allowed = [
  /^(package\.json|README\.md|CHANGELOG\.md|LICENSE)$/,
  /^dist\/cjs\/package\.json$/,
  /^dist\/cjs\/.+\.(js|js\.map|d\.ts|d\.ts\.map)$/,
  /^dist\/esm\/.+\.(js|d\.ts)$/,
  /^src\/.+\.ts$/,
];
const forbidden =
  /(^|\/)(test|tests|bench|benchmarks?|examples|coverage|scripts)\/|\.test\.|\.tgz$|tsbuildinfo/;

function checkFileList(files: readonly string[], manifest: Manifest): void {
  const unexpected = files.filter((file) => !allowed.some((pattern) => pattern.test(file)));
  check(
    unexpected.length === 0,
    `nothing unexpected is packed${unexpected.length ? `: ${unexpected.join(', ')}` : ''}`,
  );
  const testLike = files.filter((file) => forbidden.test(file));
  check(
    testLike.length === 0,
    `no tests, benchmarks or examples are packed${testLike.length ? `: ${testLike.join(', ')}` : ''}`,
  );
  const missing = pointedAt(manifest).filter((path) => !files.includes(path));
  check(
    missing.length === 0,
    `every file package.json points at is packed${missing.length ? `; missing ${missing.join(', ')}` : ''}`,
  );
  check(
    files
      .filter((name) => name.startsWith('src/'))
      .every((file) => files.includes(`dist/cjs/${file.slice(4, -3)}.js`)),
    'every packed source has its build',
  );
}

/** Every source map in the installed package names sources that the package ships. */
function checkSourceMaps(installed: string, files: readonly string[]): void {
  const maps = files.filter((file) => file.endsWith('.map'));
  const dangling: string[] = [];
  for (const map of maps) {
    const { sources } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as { sources: string[] };
    for (const source of sources) {
      const target = resolve(installed, dirname(map), source);
      if (!existsSync(target)) dangling.push(`${map} -> ${source}`);
    }
  }
  check(
    maps.length > 0 && dangling.length === 0,
    `${maps.length} source maps name files the package ships${dangling.length ? `; dangling: ${dangling.slice(0, 5).join(', ')}` : ''}`,
  );
}

/** README links must be absolute (they are read on the registry page and in node_modules) or in-page. */
function checkReadmeLinks(installed: string, manifest: Manifest): void {
  const readme = readFileSync(join(installed, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] as string);
  const relative = links.filter((link) => !/^(https?:|#)/.test(link));
  check(
    links.length > 0 && relative.length === 0,
    `README links are absolute or in-page${relative.length ? `; relative: ${relative.join(', ')}` : ''}`,
  );
  // Links into this repository name files that exist in it.
  check(typeof manifest.homepage === 'string', 'package.json names a homepage');
  if (typeof manifest.homepage !== 'string') return;
  const repository = manifest.homepage.replace(/#.*$/, '');
  const intoRepository = links.filter(
    (link) => link.startsWith(`${repository}/blob/main/`) || link.startsWith(`${repository}/tree/main/`),
  );
  const absent = intoRepository.filter((link) => {
    const path = link.slice(repository.length + '/blob/main/'.length).replace(/#.*$/, '');
    return !existsSync(join(root, path));
  });
  check(
    absent.length === 0,
    `${intoRepository.length} README links into the repository name files that exist${absent.length ? `; absent: ${absent.join(', ')}` : ''}`,
  );
}

interface Resolution {
  readonly name: string;
  readonly compilerOptions: Record<string, string>;
  /** Emit and run the result with Node (bundler resolution is only type-checked: no bundler here). */
  readonly run: boolean;
}

const resolutions: readonly Resolution[] = [
  { name: 'node16', compilerOptions: { module: 'node16', moduleResolution: 'node16' }, run: true },
  { name: 'nodenext', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, run: true },
  { name: 'bundler', compilerOptions: { module: 'preserve', moduleResolution: 'bundler' }, run: false },
];

/** A TypeScript consumer of each module format, type-checked (and run) under each resolution. */
function checkConsumers(project: string): void {
  for (const format of ['esm', 'cjs'] as const) {
    for (const resolution of resolutions) {
      const dir = join(project, `${format}-${resolution.name}`);
      mkdirSync(dir);
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ type: format === 'esm' ? 'module' : 'commonjs' }),
      );
      cpSync(join(consumerSources, 'exercise.ts'), join(dir, 'exercise.ts'));
      cpSync(join(consumerSources, `${format}-main.ts`), join(dir, 'main.ts'));
      const tsconfig = {
        compilerOptions: {
          ...resolution.compilerOptions,
          target: 'ES2022',
          strict: true,
          // The ES module consumer loads every declaration file of the package (its entry
          // re-exports the CommonJS declarations), so it checks them all; checking them, and
          // @types/node, again for the CommonJS consumer would add 15 s per run and find nothing new.
          skipLibCheck: format === 'cjs',
          types: ['node'],
          outDir: 'out',
          noEmit: !resolution.run,
        },
        files: ['main.ts'],
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
      const label = `${format === 'esm' ? 'ES module' : 'CommonJS'} consumer, ${resolution.name} resolution`;
      run(
        process.execPath,
        [tsc, '-p', 'tsconfig.json'],
        dir,
        `${label}: tsc${resolution.run ? '' : ' --noEmit'}`,
      );
      if (resolution.run && existsSync(join(dir, 'out', 'main.js'))) {
        writeFileSync(
          join(dir, 'out', 'package.json'),
          JSON.stringify({ type: format === 'esm' ? 'module' : 'commonjs' }),
        );
        const output = run(process.execPath, [join('out', 'main.js')], dir, `${label}: runs`);
        check(
          /: ReplicaSetWithPrimary, primary .+, 3 servers/.test(output),
          `${label}: ${output.trim() || 'no output'}`,
        );
      }
    }
  }
}

/** With --enable-source-maps, a stack trace from the package names a shipped .ts file and line. */
function checkStackTrace(project: string): void {
  const script =
    "const { Topology } = require('waspnest');" +
    "try { new Topology('bogus://host'); } catch (e) { console.log(e.stack); }";
  const stack = run(
    process.execPath,
    ['--enable-source-maps', '-e', script],
    project,
    'a stack trace with --enable-source-maps',
  );
  const frame = /\((\/[^():]+\.ts):(\d+):\d+\)/.exec(stack);
  check(
    frame !== null && existsSync(frame[1] as string),
    `its frames name a file that exists (${frame?.[1]?.replace(project, '.') ?? 'no .ts frame'}:${frame?.[2] ?? ''})`,
  );
}

function checkCommand(project: string): void {
  const help = run('npx', ['--no', '--', 'waspnest', '--help'], project, 'npx waspnest --help');
  check(help.includes('Usage:') && help.includes('waspnest demo'), 'the help names the commands');
  const demo = run(
    'npx',
    ['--no', '--', 'waspnest', 'demo', '--duration', '2'],
    project,
    'npx waspnest demo --duration 2',
  );
  check(/summary after 2\.\d s/.test(demo), 'the demo prints its summary');
}

const work = mkdtempSync(join(tmpdir(), 'waspnest-package-'));
let exitCode = 1;
try {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
  const packOutput = run(
    'npm',
    ['pack', '--json', '--pack-destination', work],
    root,
    'npm pack (prepack builds)',
  );
  const [packed] = JSON.parse(packOutput.slice(packOutput.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
    size: number;
  }[];
  if (packed === undefined) throw new Error('npm pack reported no tarball');
  const files = packed.files.map((file) => file.path).sort();
  console.info(
    `     ${packed.filename}: ${files.length} files, ${(packed.size / 1024).toFixed(0)} kB packed`,
  );
  checkFileList(files, manifest);

  const project = join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  const typesNode = manifest.devDependencies['@types/node'] ?? 'latest';
  run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(work, packed.filename),
      `@types/node@${typesNode}`,
    ],
    project,
    'npm install of the tarball into a fresh project',
  );
  const installed = join(project, 'node_modules', manifest.name);
  checkSourceMaps(installed, files);
  checkReadmeLinks(installed, manifest);
  checkConsumers(project);
  checkStackTrace(project);
  checkCommand(project);
  exitCode = failures.length === 0 ? 0 : 1;
} catch (error) {
  console.error(error);
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.info(
  failures.length === 0 && exitCode === 0
    ? 'package: all checks passed'
    : `package: ${failures.length} check(s) failed`,
);
process.exitCode = exitCode;
