/**
 * Observing a deployment: listen to a Topology's events and log each failover with how long the
 * deployment had no primary, while a simulated replica set steps down, loses its primary to a
 * crash, and has one cut off by a network partition.
 *
 * Run: npx tsx examples/observe-failover.ts
 *
 * In your project, import from 'waspnest' and 'waspnest/testing' instead of '../src/...'.
 */
import { Topology, type PrimaryChangedEvent } from '../src/index.js';
import { SimulatedReplicaSet } from '../src/testing/index.js';

const rs = await SimulatedReplicaSet.start({ members: 3 });
const topology = new Topology(rs.uri, {
  // A member that was down is seen again at its next check (at once when another member names it
  // primary): check every 500 ms, not every 10 s, so returning secondaries show up quickly too.
  heartbeatFrequencyMS: 500,
  // A partitioned primary never answers; its check gives up after connectTimeoutMS + heartbeatFrequencyMS.
  connectTimeoutMS: 2000,
});

// The events a person wants: the primary, and whether writes and reads can go anywhere.
topology.on('primaryChanged', (e) => {
  if (e.current === null) console.log(`primary ${e.previous} lost: no primary known`);
  else if (e.previous === null)
    console.log(`primary ${e.current} known after ${e.durationMS?.toFixed(0)} ms without one`);
  else console.log(`primary ${e.previous} -> ${e.current} (direct switch)`);
});
topology.on('writableChanged', (e) => console.log(`writable: ${e.writable}`));
// The official driver's event names work too.
topology.on('serverDescriptionChanged', (e) => {
  if (e.previousDescription.type !== e.newDescription.type) {
    console.log(`  ${e.address}: ${e.previousDescription.type} -> ${e.newDescription.type}`);
  }
});

/** Resolves when the topology announces a primary other than `old` (events, not sleeps). */
function nextPrimary(old: string | undefined): Promise<PrimaryChangedEvent> {
  return new Promise((resolve) => {
    const listener = (e: PrimaryChangedEvent) => {
      if (e.current === null || e.current === old) return;
      topology.off('primaryChanged', listener);
      resolve(e);
    };
    topology.on('primaryChanged', listener);
  });
}

await topology.connect(); // resolves once any server is usable
const primary = await topology.selectServer('primary'); // waits (herd-free) until the primary is known
console.log(`connected: ${topology.snapshot.type}, primary ${primary.address}`);

for (const fault of ['stepDown', 'kill', 'partition'] as const) {
  const old = rs.primary;
  if (old === undefined) throw new Error('the set has no primary');
  const seen = nextPrimary(old);
  console.log(`--- ${fault} ${old}`);
  if (fault === 'stepDown') await rs.stepDown();
  else if (fault === 'kill') await rs.kill(old);
  else rs.partition(old);
  const e = await seen;
  console.log(`failover seen: ${old} -> ${e.current}`);
  if (fault === 'kill') await rs.restart(old);
  if (fault === 'partition') rs.heal(old);
}

const snapshot = topology.snapshot; // one local copy per decision
console.log(`final: ${snapshot.type}, snapshot v${snapshot.version}, ${snapshot.servers.size} servers`);
await topology.close();
await rs.close();
