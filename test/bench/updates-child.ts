/**
 * Child of the `updates` benchmark (run with --expose-gc): the cost of applying one server's
 * hello (one that changes a (=) field, and one that does not) to snapshots of 3, 7 and 50 members
 * through the pure core, and the heap retained after
 * 100,000 updates when only the last snapshot is kept.
 */
import { deserialize, Long, ObjectId, serialize } from 'bson';
import { HelloBytesTemplate } from '../../src/description/hello-reply-bytes.js';
import { applyServerDescription } from '../../src/description/apply-server-description.js';
import { sdamEventsBetween } from '../../src/description/sdam-events.js';
import {
  describeRepeatedHello,
  serverDescriptionFromHello,
} from '../../src/description/server-description.js';
import { initialTopologyDescription } from '../../src/description/topology-description.js';
import type { ServerDescription, TopologyDescription } from '../../src/description/types.js';
import { childMain } from './child.js';
import { nsPerCall } from './stats.js';

const quick = process.argv.includes('--quick');
const minMs = quick ? 150 : 600;
const retainedUpdates = 100_000;

function hosts(size: number): string[] {
  return Array.from({ length: size }, (_, i) => `db${i}.example.net:27017`);
}

const processIds = new Map<string, ObjectId>();
const electionId = new ObjectId();

/** A mongod-7-like hello reply of member `index` of an `size`-member set whose primary is member 0. */
function helloReply(
  members: readonly string[],
  index: number,
  tags: Record<string, string>,
): Record<string, unknown> {
  const me = members[index] as string;
  let processId = processIds.get(me);
  if (processId === undefined) {
    processId = new ObjectId();
    processIds.set(me, processId);
  }
  const primary = index === 0;
  return {
    topologyVersion: { processId, counter: Long.fromNumber(4) },
    hosts: members,
    setName: 'rs0',
    setVersion: 1,
    isWritablePrimary: primary,
    secondary: !primary,
    primary: members[0],
    me,
    ...(primary ? { electionId } : {}),
    tags,
    lastWrite: {
      opTime: { ts: Long.fromNumber(1), t: Long.fromNumber(1) },
      lastWriteDate: new Date(1_700_000_000_000),
    },
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(1_700_000_000_000),
    logicalSessionTimeoutMinutes: 30,
    connectionId: 1,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ok: 1,
  };
}

const rtt = { average: 1, min: 1, samples: [1] };
const laterRtt = { average: 1.2, min: 1, samples: [1, 2] };

/** A snapshot of an `size`-member set where every member has answered once. */
function settledSnapshot(members: readonly string[]): TopologyDescription {
  let snapshot = initialTopologyDescription(members, { replicaSet: 'rs0', now: 0 });
  members.forEach((member, index) => {
    const description = serverDescriptionFromHello(member, helloReply(members, index, { dc: 'a' }), {
      now: 1,
      roundTripTime: rtt,
    });
    snapshot = applyServerDescription(snapshot, description);
  });
  return snapshot;
}

interface SizeResult {
  changedNs: number;
  /** The same change with the reply parsed (serverDescriptionFromHello) inside the timed call. */
  parsedChangedNs: number;
  unchangedNs: number;
  /** From the reply's bytes, as the monitor gets them: decoded, read, applied (a changed reply). */
  bytesChangedNs: number;
  /** From the reply's bytes: recognised as repeated (no decoding), described, applied. */
  bytesUnchangedNs: number;
  /** The equal reply's snapshot holds the new description and no SDAM event is due. */
  unchangedReplacedNoEvent: boolean;
}

