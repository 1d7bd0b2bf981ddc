/**
 * Fails when two or more modules under src/ import each other, directly or through others,
 * counting type-only imports too: the layering is a tree of folders, and a cycle is a back-edge
 * that no-restricted-imports cannot see when both ends sit in the same folder.
 * Usage: tsx scripts/import-cycles.ts [rootDir]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

// Static `import`/`export ... from` specifiers, type-only included; dynamic import() is left out
// on purpose: it is how the shell reaches optional peers lazily.
const specifierPattern =
  /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const targets: string[] = [];
  for (const match of text.matchAll(specifierPattern)) {
    const specifier = match[1] ?? match[2];
    if (specifier === undefined || !specifier.startsWith('.')) continue;
    targets.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
  }
  return targets;
}

/**
 * Cycles known and accepted for now, each to be broken in its own change; listed by their sorted
 * module paths relative to the root. A listed cycle that no longer exists fails too, so that this
 * list only shrinks. Empty: there is no cycle under src/.
 */
const knownCycles: readonly string[] = [];

const files = sourceFiles(root);
const graph = new Map(files.map((file) => [file, importsOf(file).filter((target) => target !== file)]));

// Tarjan's strongly connected components: every component of more than one module is a cycle.
let index = 0;
const indexOf = new Map<string, number>();
const lowLink = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const cycles: string[][] = [];

function visit(file: string): void {
  indexOf.set(file, index);
  lowLink.set(file, index);
  index += 1;
  stack.push(file);
  onStack.add(file);
  for (const target of graph.get(file) ?? []) {
    if (!graph.has(target)) continue;
    if (!indexOf.has(target)) {
      visit(target);
      lowLink.set(file, Math.min(lowLink.get(file)!, lowLink.get(target)!));
    } else if (onStack.has(target)) {
      lowLink.set(file, Math.min(lowLink.get(file)!, indexOf.get(target)!));
    }
  }
  if (lowLink.get(file) !== indexOf.get(file)) return;
  const component: string[] = [];
  let member: string;
  do {
    member = stack.pop()!;
    onStack.delete(member);
    component.push(member);
  } while (member !== file);
  if (component.length > 1) cycles.push(component);
}

for (const file of files) if (!indexOf.has(file)) visit(file);

const found = cycles.map((cycle) =>
  cycle
    .map((file) => relative(root, file))
    .sort()
    .join(' '),
);
const unexpected = found.filter((cycle) => !knownCycles.includes(cycle));
const gone = knownCycles.filter((cycle) => !found.includes(cycle));
for (const cycle of unexpected) {
  console.error(`import cycle among modules (type-only imports count):\n  ${cycle.split(' ').join('\n  ')}`);
}
for (const cycle of gone) {
  console.error(`the known cycle "${cycle}" is gone: remove it from knownCycles in scripts/import-cycles.ts`);
}
if (unexpected.length > 0 || gone.length > 0) {
  process.exitCode = 1;
} else {
  const known = knownCycles.length === 0 ? '' : ` (${knownCycles.length} known, listed in the script)`;
  const which = knownCycles.length === 0 ? 'no' : 'no new';
  console.log(
    `import-cycles: ${which} cycle among ${files.length} modules under ${relative(process.cwd(), root)}${known}`,
  );
}
