/**
 * Child of the `scale` benchmark that serves the deployment: `count` simulated replica sets of 3
 * members on loopback, in a process of their own so that their work is not charged to the
 * monitoring process being measured.
 *
 *   scale-simulator-child.ts <count>
 *
 * Sends `{ type: 'ready', uris }`, then closes everything on `{ type: 'close' }` and sends
 * `{ type: 'closed' }`.
 */
import { childMain, parentMessage, sendToParent } from './child.js';
import { startReplicaSet, type BenchReplicaSet } from './deployment.js';

const count = Number(process.argv[2] ?? 334);
const BATCH = 16;

await childMain(async () => {
  const sets: BenchReplicaSet[] = [];
  try {
    for (let i = 0; i < count; i += BATCH) {
      const batch = Math.min(BATCH, count - i);
      sets.push(...(await Promise.all(Array.from({ length: batch }, () => startReplicaSet({ members: 3 })))));
    }
    const closing = parentMessage('close');
    await sendToParent({ type: 'ready', uris: sets.map((s) => s.uri), servers: sets.length * 3 });
    await closing;
  } finally {
    for (let i = 0; i < sets.length; i += BATCH)
      await Promise.all(sets.slice(i, i + BATCH).map((s) => s.close()));
  }
  return { closed: sets.length };
});
