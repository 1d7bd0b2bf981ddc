/**
 * A failed SRV rescan against simulated mongos routers: the topology reports it as
 * `srvRescanFailed`, keeps its routers and goes on serving; a later good answer applies.
 * Synchronised on events and on the resolver's queries, never on time.
 */
import { describe, expect, it } from 'vitest';
import type { SrvRescanFailedEvent } from '../../../src/events/events.js';
import type { SrvAnswer, SrvResolver } from '../../../src/monitor/srv-poller.js';
import { nextEvent, until } from './helpers.js';
import { srvRouters, srvTopology } from './close-after-test.js';

/** Answers with `answer` (records, or an error to throw); `queried(n)` resolves once n queries were made. */
class SwitchableResolver implements SrvResolver {
  answer: readonly SrvAnswer[] | Error = [];
  #queries = 0;
  #waiting: { count: number; resolve: () => void }[] = [];
  async resolveSrv(): Promise<readonly SrvAnswer[]> {
    this.#queries += 1;
    const answer = this.answer;
    for (const waiter of this.#waiting.filter((w) => w.count <= this.#queries)) waiter.resolve();
    this.#waiting = this.#waiting.filter((w) => w.count > this.#queries);
    if (answer instanceof Error) throw answer;
    return answer;
  }
  async resolveTxt(): Promise<readonly (readonly string[])[]> {
    return [];
  }
  get queries(): number {
    return this.#queries;
  }
  queried(count: number): Promise<void> {
    if (this.#queries >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ count, resolve }));
  }
}

describe('a failed SRV rescan of simulated mongos routers', () => {
  it('is reported, keeps the routers in use, and stops once the records are back', async () => {
    const { answer, name } = await srvRouters(3);
    const resolver = new SwitchableResolver();
    resolver.answer = answer(0, 1);
    const t = srvTopology(resolver);
    const failures: SrvRescanFailedEvent[] = [];
    t.on('srvRescanFailed', (e) => failures.push(e));
    await t.connect();
    await until(
      t,
      (s) => s.type === 'Sharded' && [0, 1].every((i) => s.servers.get(name(i))?.type === 'Mongos'),
    );

    // DNS breaks: the routers stay, and a write still finds one.
    const failed = nextEvent(t, 'srvRescanFailed');
    resolver.answer = Object.assign(new Error('querySrv ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const event = await failed;
    expect(event).toMatchObject({
      srvHost: 'cluster.waspnest.test',
      reason: 'dnsError',
      keptHosts: [name(0), name(1)],
    });
    expect(event.error.message).toContain('_mongodb._tcp.cluster.waspnest.test failed (ECONNREFUSED)');
    expect([...t.snapshot.servers.keys()].sort()).toEqual([name(0), name(1)]);
    await expect(t.selectServer(undefined, { operation: 'write' })).resolves.toMatchObject({
      type: 'Mongos',
    });

    // DNS is back with other records: router2 appears, router0 goes.
    const opened = nextEvent(t, 'serverOpening', (e) => e.address === name(2));
    const closed = nextEvent(t, 'serverClosed', (e) => e.address === name(0));
    resolver.answer = answer(1, 2);
    await opened;
    await closed;
    // (A rescan may have failed again while the write was selected: count from here.)
    const failuresBefore = failures.length;
    // A rescan is scheduled only once the one before it was handled: when the resolver is asked
    // twice more, the answer before those was handled too, and it reported nothing.
    await resolver.queried(resolver.queries + 2);
    expect(failures).toHaveLength(failuresBefore);
    expect([...t.snapshot.servers.keys()].sort()).toEqual([name(1), name(2)]);
  });
});
