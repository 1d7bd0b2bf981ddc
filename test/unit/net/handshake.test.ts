import { calculateObjectSize, Long, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import {
  buildClientMetadata,
  helloCommand,
  initialHelloCommand,
  MAX_METADATA_BYTES,
  validateAppName,
} from '../../../src/net/handshake.js';

const noDocker = () => false;

describe('client metadata', () => {
  it('names the application, driver, os and platform', () => {
    const metadata = buildClientMetadata({ appName: 'billing', env: {}, runningInDocker: noDocker });
    expect(metadata['application']).toEqual({ name: 'billing' });
    expect(metadata['driver']).toMatchObject({ name: 'waspnest' });
    expect(typeof (metadata['driver'] as { version: unknown }).version).toBe('string');
    expect(typeof (metadata['os'] as { type: unknown }).type).toBe('string');
    expect(metadata['platform']).toMatch(/^Node\.js v/);
    expect(metadata['env']).toBeUndefined();
  });

  it('describes FaaS and container environments in env', () => {
    const metadata = buildClientMetadata({
      env: { AWS_LAMBDA_RUNTIME_API: 'x', AWS_REGION: 'eu-west-1', KUBERNETES_SERVICE_HOST: '10.0.0.1' },
      runningInDocker: () => true,
    });
    expect(metadata['env']).toEqual({
      name: 'aws.lambda',
      region: 'eu-west-1',
      container: { runtime: 'docker', orchestrator: 'kubernetes' },
    });
  });

  it('appends wrapping libraries with "|" and refuses "|" inside their names', () => {
    const metadata = buildClientMetadata({
      driverInfo: [{ name: 'acme-odm', version: '2.0.0' }],
      env: {},
      runningInDocker: noDocker,
    });
    expect((metadata['driver'] as { name: string }).name).toBe('waspnest|acme-odm');
    expect((metadata['driver'] as { version: string }).version).toMatch(/\|2\.0\.0$/);
    expect(() => buildClientMetadata({ driverInfo: [{ name: 'a|b' }] })).toThrow(/must not contain "\|"/);
  });

  it('rejects an appName over 128 bytes with a clear error', () => {
    expect(() => validateAppName('x'.repeat(128))).not.toThrow();
    expect(() => validateAppName('é'.repeat(65))).toThrow(
      /appName is 130 bytes long; MongoDB accepts at most 128/,
    );
  });

  it('shrinks to 512 bytes in the specification order: env details, os details, env, then platform', () => {
    const long = 'p'.repeat(300);
    const metadata = buildClientMetadata({
      appName: 'a'.repeat(128),
      driverInfo: [{ name: 'w', platform: long }],
      env: { AWS_LAMBDA_RUNTIME_API: 'x', AWS_REGION: 'r'.repeat(100) },
      runningInDocker: noDocker,
    });
    expect(calculateObjectSize(metadata)).toBeLessThanOrEqual(MAX_METADATA_BYTES);
    expect(metadata['env']).toBeUndefined();
    expect(Object.keys(metadata['os'] as object)).toEqual(['type']);
    expect((metadata['platform'] as string).length).toBeLessThan(long.length);
    expect(metadata['application']).toEqual({ name: 'a'.repeat(128) });
  });
});

describe('handshake commands', () => {
  it('uses legacy hello over OP_QUERY with helloOk unless a server API or load balancing asks for hello', () => {
    const legacy = initialHelloCommand({ appName: 'x' });
    expect(legacy.useOpMsg).toBe(false);
    expect(legacy.command).toMatchObject({
      isMaster: 1,
      helloOk: true,
      client: { application: { name: 'x' } },
    });

    const api = initialHelloCommand({ serverApi: { version: '1', strict: true } });
    expect(api.useOpMsg).toBe(true);
    expect(api.command).toMatchObject({ hello: 1, apiVersion: '1', apiStrict: true });

    const lb = initialHelloCommand({ loadBalanced: true });
    expect(lb.useOpMsg).toBe(true);
    expect(lb.command).toMatchObject({ hello: 1, loadBalanced: true });
  });

  it('builds monitoring hellos without metadata, awaitable ones with topologyVersion (int64 counter) and maxAwaitTimeMS', () => {
    expect(helloCommand({ helloOk: true })).toEqual({ hello: 1, helloOk: true });
    expect(helloCommand({ helloOk: false })).toEqual({ isMaster: 1, helloOk: true });
    const processId = new ObjectId();
    const awaitable = helloCommand({
      helloOk: true,
      topologyVersion: { processId, counter: 4 },
      maxAwaitTimeMS: 10_000,
    });
    expect(awaitable['maxAwaitTimeMS']).toBe(10_000);
    expect(awaitable['topologyVersion']).toEqual({ processId, counter: Long.fromNumber(4) });
    expect(awaitable['client']).toBeUndefined();
  });
});
