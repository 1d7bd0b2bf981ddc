/**
 * Child of the `scale` and `selection` benchmarks that serves the deployment: `count` simulated
 * replica sets (3 members each unless told) on loopback, in a process of their own so that their
 * work is not charged to the process being measured (and the simulator's AsyncLocalStorage, which
 * slows every promise of a process on Node 20, stays out of it).
 *
 *   scale-simulator-child.ts <count> [members] [tagged]
 *
 * Sends `{ type: 'ready', uris }`, then closes everything on `{ type: 'close' }` and sends
 * `{ type: 'closed' }`.
 */
import { childMain, parentMessage, sendToParent } from './child.js';
import { startReplicaSet, type BenchReplicaSet } from './deployment.js';

const count = Number(process.argv[2] ?? 334);
const members = Number(process.argv[3] ?? 3);
const tagged = process.argv[4] === 'tagged';
const BATCH = 16;

await childMain(async () => {
  const sets: BenchReplicaSet[] = [];
  try {
    for (let i = 0; i < count; i += BATCH) {
      const batch = Math.min(BATCH, count - i);
      sets.push(
        ...(await Promise.all(Array.from({ length: batch }, () => startReplicaSet({ members, tagged })))),
      );
    }
    const closing = parentMessage('close');
    await sendToParent({ type: 'ready', uris: sets.map((s) => s.uri), servers: sets.length * members });
    await closing;
  } finally {
    for (let i = 0; i < sets.length; i += BATCH)
      await Promise.all(sets.slice(i, i + BATCH).map((s) => s.close()));
  }
  return { closed: sets.length };
});
