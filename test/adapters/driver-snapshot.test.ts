import { describe, expect, it } from 'vitest';
import { Long, ObjectId } from 'bson';
import {
  emptySnapshot,
  serverDescriptionFromDriver,
  snapshotFromDriver,
  type DriverServerDescription,
  type DriverTopologyDescription,
} from '../../src/adapters/driver-snapshot.js';

// Shaped like the official driver's ServerDescription / TopologyDescription (mongodb 7).
const electionId = new ObjectId('7fffffff0000000000000003');
const processId = new ObjectId('65a1b2c3d4e5f60718293a4b');

function primary(overrides: Partial<DriverServerDescription> = {}): DriverServerDescription {
  return {
    address: 'A.example.com:27017',
    type: 'RSPrimary',
    hosts: ['a.example.com:27017', 'b.example.com:27017'],
    passives: [],
    arbiters: [],
    tags: { dc: 'east' },
    minWireVersion: 0,
    maxWireVersion: 25,
    roundTripTime: 2.5,
    minRoundTripTime: 2,
    lastUpdateTime: 1000,
    lastWriteDate: new Date('2024-01-01T00:00:00Z'),
    error: null,
    topologyVersion: { processId, counter: Long.fromNumber(3) },
    setName: 'rs0',
    setVersion: 1,
    electionId,
    logicalSessionTimeoutMinutes: 30,
    primary: 'a.example.com:27017',
    me: 'a.example.com:27017',
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    maxBsonObjectSize: 16_777_216,
    ...overrides,
  };
}

const unknownB: DriverServerDescription = {
  address: 'b.example.com:27017',
  type: 'Unknown',
  roundTripTime: -1,
  minRoundTripTime: 0,
  lastWriteDate: 0,
  error: Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoNetworkError' }),
};

function topology(
  servers: DriverServerDescription[],
  type = 'ReplicaSetWithPrimary',
): DriverTopologyDescription {
  return {
    type,
    servers: new Map(servers.map((s) => [s.address.toLowerCase(), s])),
    setName: 'rs0',
    maxSetVersion: 1,
    maxElectionId: electionId,
    compatible: true,
    logicalSessionTimeoutMinutes: 30,
  };
}

describe('serverDescriptionFromDriver', () => {
  it('converts BSON values to our plain fields', () => {
    const server = serverDescriptionFromDriver(primary());
    expect(server).toMatchObject({
      address: 'a.example.com:27017',
      type: 'RSPrimary',
      roundTripTime: 2.5,
      minRoundTripTime: 2,
      lastWriteDate: Date.parse('2024-01-01T00:00:00Z'),
      electionId: '7fffffff0000000000000003',
      topologyVersion: { processId: '65a1b2c3d4e5f60718293a4b', counter: 3 },
      tags: { dc: 'east' },
      error: null,
      setName: 'rs0',
    });
  });

  it('maps the driver\'s "not yet measured" values to null and keeps the error as plain data', () => {
    const server = serverDescriptionFromDriver(unknownB);
    expect(server.roundTripTime).toBeNull();
    expect(server.minRoundTripTime).toBeNull();
    expect(server.lastWriteDate).toBeNull();
    expect(server.error).toEqual({ name: 'MongoNetworkError', message: 'connect ECONNREFUSED' });
    expect(server.hosts).toEqual([]);
  });

  it('treats a server type it does not know as Unknown', () => {
    expect(serverDescriptionFromDriver(primary({ type: 'SomethingNew' })).type).toBe('Unknown');
  });
});

describe('snapshotFromDriver', () => {
  it('makes a frozen snapshot with the next version', () => {
    const first = snapshotFromDriver(emptySnapshot(), topology([primary(), unknownB]));
    expect(first.version).toBe(1);
    expect(first.type).toBe('ReplicaSetWithPrimary');
    expect(first.maxElectionId).toBe('7fffffff0000000000000003');
    expect([...first.servers.keys()]).toEqual(['a.example.com:27017', 'b.example.com:27017']);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.servers.get('a.example.com:27017'))).toBe(true);
    expect(() => (first.servers as Map<string, unknown>).set('x', 1)).toThrow();
  });

  it('returns the same object when the driver holds the same values in every field', () => {
    const first = snapshotFromDriver(emptySnapshot(), topology([primary(), unknownB]));
    expect(snapshotFromDriver(first, topology([primary(), { ...unknownB }]))).toBe(first);
  });

  it("takes the driver's current round-trip time and check time, sharing the other servers", () => {
    const first = snapshotFromDriver(emptySnapshot(), topology([primary(), unknownB]));
    const again = snapshotFromDriver(
      first,
      topology([primary({ roundTripTime: 2.9, lastUpdateTime: 2000 }), unknownB]),
    );
    expect(again).not.toBe(first);
    expect(again.version).toBe(first.version + 1);
    expect(again.servers.get('a.example.com:27017')).toMatchObject({
      roundTripTime: 2.9,
      lastUpdateTime: 2000,
    });
    expect(again.servers.get('b.example.com:27017')).toBe(first.servers.get('b.example.com:27017'));
  });

  it('shares unchanged server descriptions and replaces changed ones', () => {
    const first = snapshotFromDriver(emptySnapshot(), topology([primary(), unknownB]));
    const secondaryB: DriverServerDescription = {
      ...primary({
        address: 'b.example.com:27017',
        type: 'RSSecondary',
        electionId: null,
        me: 'b.example.com:27017',
      }),
    };
    const next = snapshotFromDriver(first, topology([primary(), secondaryB]));
    expect(next).not.toBe(first);
    expect(next.version).toBe(2);
    expect(next.servers.get('a.example.com:27017')).toBe(first.servers.get('a.example.com:27017'));
    expect(next.servers.get('b.example.com:27017')?.type).toBe('RSSecondary');
  });

  it('notices a topology-level change alone', () => {
    const first = snapshotFromDriver(emptySnapshot(), topology([primary()]));
    const next = snapshotFromDriver(first, { ...topology([primary()]), maxSetVersion: 2 });
    expect(next).not.toBe(first);
    expect(next.maxSetVersion).toBe(2);
    expect(next.servers.get('a.example.com:27017')).toBe(first.servers.get('a.example.com:27017'));
  });

  it('keeps an incompatibility with its reason', () => {
    const next = snapshotFromDriver(emptySnapshot(), {
      ...topology([primary()]),
      compatible: false,
      compatibilityError: 'Server at a requires wire version 99',
    });
    expect(next.compatible).toBe(false);
    expect(next.compatibilityError).toBe('Server at a requires wire version 99');
  });
});
