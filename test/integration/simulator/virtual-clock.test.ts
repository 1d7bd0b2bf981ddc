/**
 * A simulated replica set on a VirtualClock: its elections, replication lag, timeouts and dates
 * move only when the test advances the clock, so time-driven behaviour is exact and instant.
 */
import type { Document, Timestamp } from 'bson';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SimulatedReplicaSet,
  SimulatorClosedError,
  SimulatorOptionsError,
  SimulatorTimeoutError,
  VirtualClock,
  type ElectionEvent,
} from '../../../src/testing/index.js';
import { RawClient } from './raw-client.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);

let rs: SimulatedReplicaSet | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await rs?.close();
  rs = undefined;
});

async function command(address: string | undefined, document: Document): Promise<Document> {
  if (address === undefined) throw new Error('no address');
  const client = await RawClient.connect(address);
  clients.push(client);
  return (await client.command(document)).document;
}

interface LastWrite {
  readonly opTime: { readonly ts: Timestamp };
  readonly lastWriteDate: Date;
}

describe('SimulatedReplicaSet on a virtual clock', () => {
  it('elects a new primary exactly electionDelayMS of virtual time after the primary dies', async () => {
    const clock = new VirtualClock(START);
    rs = await SimulatedReplicaSet.start({ clock, electionDelayMS: 10_000 });
    const old = rs.primary ?? '';
    const elected: ElectionEvent[] = [];
    rs.on('primaryElected', (event) => elected.push(event));
    await rs.kill(old);
    expect(rs.primary).toBeUndefined();
    expect(clock.advance(9_999)).toBe(0);
    expect(rs.primary).toBeUndefined();
    expect(clock.advance(1)).toBe(1);
    expect(elected).toHaveLength(1);
    expect(rs.primary).toBe(elected[0]?.address);
    expect(rs.primary).not.toBe(old);
  });

  it('a lagged secondary applies a write when the lag has elapsed on the clock, with the dates of the clock', async () => {
    const clock = new VirtualClock(START);
    rs = await SimulatedReplicaSet.start({ clock, replicationLagMS: 0 });
    const primary = rs.primary ?? '';
    const [lagging, other] = rs.secondaries;
    rs.setReplicationLag(lagging ?? '', 60_000);
    clock.advance(5_000); // the write happens at START + 5 s
    const insert = await command(primary, { insert: 'c', documents: [{ _id: 1 }], $db: 'test' });
    expect(insert).toMatchObject({ ok: 1, n: 1 });
    const written = (await command(primary, { hello: 1 }))['lastWrite'] as LastWrite;
    expect(written.lastWriteDate).toEqual(new Date(START + 5_000));
    expect(written.opTime.ts.high).toBe(Math.floor((START + 5_000) / 1000)); // cluster time seconds
    expect(rs.memberState(other ?? '').applied).toBe(rs.memberState(primary).applied);
    expect(rs.memberState(lagging ?? '').applied).toBeLessThan(rs.memberState(primary).applied);

    clock.advance(59_999);
    expect(rs.memberState(lagging ?? '').applied).toBeLessThan(rs.memberState(primary).applied);
    clock.advance(1);
    expect(rs.memberState(lagging ?? '').applied).toBe(rs.memberState(primary).applied);
    const reply = await command(lagging, { hello: 1 });
    expect(reply['lastWrite']).toEqual(written);
    expect(reply['localTime']).toEqual(new Date(START + 65_000));
  });

  it('a waitFor timeout runs out on the clock, and close() leaves no virtual timer behind', async () => {
    const clock = new VirtualClock(START);
    rs = await SimulatedReplicaSet.start({ clock, autoElect: false });
    const wait = rs.waitFor('primaryElected', undefined, { timeoutMS: 1_000 });
    const outcome = wait.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    clock.advance(999);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(1);
    expect(await outcome).toBeInstanceOf(SimulatorTimeoutError);
    // The step-down's election is due electionDelayMS (10 ms) later on the clock, which stays put.
    const stepping = rs.stepDown().catch((error: unknown) => error);
    expect(clock.pendingTimers).toBe(1);
    await rs.close();
    expect(clock.pendingTimers).toBe(0);
    expect(await stepping).toBeInstanceOf(SimulatorClosedError);
  });

  it('rejects a clock that does not read a date', async () => {
    await expect(SimulatedReplicaSet.start({ clock: new VirtualClock() })).rejects.toThrow(
      SimulatorOptionsError,
    );
    await expect(SimulatedReplicaSet.start({ clock: new VirtualClock() })).rejects.toThrow(
      /ms since the epoch.*got 0/,
    );
  });
});
