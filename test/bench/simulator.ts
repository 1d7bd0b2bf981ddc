/**
 * The test kit's own cost: `SimulatedReplicaSet.start()` plus `close()` of a 3-member set
 * (median and max of 20), whether it leaves handles behind, and the same for `RealReplicaSet`
 * (mongodb-memory-server) where a mongod binary exists — otherwise the reason it could not run.
 */
import { RealReplicaSet } from '../../src/testing/real-replica-set.js';
import { SimulatedReplicaSet } from '../../src/testing/simulated-replica-set.js';
import type { Benchmark } from './results.js';
import { errorMessage, max, median, nowMs } from './stats.js';

const REPS = 20;

function handles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
}

function difference(after: readonly string[], before: readonly string[]): string[] {
  const left = [...before];
  const extra: string[] = [];
  for (const resource of after) {
    const index = left.indexOf(resource);
    if (index >= 0) left.splice(index, 1);
    else extra.push(resource);
  }
  return extra;
}

export const simulatorBenchmark: Benchmark = {
  key: 'simulator',
  title: 'Test kit: start + close of a 3-member replica set',
  rows: [
    {
      label: 'SimulatedReplicaSet start + close, warm-up run (first of the section)',
      unit: 'ms',
      ours: 'firstStartCloseMs',
    },
    {
      label: 'SimulatedReplicaSet start + close, median of 20',
      unit: 'ms',
      ours: 'startCloseMedianMs',
      target: 'milliseconds',
    },
    { label: 'SimulatedReplicaSet start + close, max of 20', unit: 'ms', ours: 'startCloseMaxMs' },
    { label: 'handles left after 20 start + close', unit: 'count', ours: 'leftHandles', target: '0' },
    { label: 'RealReplicaSet (mongodb-memory-server) start + close', unit: 'ms', ours: 'realStartCloseMs' },
  ],
  async run(context, figures, notes) {
    await new Promise((resolve) => setImmediate(resolve));
    const before = handles();
    const first = nowMs();
    await (await SimulatedReplicaSet.start({ members: 3 })).close();
    figures.set('firstStartCloseMs', nowMs() - first);
    const samples: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const start = nowMs();
      const rs = await SimulatedReplicaSet.start({ members: 3 });
      await rs.close();
      samples.push(nowMs() - start);
    }
    await new Promise((resolve) => setImmediate(resolve));
    const left = difference(handles(), before);
    figures.set('startCloseMedianMs', median(samples));
    figures.set('startCloseMaxMs', max(samples));
    figures.set('leftHandles', left.length);
    if (left.length > 0) notes.push(`Handles left after closing: ${left.join(', ')}.`);
    context.log(`simulated set start + close: median ${(median(samples) ?? 0).toFixed(2)} ms`);

    try {
      const start = nowMs();
      const real = await RealReplicaSet.start({ members: 3 });
      await real.close();
      figures.set('realStartCloseMs', nowMs() - start);
    } catch (error) {
      const reason = errorMessage(error);
      figures.fail('realStartCloseMs', reason);
      console.log(`  RealReplicaSet not measured: ${reason}`);
    }
    notes.push(
      `start() awaited to a primary-ready set, then close(): once cold (the first in the process loads modules), ` +
        `then ${REPS} times in a row; the handle check compares process.getActiveResourcesInfo() before and after. ` +
        '`npx tsx test/bench/simulator-startup.ts` prints the same median on its own.',
      'RealReplicaSet needs a mongod binary (mongodb-memory-server cannot download one here); when it cannot start, ' +
        'the row shows its error instead of a figure.',
    );
  },
};
