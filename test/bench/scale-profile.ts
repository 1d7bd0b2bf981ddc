/**
 * Where the scale window's CPU goes: runs the scale benchmark's deployment and one side's
 * monitoring child (plain node, ours from dist/: run `npm run build` first) with the window
 * CPU-profiled, and prints the child's figures. Open the .cpuprofile in Chrome DevTools.
 *
 *   npx tsx test/bench/scale-profile.ts <ours|driver> <poll|stream> <windowMs> <file.cpuprofile>
 */
import { BenchChild, runChildWith } from './child.js';

const [side = 'ours', mode = 'poll', windowMs = '15000', file = ''] = process.argv.slice(2);
const simulator = new BenchChild('./scale-simulator-child.ts', ['334'], { timeoutMs: 900_000 });
try {
  const ready = await simulator.next('ready');
  const uris = ready.uris as string[];
  const result = await runChildWith(
    './scale-monitor-child.mjs',
    [side, windowMs, mode],
    { timeoutMs: 600_000, plainNode: true, env: file === '' ? {} : { SCALE_CPU_PROFILE: file } },
    (child) => child.send({ type: 'uris', uris }),
  );
  console.log(JSON.stringify(result));
  simulator.send({ type: 'close' });
  await simulator.next('result');
} finally {
  simulator.kill('done');
  await simulator.exited;
}
