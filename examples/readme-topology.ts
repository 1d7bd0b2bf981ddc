/**
 * The README's "Use it" example, included there verbatim (test/examples/readme.test.ts checks
 * that it is identical, and test/examples/examples.test.ts runs it against a simulated replica
 * set through MONGODB_URI).
 *
 * Run: MONGODB_URI='mongodb://…' npx tsx examples/readme-topology.ts
 */
import { Topology, ServerSelectionError } from 'waspnest';

const uri =
  process.env.MONGODB_URI ?? 'mongodb://db1.example.com,db2.example.com,db3.example.com/?replicaSet=rs0';
const topology = new Topology(uri);
topology.on('primaryChanged', (e) => console.info(`primary: ${e.previous} -> ${e.current}`));

await topology.connect(); // resolves once a server that a read could use is known
const primary = await topology.selectServer('primary'); // waits for a primary, if there is none yet
const snap = topology.snapshot; // frozen; take it once per decision
console.info(`${snap.type}, primary ${primary.address}`);
console.info([...snap.servers.values()].map((s) => `${s.address} ${s.type}`)); // some may still be Unknown

try {
  // From the snapshot when it can; otherwise one shared wait for a refresh.
  const server = await topology.selectServer(
    { mode: 'secondaryPreferred', tags: [{ dc: 'east' }] },
    { timeoutMS: 5000 },
  );
  console.info(`read from ${server.address} (${server.type})`);
} catch (error) {
  if (error instanceof ServerSelectionError) console.error(error.message, error.servers);
}

const now = topology.selectServerNow('primary'); // never waits: a server or undefined
if (now === undefined) console.warn('no primary right now; failing fast');

await topology.close(); // no socket or timer left behind
