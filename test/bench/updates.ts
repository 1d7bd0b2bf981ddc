/**
 * Snapshot updates: nanoseconds per `applyServerDescription` (the pure state machine) with a
 * changed hello and a reply whose (=) fields are unchanged on 3-, 7- and 50-member snapshots,
 * whether the latter replaces the description without an event, and the heap retained after
 * 100,000 updates. Runs in a fresh child
 * process with --expose-gc. The driver has no pure equivalent to time, so these rows are ours only.
 */
import { runChild } from './child.js';
import type { Benchmark } from './results.js';

export const updatesBenchmark: Benchmark = {
  key: 'update',
  title: 'Snapshot updates (pure core, ours only)',
  rows: [
    { label: 'changed hello, 3 members', unit: 'ns', ours: 'changed3Ns' },
    { label: 'changed hello, 7 members', unit: 'ns', ours: 'changed7Ns' },
    { label: 'changed hello, 50 members', unit: 'ns', ours: 'changed50Ns' },
    { label: 'changed50Ns / changed3Ns', unit: 'count', ours: 'changedRatio50To3', target: '≤ 1.5' },
    { label: 'changed hello with parsing, 3 members', unit: 'ns', ours: 'parsedChanged3Ns' },
    { label: 'changed hello with parsing, 50 members', unit: 'ns', ours: 'parsedChanged50Ns' },
    {
      label: 'changed reply from its bytes (decode + read + apply), 3 members',
      unit: 'ns',
      ours: 'bytesChanged3Ns',
    },
    {
      label: 'changed reply from its bytes (decode + read + apply), 50 members',
      unit: 'ns',
      ours: 'bytesChanged50Ns',
    },
    {
      label: 'repeated reply from its bytes (compare + describe + apply), 3 members',
      unit: 'ns',
      ours: 'bytesUnchanged3Ns',
      target: '< the changed one',
    },
    {
      label: 'repeated reply from its bytes (compare + describe + apply), 50 members',
      unit: 'ns',
      ours: 'bytesUnchanged50Ns',
      target: '< the changed one',
    },
    { label: 'a reply whose (=) fields are unchanged, 3 members', unit: 'ns', ours: 'unchanged3Ns' },
    { label: 'a reply whose (=) fields are unchanged, 7 members', unit: 'ns', ours: 'unchanged7Ns' },
    { label: 'a reply whose (=) fields are unchanged, 50 members', unit: 'ns', ours: 'unchanged50Ns' },
    {
      label: 'a reply whose (=) fields are unchanged: replaces the description, no event',
      unit: 'yes/no',
      ours: 'unchangedReplacedNoEvent',
      target: 'yes',
    },
    {
      label: 'heap retained after 100,000 updates (50 members)',
      unit: 'MB',
      ours: 'retainedHeapMB',
      target: '≈ 0',
    },
  ],
  async run(context, figures, notes) {
    const message = await runChild('./updates-child.ts', context.quick ? ['--quick'] : [], {
      nodeFlags: ['--expose-gc'],
      timeoutMs: 120_000,
    });
    const sizes = message.sizes as Record<
      string,
      {
        changedNs: number;
        parsedChangedNs: number;
        unchangedNs: number;
        bytesChangedNs: number;
        bytesUnchangedNs: number;
        unchangedReplacedNoEvent: boolean;
      }
    >;
    let replaced = true;
    for (const size of ['3', '7', '50']) {
      const result = sizes[size];
      if (result === undefined) {
        figures.fail(`changed${size}Ns`, 'the child reported no figure');
        figures.fail(`unchanged${size}Ns`, 'the child reported no figure');
        continue;
      }
      figures.set(`changed${size}Ns`, result.changedNs);
      if (size !== '7') figures.set(`parsedChanged${size}Ns`, result.parsedChangedNs);
      figures.set(`unchanged${size}Ns`, result.unchangedNs);
      if (size !== '7') {
        figures.set(`bytesChanged${size}Ns`, result.bytesChangedNs);
        figures.set(`bytesUnchanged${size}Ns`, result.bytesUnchangedNs);
      }
      replaced &&= result.unchangedReplacedNoEvent;
    }
    figures.set('unchangedReplacedNoEvent', replaced);
    const c50 = figures.get('changed50Ns');
    const c3 = figures.get('changed3Ns');
    if (typeof c50 === 'number' && typeof c3 === 'number') figures.set('changedRatio50To3', c50 / c3);
    else figures.fail('changedRatio50To3', 'a changed figure is missing');
    figures.set('retainedHeapMB', message.retainedHeapMB as number);
    notes.push(
      'Timed: applyServerDescription alone (replies parsed beforehand with serverDescriptionFromHello). ' +
        '"Changed" alternates one secondary between two tag sets, so every call makes a new snapshot; ' +
        '"a reply whose (=) fields are unchanged" is the same reply again at a later time with another RTT: it replaces the description of the server (a new snapshot) and emits no event. ' +
        '"With parsing" also parses the reply ' +
        '(serverDescriptionFromHello) inside the timed call: reading a 50-entry hosts list is work ' +
        'that grows with the members, so this pair shows what a heartbeat costs end to end.',
      '"From its bytes" starts where the monitor starts, from the BSON of a mongod-7-like reply: a changed ' +
        'reply (another tag set) is decoded with bson, read with serverDescriptionFromHello and applied; a ' +
        "repeated one (only localTime differs) is compared with the last reply's bytes " +
        '(HelloBytesTemplate.match), described from the previous description (describeRepeatedHello) and ' +
        'applied. The state machine itself costs the same for both (the rows below): a repeated reply still ' +
        'replaces the description, as the specification requires.',
      `Retained heap: heapUsed after minus before ${String(message.retainedUpdates)} changed updates of a ` +
        '50-member snapshot keeping only the last one, after forced GCs, in a fresh process (--expose-gc).',
    );
  },
};
