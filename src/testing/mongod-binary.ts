/**
 * Finding a `mongod` binary for RealReplicaSet without downloading anything: the places
 * mongodb-memory-server itself looks, and the PATH. Answers at once, so a machine without a binary
 * gets a clear MongodUnavailableError instead of a download attempt or a long timeout.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** mongod binaries directly in `dir` or one level below (mongodb-memory-server's cache layouts). */
function binariesIn(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && /^mongod(-|$|\.exe$)/.test(entry.name) && isExecutableFile(full)) found.push(full);
    else if (entry.isDirectory()) {
      for (const name of ['mongod', 'mongod.exe']) {
        const nested = path.join(full, name);
        if (isExecutableFile(nested)) found.push(nested);
      }
    }
  }
  return found.sort().reverse();
}

/** Where findMongodBinary looked, in order (for the error message). */
export function mongodSearchLocations(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const locations: string[] = [];
  if (env['MONGOMS_SYSTEM_BINARY']) locations.push(`MONGOMS_SYSTEM_BINARY=${env['MONGOMS_SYSTEM_BINARY']}`);
  if (env['MONGOMS_DOWNLOAD_DIR']) locations.push(env['MONGOMS_DOWNLOAD_DIR']);
  locations.push(path.join(cwd, 'node_modules', '.cache', 'mongodb-memory-server'));
  locations.push(path.join(os.homedir(), '.cache', 'mongodb-binaries'));
  locations.push('mongod on PATH');
  return locations;
}

/** The path of a usable mongod binary, or null when there is none. */
export function findMongodBinary(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  const system = env['MONGOMS_SYSTEM_BINARY'];
  if (system) return isExecutableFile(system) ? path.resolve(system) : null;
  const dirs = [
    env['MONGOMS_DOWNLOAD_DIR'],
    path.join(cwd, 'node_modules', '.cache', 'mongodb-memory-server'),
    path.join(cwd, 'node_modules', '.cache', 'mongodb-memory-server', 'mongodb-binaries'),
    path.join(os.homedir(), '.cache', 'mongodb-binaries'),
  ];
  for (const dir of dirs) {
    if (!dir) continue;
    const [first] = binariesIn(dir);
    if (first) return first;
  }
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const name of process.platform === 'win32' ? ['mongod.exe'] : ['mongod']) {
      const candidate = path.join(dir, name);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return null;
}
