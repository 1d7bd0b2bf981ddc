/**
 * `$where` without JavaScript: true/false/sleep(ms) with || and &&. A sleep holds the reply on the
 * server's timers (never the process), as mongod's sleep holds the command.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedStandalone } from '../../../src/testing/index.js';
import { RawClient } from './raw-client.js';

let server: SimulatedStandalone;
let client: RawClient;

beforeEach(async () => {
  server = await SimulatedStandalone.start();
  client = await RawClient.connect(server.address);
  await client.command({ insert: 'c', documents: [{ _id: 1 }, { _id: 2 }], $db: 'test' });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

async function findIds(where: string): Promise<unknown> {
  const reply = (await client.command({ find: 'c', filter: { $where: where }, $db: 'test' })).document;
  if (reply['ok'] !== 1) return reply;
  return ((reply['cursor'] as { firstBatch: { _id: number }[] }).firstBatch ?? []).map((d) => d._id);
}

describe('$where', () => {
  it('evaluates true, false and sleep(ms) with JavaScript short-circuit', async () => {
    expect(await findIds('true')).toEqual([1, 2]);
    expect(await findIds('false')).toEqual([]);
    expect(await findIds('sleep(1) || true')).toEqual([1, 2]);
    expect(await findIds('sleep(1) && true')).toEqual([]);
    expect(await findIds('false || true && true')).toEqual([1, 2]);
  });

  it('refuses JavaScript it would have to run, naming what it understands', async () => {
    const reply = (await findIds('this.x > 1')) as Record<string, unknown>;
    expect(reply).toMatchObject({ ok: 0, code: 2, codeName: 'BadValue' });
    expect(String(reply['errmsg'])).toContain('sleep(ms)');
  });

  it('a sleep holds the reply: a later command on the same connection is answered first', async () => {
    const held = client.sendCommand({ find: 'c', filter: { $where: 'sleep(600000) || true' }, $db: 'test' });
    const ping = client.sendCommand({ ping: 1 });
    const first = await client.nextMessage();
    expect(first.responseTo).toBe(ping);
    expect(first.responseTo).not.toBe(held);
  });

  it('close() ends a held command with no timer left behind', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    client.sendCommand({ find: 'c', filter: { $where: 'sleep(600000) || true' }, $db: 'test' });
    await client.command({ ping: 1 }); // the find is now held
    await server.close();
    expect((await client.closed).errorCode).toBeNull();
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
