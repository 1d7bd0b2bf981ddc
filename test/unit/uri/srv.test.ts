import { describe, expect, it } from 'vitest';
import { ConnectionStringError } from '../../../src/errors.js';
import {
  applySrvMaxHosts,
  diffSrvHosts,
  parseTxtOptions,
  srvParentDomain,
  srvQueryName,
  srvTargetProblem,
  validateSrvRecords,
} from '../../../src/uri/srv.js';

/** A deterministic stand-in for Math.random: cycles through the given values. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

describe('srvQueryName', () => {
  it('prefixes the service name and protocol', () => {
    expect(srvQueryName('cluster0.example.com')).toBe('_mongodb._tcp.cluster0.example.com');
    expect(srvQueryName('cluster0.example.com', 'customname')).toBe('_customname._tcp.cluster0.example.com');
  });
});

describe('the parent-domain check', () => {
  it('uses the host without its first label when it has three or more labels, else the whole host', () => {
    expect(srvParentDomain('cluster_1.tests.mongodb.co.uk')).toBe('tests.mongodb.co.uk');
    expect(srvParentDomain('hosts_34.example.com')).toBe('example.com');
    expect(srvParentDomain('mongo.local')).toBe('mongo.local');
    expect(srvParentDomain('localhost')).toBe('localhost');
  });

  it.each([
    // Prose test 2: the returned host does not end with the SRV's domain.
    ['localhost', 'localhost.mongodb'],
    ['mongo.local', 'test_1.evil.local'],
    ['blogs.mongodb.com', 'blogs.evil.com'],
    // Prose test 3: identical to an SRV host with fewer than three labels.
    ['localhost', 'localhost'],
    ['mongo.local', 'mongo.local'],
    // Prose test 4: shares the text of the domain but not at a '.' boundary.
    ['localhost', 'test_1.cluster_1localhost'],
    ['mongo.local', 'test_1.my_hostmongo.local'],
    ['blogs.mongodb.com', 'cluster.testmongodb.com'],
    // The seedlist test records that must fail.
    ['test12.test.build.10gen.cc', 'localhost.build.10gen.cc.'],
    ['test13.test.build.10gen.cc', 'test.build.10gen.cc.'],
    ['test14.test.build.10gen.cc', 'localhost.not-test.build.10gen.cc.'],
    ['test17.test.build.10gen.cc', 'localhost.test.build.10gen.not-cc.'],
  ])('rejects %s resolving to %s', (srvHost, target) => {
    expect(srvTargetProblem(srvHost, target)).toMatch(/is not a host in the domain/);
  });

  it.each([
    ['localhost', 'test_1.localhost'],
    ['mongo.local', 'test_1.mongo.local'],
    ['blogs.mongodb.com', 'cluster.mongodb.com'],
    ['blogs.mongodb.com', 'CLUSTER.MONGODB.COM.'],
    ['test1.test.build.10gen.cc', 'localhost.test.build.10gen.cc.'],
    ['test18.test.build.10gen.cc', 'localhost.sub.test.build.10gen.cc.'],
    // Identical to an SRV host with three or more labels is allowed.
    ['test.build.10gen.cc', 'test.build.10gen.cc.'],
    ['build.10gen.cc', 'build.10gen.cc'],
  ])('accepts %s resolving to %s', (srvHost, target) => {
    expect(srvTargetProblem(srvHost, target)).toBeNull();
  });
});

describe('validateSrvRecords', () => {
  it('turns valid records into normalised addresses, without duplicates', () => {
    const result = validateSrvRecords('test1.test.build.10gen.cc', [
      { name: 'Localhost.test.build.10gen.cc.', port: 27017 },
      { name: 'localhost.test.build.10gen.cc', port: 27018 },
      { name: 'localhost.test.build.10gen.cc.', port: 27017 },
    ]);
    expect(result.error).toBeNull();
    expect(result.rejected).toEqual([]);
    expect(result.addresses).toEqual([
      'localhost.test.build.10gen.cc:27017',
      'localhost.test.build.10gen.cc:27018',
    ]);
  });

  it('reports each rejected record, keeps the valid ones for polling, and errs for initial discovery', () => {
    const result = validateSrvRecords('test19.test.build.10gen.cc', [
      { name: 'localhost.evil.build.10gen.cc.', port: 27017 },
      { name: 'localhost.test.build.10gen.cc.', port: 27017 },
      { name: 'localhost.test.build.10gen.cc.', port: 0 },
    ]);
    expect(result.addresses).toEqual(['localhost.test.build.10gen.cc:27017']);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      "'localhost.evil.build.10gen.cc' is not a host in the domain 'test.build.10gen.cc'",
      'the port 0 is not from 1 to 65535',
    ]);
    expect(result.error).toBeInstanceOf(ConnectionStringError);
    expect(result.error?.message).toContain('localhost.evil.build.10gen.cc');
  });

  it('errs when there are no records', () => {
    const result = validateSrvRecords('test4.test.build.10gen.cc', []);
    expect(result.addresses).toEqual([]);
    expect(result.error?.message).toContain('returned no records');
  });
});

describe('applySrvMaxHosts', () => {
  const addresses = ['a:1', 'b:1', 'c:1', 'd:1'];

  it('keeps every address when srvMaxHosts is 0, absent, or not smaller than their number', () => {
    expect(applySrvMaxHosts(addresses, 0)).toEqual(addresses);
    expect(applySrvMaxHosts(addresses, undefined)).toEqual(addresses);
    expect(applySrvMaxHosts(addresses, 4)).toEqual(addresses);
    expect(applySrvMaxHosts(addresses, 9)).toEqual(addresses);
  });

  it('picks srvMaxHosts distinct addresses at random', () => {
    // Fisher-Yates from the end: random 0 swaps each position with the first.
    expect(applySrvMaxHosts(addresses, 2, sequence(0))).toEqual(['b:1', 'c:1']);
    expect(applySrvMaxHosts(addresses, 2, sequence(0.99))).toEqual(['a:1', 'b:1']);
    for (const r of [0, 0.3, 0.6, 0.99]) {
      const picked = applySrvMaxHosts(addresses, 3, sequence(r, 0.5));
      expect(picked).toHaveLength(3);
      expect(new Set(picked).size).toBe(3);
      for (const p of picked) expect(addresses).toContain(p);
    }
  });

  it('does not modify its input', () => {
    const input = [...addresses];
    applySrvMaxHosts(input, 1, sequence(0));
    expect(input).toEqual(addresses);
  });
});

describe('parseTxtOptions', () => {
  it('joins the strings of one record and reads the allowed options', () => {
    expect(parseTxtOptions([['replicaS', 'et=rep', 'l0']])).toEqual({
      options: { replicaSet: 'repl0' },
      warnings: [],
    });
    expect(parseTxtOptions([['replicaSet=repl0&authSource=thisDB&loadBalanced=false']]).options).toEqual({
      replicaSet: 'repl0',
      authSource: 'thisDB',
      loadBalanced: false,
    });
    expect(parseTxtOptions([])).toEqual({ options: {}, warnings: [] });
  });

  it.each([
    [[['replicaSet=repl0'], ['authSource=otherDB']], 'at most one is allowed'],
    [[['ssl=false']], "sets 'ssl'"],
    [[['socketTimeoutMS=500']], "sets 'socketTimeoutMS'"],
    [[['authSource']], 'has no value'],
  ])('rejects %j', (records, message) => {
    expect(() => parseTxtOptions(records)).toThrow(ConnectionStringError);
    expect(() => parseTxtOptions(records)).toThrow(message);
  });

  it('warns about an invalid value, as in a connection string', () => {
    const txt = parseTxtOptions([['loadBalanced=maybe']]);
    expect(txt.options).toEqual({});
    expect(txt.warnings).toEqual([
      'TXT record: Unsupported value "maybe" for option \'loadBalanced\': it must be "true" or "false" (ignored)',
    ]);
  });
});

describe('diffSrvHosts (SRV polling)', () => {
  it('removes hosts that are gone, leaves the others alone, and adds the new ones', () => {
    const diff = diffSrvHosts(['a:1', 'b:1', 'c:1'], ['d:1', 'c:1', 'a:1'], 0);
    expect(diff).toEqual({ hosts: ['a:1', 'c:1', 'd:1'], added: ['d:1'], removed: ['b:1'] });
  });

  it('changes nothing when the answer is empty (a failed rescan must not empty the topology)', () => {
    expect(diffSrvHosts(['a:1', 'b:1'], [], 0)).toEqual({ hosts: ['a:1', 'b:1'], added: [], removed: [] });
  });

  it('changes nothing when the answer is the same', () => {
    expect(diffSrvHosts(['a:1', 'b:1'], ['b:1', 'a:1'], 2)).toEqual({
      hosts: ['a:1', 'b:1'],
      added: [],
      removed: [],
    });
  });

  it('adds every new host when srvMaxHosts is not smaller than the answer', () => {
    expect(diffSrvHosts(['a:1'], ['a:1', 'b:1', 'c:1'], 3).added).toEqual(['b:1', 'c:1']);
  });

  it('fills up to srvMaxHosts with randomly chosen new hosts, keeping the existing ones', () => {
    const diff = diffSrvHosts(['a:1', 'b:1'], ['a:1', 'c:1', 'd:1', 'e:1'], 2, sequence(0));
    // 'b' is gone, 'a' is kept, one slot left for a new host.
    expect(diff.removed).toEqual(['b:1']);
    expect(diff.hosts).toHaveLength(2);
    expect(diff.hosts[0]).toBe('a:1');
    expect(diff.added).toHaveLength(1);
    expect(['c:1', 'd:1', 'e:1']).toContain(diff.added[0]);
  });

  it('adds nothing when the kept hosts already reach srvMaxHosts', () => {
    const diff = diffSrvHosts(['a:1', 'b:1'], ['a:1', 'b:1', 'c:1'], 2, sequence(0.5));
    expect(diff).toEqual({ hosts: ['a:1', 'b:1'], added: [], removed: [] });
  });
});