function measureSize(size: number): {
  result: SizeResult;
  base: TopologyDescription;
  variants: ServerDescription[];
} {
  const members = hosts(size);
  const base = settledSnapshot(members);
  const index = size - 1; // a secondary
  const address = members[index] as string;
  // Two descriptions of one secondary that differ in a field the specification counts (its tags),
  // so that applying them alternately makes a new snapshot every time.
  const variants = [
    serverDescriptionFromHello(address, helloReply(members, index, { dc: 'b' }), {
      now: 2,
      roundTripTime: rtt,
    }),
    serverDescriptionFromHello(address, helloReply(members, index, { dc: 'a' }), {
      now: 3,
      roundTripTime: rtt,
    }),
  ];
  // The same reply as the one already applied, received later with another RTT: no (=) field
  // changed, so the description is replaced and no event is due.
  const unchanged = serverDescriptionFromHello(address, helloReply(members, index, { dc: 'a' }), {
    now: 4,
    roundTripTime: laterRtt,
  });
  const replaced = applyServerDescription(base, unchanged);
  const unchangedReplacedNoEvent =
    replaced !== base &&
    replaced.servers.get(address) === unchanged &&
    sdamEventsBetween(base, replaced).length === 0;

  let current = base;
  const changedNs = nsPerCall(
    (iterations) => {
      for (let i = 0; i < iterations; i++)
        current = applyServerDescription(current, variants[i & 1] as ServerDescription);
    },
    { minMs, batch: 2_000 },
  );
  const replies = [helloReply(members, index, { dc: 'b' }), helloReply(members, index, { dc: 'a' })];
  let parsed = base;
  const parsedChangedNs = nsPerCall(
    (iterations) => {
      for (let i = 0; i < iterations; i++) {
        const reply = replies[i & 1] as Record<string, unknown>;
        parsed = applyServerDescription(
          parsed,
          serverDescriptionFromHello(address, reply, { now: 5 + i, roundTripTime: rtt }),
        );
      }
    },
    { minMs, batch: 2_000 },
  );
  let sink = 0;
  const unchangedNs = nsPerCall(
    (iterations) => {
      for (let i = 0; i < iterations; i++) sink += applyServerDescription(base, unchanged).version;
    },
    { minMs, batch: 20_000 },
  );
  // From bytes, as the monitor has them: a changed reply is decoded and read in full; a repeated
  // one (another localTime) is compared with the last reply's bytes and described from it.
  const encode = (tags: Record<string, string>, localTime: number): Buffer =>
    Buffer.from(serialize({ ...helloReply(members, index, tags), localTime: new Date(localTime) }));
  const changedBytes = [encode({ dc: 'b' }, 1), encode({ dc: 'a' }, 2)];
  let fromBytes = base;
  const bytesChangedNs = nsPerCall(
    (iterations) => {
      for (let i = 0; i < iterations; i++) {
        const reply = deserialize(changedBytes[i & 1] as Buffer, { promoteLongs: true, promoteValues: true });
        fromBytes = applyServerDescription(
          fromBytes,
          serverDescriptionFromHello(address, reply, { now: 5 + i, roundTripTime: rtt }),
        );
      }
    },
    { minMs, batch: 2_000 },
  );
  const template = HelloBytesTemplate.of(encode({ dc: 'a' }, 1));
  const repeatedBytes = encode({ dc: 'a' }, 3);
  const previous = base.servers.get(address) as ServerDescription;
  let repeated = base;
  const bytesUnchangedNs = nsPerCall(
    (iterations) => {
      for (let i = 0; i < iterations; i++) {
        const same = template?.match(repeatedBytes);
        if (same == null || same.lastWriteChanged) throw new Error('expected a repeated reply');
        const description = describeRepeatedHello(previous, { now: 6 + i, roundTripTime: laterRtt });
        if (description === undefined) throw new Error('expected a description');
        repeated = applyServerDescription(base, description);
      }
    },
    { minMs, batch: 2_000 },
  );
  if (sink < 0 || repeated.version < 0) console.log(sink); // keeps the loops from being optimised away
  return {
    result: {
      changedNs,
      parsedChangedNs,
      unchangedNs,
      bytesChangedNs,
      bytesUnchangedNs,
      unchangedReplacedNoEvent,
    },
    base,
    variants,
  };
}

function forceGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
}

/** Heap retained (MB) by 100,000 changed updates of which only the last snapshot is kept. */
function retainedHeapMB(base: TopologyDescription, variants: readonly ServerDescription[]): number {
  let current: TopologyDescription | null = null;
  forceGc();
  const before = process.memoryUsage().heapUsed;
  current = base;
  for (let i = 0; i < retainedUpdates; i++)
    current = applyServerDescription(current, variants[i & 1] as ServerDescription);
  forceGc();
  const after = process.memoryUsage().heapUsed;
  if (current.version < retainedUpdates)
    throw new Error(`expected ${retainedUpdates} new snapshots, got ${current.version}`);
  return (after - before) / 1024 / 1024;
}

await childMain(async () => {
  const sizes: Record<string, SizeResult> = {};
  let fifty: ReturnType<typeof measureSize> | undefined;
  // A first pass over every size lets the JIT settle on code that serves all of them; only the
  // second pass is reported (otherwise the first size measured pays for the warm-up).
  for (const size of [3, 7, 50]) measureSize(size);
  for (const size of [3, 7, 50]) {
    const measured = measureSize(size);
    sizes[String(size)] = measured.result;
    if (size === 50) fifty = measured;
  }
  if (fifty === undefined) throw new Error('unreachable');
  return { sizes, retainedHeapMB: retainedHeapMB(fifty.base, fifty.variants), retainedUpdates };
});
