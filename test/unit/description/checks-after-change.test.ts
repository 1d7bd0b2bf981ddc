import { describe, expect, it } from 'vitest';
import { applyServerDescription } from '../../../src/description/apply-server-description.js';
import { checksAfterChange } from '../../../src/description/checks-after-change.js';
import { ServerType } from '../../../src/description/server-type.js';
import {
  serverDescriptionFromError,
  serverDescriptionFromHello,
} from '../../../src/description/server-description.js';
import { initialTopologyDescription } from '../../../src/description/topology-description.js';
import type { TopologyDescription } from '../../../src/description/types.js';
import { NetworkError } from '../../../src/errors.js';

const hosts = ['a:27017', 'b:27017', 'c:27017'];
const start = (): TopologyDescription => initialTopologyDescription(hosts, { replicaSet: 'rs', now: 0 });

function hello(address: string, role: 'primary' | 'secondary', primary: string | undefined, now = 1) {
  return serverDescriptionFromHello(
    address,
    {
      ok: 1,
      isWritablePrimary: role === 'primary',
      secondary: role === 'secondary',
      setName: 'rs',
      hosts,
      maxWireVersion: 21,
      ...(primary === undefined ? {} : { primary }),
    },
    { now },
  );
}

/** a is primary, b and c secondaries that name it. */
function withPrimaryA(): TopologyDescription {
  let snapshot = applyServerDescription(start(), hello('a:27017', 'primary', 'a:27017'));
  snapshot = applyServerDescription(snapshot, hello('b:27017', 'secondary', 'a:27017'));
  return applyServerDescription(snapshot, hello('c:27017', 'secondary', 'a:27017'));
}

describe('checksAfterChange', () => {
  it('asks for no check when nothing changed', () => {
    const snapshot = withPrimaryA();
    expect(checksAfterChange(snapshot, snapshot)).toEqual([]);
  });

  it('checks every server when the primary is lost', () => {
    const before = withPrimaryA();
    const after = applyServerDescription(
      before,
      serverDescriptionFromError('a:27017', new NetworkError('connection reset'), { now: 2 }),
    );
    expect(checksAfterChange(before, after)).toBe('all');
  });

  it('checks a server once, when it first becomes PossiblePrimary', () => {
    // b (secondary) names c, not yet checked, as primary: c becomes PossiblePrimary.
    const before = start();
    const after = applyServerDescription(before, hello('b:27017', 'secondary', 'c:27017'));
    expect(after.servers.get('c:27017')?.type).toBe(ServerType.PossiblePrimary);
    expect(checksAfterChange(before, after)).toEqual(['c:27017']);
    // Another report naming it again asks for nothing more.
    const again = applyServerDescription(after, hello('b:27017', 'secondary', 'c:27017', 2));
    expect(checksAfterChange(after, again)).toEqual([]);
  });

  it('checks a known secondary that a member starts naming as primary', () => {
    const before = withPrimaryA();
    // b now names c (known as a secondary) as the primary, while a still claims to be it.
    const after = applyServerDescription(before, hello('b:27017', 'secondary', 'c:27017', 2));
    expect(after.servers.get('c:27017')?.type).toBe(ServerType.RSSecondary);
    expect(checksAfterChange(before, after)).toEqual(['c:27017']);
  });

  it('asks nothing for a member that names the primary already known', () => {
    const before = withPrimaryA();
    const after = applyServerDescription(before, hello('b:27017', 'secondary', 'a:27017', 2));
    expect(after).not.toBe(before);
    expect(checksAfterChange(before, after)).toEqual([]);
  });
});
