/**
 * Prints how long `SimulatedReplicaSet.start()` + `close()` of a 3-member set takes: the median
 * of 20 runs, in ms, after one warm-up run. `npx tsx test/bench/simulator-startup.ts`
 */
import { SimulatedReplicaSet } from '../../src/testing/index.js';

const RUNS = 20;

async function once(): Promise<number> {
  const started = performance.now();
  const rs = await SimulatedReplicaSet.start({ members: 3 });
  await rs.close();
  return performance.now() - started;
}

await once();
const samples: number[] = [];
for (let i = 0; i < RUNS; i++) samples.push(await once());
samples.sort((a, b) => a - b);
const median = ((samples[RUNS / 2 - 1] ?? 0) + (samples[RUNS / 2] ?? 0)) / 2;
console.log(
  `SimulatedReplicaSet start+close (3 members): median ${median.toFixed(2)} ms of ${RUNS} (min ${(samples[0] ?? 0).toFixed(2)}, max ${(samples[RUNS - 1] ?? 0).toFixed(2)})`,
);
