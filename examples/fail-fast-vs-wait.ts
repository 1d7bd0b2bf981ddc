/**
 * Failing fast versus waiting for a refresh, during a failover. When the primary is lost, a
 * caller can ask `selectServerNow()` (a server from the current snapshot or `undefined`, never
 * waits: for requests that have something better to do, such as serving a cached answer) or
 * `await selectServer()` (waits for the monitors to find a new primary, up to a deadline).
 * However many callers wait, they share one refresh: the servers are not checked once per caller.
 *
 * Run: npx tsx examples/fail-fast-vs-wait.ts
 *
 * In your project, import from 'waspnest' and 'waspnest/testing' instead of '../src/...'.
 */
import { Topology, type PrimaryChangedEvent } from '../src/index.js';
import { SimulatedReplicaSet } from '../src/testing/index.js';

// A slow election (300 ms) so that the moment without a primary is easy to see.
const rs = await SimulatedReplicaSet.start({ members: 3, electionDelayMS: 300 });
const topology = new Topology(rs.uri, { heartbeatFrequencyMS: 10_000 });
await topology.connect();
const old = (await topology.selectServer('primary')).address;
const checksBefore = rs.members.map((address) => rs.commandCount(address, 'hello'));

// Act at the moment our topology learns the primary is gone (an event, not a sleep).
const lost = new Promise<PrimaryChangedEvent>((resolve) => {
  const listener = (e: PrimaryChangedEvent) => {
    if (e.current !== null) return;
    topology.off('primaryChanged', listener);
    resolve(e);
  };
  topology.on('primaryChanged', listener);
});
await rs.kill(old);
await lost;

// 1. Fail fast: no primary in the snapshot, so no server, at once.
const now = topology.selectServerNow('primary');
console.log(
  `selectServerNow('primary') during the failover: ${now === undefined ? 'undefined (failed fast)' : now.address}`,
);
console.log(`isWritable(): ${topology.isWritable()}`);

// 2. Wait: 1000 concurrent callers wait for the new primary, each with a 5 s deadline.
const started = performance.now();
const waiters = Array.from({ length: 1000 }, () => topology.selectServer('primary', { timeoutMS: 5000 }));
console.log(`waiting: ${topology.waiting.selections} callers in ${topology.waiting.groups} shared wait(s)`);
const servers = await Promise.all(waiters);
const elected = new Set(servers.map((s) => s.address));
console.log(
  `all 1000 waiting callers got ${[...elected].join(', ')} after ${Math.round(performance.now() - started)} ms`,
);
console.log(`the new primary is the simulator's: ${rs.primary !== undefined && elected.has(rs.primary)}`);

// The herd stayed home: the live servers answered a handful of checks, not thousands.
const checks = rs.members
  .filter((address) => address !== old)
  .map((address) => rs.commandCount(address, 'hello') - (checksBefore[rs.members.indexOf(address)] ?? 0));
console.log(`hello checks per live server during the failover: ${checks.join(', ')}`);

await topology.close();
await rs.close();
