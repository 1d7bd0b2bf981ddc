import { describe, expect, it } from 'vitest';
import { Long, ObjectId } from 'bson';
import { MongoNetworkError, MongoNetworkTimeoutError, MongoServerError } from 'mongodb';
import {
  applyApplicationError,
  NO_ERROR_ACTIONS,
  type ApplicationErrorContext,
  type ErrorActions,
} from '../../../src/description/application-error.js';
import { applyServerDescription } from '../../../src/description/apply-server-description.js';
import { sdamEventsBetween } from '../../../src/description/sdam-events.js';
import { initialTopologyDescription } from '../../../src/description/topology-description.js';
import {
  loadBalancerServerDescription,
  serverDescriptionFromHello,
} from '../../../src/description/server-description.js';
import {
  DnsError,
  NetworkError,
  NetworkTimeoutError,
  ProcessStallError,
  ServerReplyError,
  WireProtocolError,
} from '../../../src/errors.js';
import type { TopologyDescription } from '../../../src/description/types.js';
import { systemError } from '../net/system-error.js';

const processId = new ObjectId('000000000000000000000001');

/** A replica set whose primary a:27017 runs with topologyVersion (processId, 1). */
function withPrimary(maxWireVersion = 9): TopologyDescription {
  const snapshot = initialTopologyDescription(['a', 'b'], { replicaSet: 'rs', now: 0 });
  return applyServerDescription(
    snapshot,
    serverDescriptionFromHello(
      'a:27017',
      {
        ok: 1,
        isWritablePrimary: true,
        setName: 'rs',
        hosts: ['a:27017', 'b:27017'],
        maxWireVersion,
        topologyVersion: { processId, counter: new Long(1) },
      },
      { now: 1 },
    ),
  );
}

const after = (maxWireVersion = 9): ApplicationErrorContext => ({
  now: 10,
  when: 'afterHandshakeCompletes',
  maxWireVersion,
  poolGeneration: 0,
});
const before: ApplicationErrorContext = { ...after(), when: 'beforeHandshakeCompletes' };
const reply = (code: number | undefined, errmsg: string, counter?: number) => ({
  ok: 0,
  errmsg,
  ...(code === undefined ? {} : { code }),
  ...(counter === undefined ? {} : { topologyVersion: { processId, counter: new Long(counter) } }),
});
const serverError = (code: number, errmsg: string) =>
  new ServerReplyError(errmsg, code, undefined, reply(code, errmsg));

const stateChange: ErrorActions = { ...NO_ERROR_ACTIONS, requestImmediateCheck: true };
const stateChangeClearing: ErrorActions = { ...stateChange, clearPool: true };
const network: ErrorActions = { ...NO_ERROR_ACTIONS, clearPool: true, cancelInFlightCheck: true };

describe('applyApplicationError', () => {
  const cases: [string, unknown, ApplicationErrorContext, 'Unknown' | 'RSPrimary', ErrorActions][] = [
    ['NotWritablePrimary (4.2+)', serverError(10107, 'not primary'), after(), 'Unknown', stateChange],
    [
      'NotPrimaryNoSecondaryOk (4.2+)',
      serverError(13435, 'not primary and secondaryOk=false'),
      after(),
      'Unknown',
      stateChange,
    ],
    ['LegacyNotPrimary (4.2+)', serverError(10058, 'not master'), after(), 'Unknown', stateChange],
    [
      'InterruptedDueToReplStateChange (4.2+)',
      serverError(11602, 'interrupted'),
      after(),
      'Unknown',
      stateChange,
    ],
    ['PrimarySteppedDown (4.2+)', serverError(189, 'stepped down'), after(), 'Unknown', stateChange],
    ['NotPrimaryOrSecondary (4.2+)', serverError(13436, 'recovering'), after(), 'Unknown', stateChange],
    [
      'ShutdownInProgress clears the pool',
      serverError(91, 'shutting down'),
      after(),
      'Unknown',
      stateChangeClearing,
    ],
    [
      'InterruptedAtShutdown clears the pool',
      serverError(11600, 'interrupted at shutdown'),
      after(),
      'Unknown',
      stateChangeClearing,
    ],
    [
      'a state change before 4.2 clears the pool',
      serverError(10107, 'not primary'),
      after(7),
      'Unknown',
      stateChangeClearing,
    ],
    [
      '"not master" without a code, by message',
      reply(undefined, 'not master'),
      after(),
      'Unknown',
      stateChange,
    ],
    [
      '"node is recovering" without a code',
      reply(undefined, 'node is recovering'),
      after(),
      'Unknown',
      stateChange,
    ],
    [
      '"not master or secondary" without a code',
      reply(undefined, 'not master or secondary'),
      after(),
      'Unknown',
      stateChange,
    ],
    ['a code decides over the message', reply(1, 'not master'), after(), 'RSPrimary', NO_ERROR_ACTIONS],
    ['another command error', serverError(11000, 'duplicate key'), after(), 'RSPrimary', NO_ERROR_ACTIONS],
    [
      'a write concern error is checked like a command error',
      { ok: 1, writeConcernError: { code: 91, errmsg: 'shutting down' } },
      after(),
      'Unknown',
      stateChangeClearing,
    ],
    [
      'writeErrors are never checked',
      { ok: 1, writeErrors: [{ code: 10107, errmsg: 'not primary' }] },
      after(),
      'RSPrimary',
      NO_ERROR_ACTIONS,
    ],
    ['a newer topologyVersion is not stale', reply(10107, 'not primary', 2), after(), 'Unknown', stateChange],
    [
      'an equal topologyVersion is stale',
      reply(10107, 'not primary', 1),
      after(),
      'RSPrimary',
      NO_ERROR_ACTIONS,
    ],
    [
      'an older topologyVersion is stale',
      reply(91, 'shutting down', 0),
      after(),
      'RSPrimary',
      NO_ERROR_ACTIONS,
    ],
    [
      'an older pool generation is stale',
      new NetworkError('reset'),
      { ...after(), poolGeneration: 2, errorGeneration: 1 },
      'RSPrimary',
      NO_ERROR_ACTIONS,
    ],
    [
      'a network error after the handshake',
      new NetworkError('connection reset'),
      after(),
      'Unknown',
      network,
    ],
    [
      'garbage on the wire is a network error',
      new WireProtocolError('bad length'),
      after(),
      'Unknown',
      network,
    ],
    [
      'a timeout after the handshake is ignored',
      new NetworkTimeoutError('timed out'),
      after(),
      'RSPrimary',
      NO_ERROR_ACTIONS,
    ],
    [
      'a process stall is a timeout',
      new ProcessStallError('stalled', 5000),
      after(),
      'RSPrimary',
      NO_ERROR_ACTIONS,
    ],
    [
      'a network error while connecting is backpressure',
      new NetworkError('refused'),
      before,
      'RSPrimary',
      NO_ERROR_ACTIONS,
    ],
    [
      'a timeout while connecting is backpressure',
      new NetworkTimeoutError('connect timeout'),
      before,
      'RSPrimary',
      NO_ERROR_ACTIONS,
    ],
    ['a DNS failure is never backpressure', new DnsError('ENOTFOUND a', 'a'), before, 'Unknown', network],
    ['an authentication failure', serverError(18, 'Authentication failed.'), before, 'Unknown', network],
    [
      'an error labelled SystemOverloadedError',
      Object.assign(new Error('overloaded'), {
        name: 'MongoServerError',
        code: 462,
        errorLabels: ['SystemOverloadedError'],
      }),
      before,
      'RSPrimary',
      NO_ERROR_ACTIONS,
    ],
    ["the driver's MongoNetworkError", new MongoNetworkError('socket closed'), after(), 'Unknown', network],
    [
      "the driver's MongoNetworkTimeoutError",
      new MongoNetworkTimeoutError('timed out'),
      after(),
      'RSPrimary',
      NO_ERROR_ACTIONS,
    ],
    [
      "the driver's MongoServerError with a topologyVersion",
      new MongoServerError({
        ok: 0,
        errmsg: 'not primary',
        code: 10107,
        topologyVersion: { processId, counter: new Long(5) },
      }),
      after(),
      'Unknown',
      stateChange,
    ],
    ["Node's ECONNRESET", systemError('read', 'ECONNRESET'), after(), 'Unknown', network],
    [
      'a plain Error is nothing SDAM knows',
      new Error('bug in user code'),
      after(),
      'RSPrimary',
      NO_ERROR_ACTIONS,
    ],
    ['a thrown string', 'oops', after(), 'RSPrimary', NO_ERROR_ACTIONS],
    ['null', null, before, 'RSPrimary', NO_ERROR_ACTIONS],
  ];

  it.each(cases)('%s', (_name, error, context, type, actions) => {
    const snapshot = withPrimary(context.maxWireVersion);
    const outcome = applyApplicationError(snapshot, 'A:27017', error, context);
    expect(outcome.actions).toEqual(actions);
    expect(outcome.snapshot.servers.get('a:27017')?.type).toBe(type);
    if (type === 'RSPrimary') expect(outcome.snapshot).toBe(snapshot);
    else {
      expect(outcome.snapshot.type).toBe('ReplicaSetNoPrimary');
      expect(outcome.snapshot.version).toBe(snapshot.version + 1);
      expect(outcome.snapshot.servers.get('a:27017')?.error).not.toBeNull();
    }
  });

  it("keeps the state change error's topologyVersion and message on the Unknown server", () => {
    const outcome = applyApplicationError(withPrimary(), 'a:27017', reply(91, 'shutting down', 3), after());
    expect(outcome.snapshot.servers.get('a:27017')).toMatchObject({
      type: 'Unknown',
      topologyVersion: { processId: processId.toHexString(), counter: 3 },
      error: { message: 'shutting down', code: 91 },
    });
  });

  it('ignores errors for servers not in the topology', () => {
    const snapshot = withPrimary();
    expect(applyApplicationError(snapshot, 'z:27017', new NetworkError('x'), after())).toEqual({
      snapshot,
      actions: NO_ERROR_ACTIONS,
    });
  });

  it('never marks a load balancer Unknown, but still clears its pool', () => {
    let snapshot = initialTopologyDescription(['lb'], { loadBalanced: true, now: 0 });
    snapshot = applyServerDescription(snapshot, loadBalancerServerDescription('lb:27017', 0));
    const shutdown = applyApplicationError(snapshot, 'lb:27017', serverError(91, 'shutting down'), after());
    expect(shutdown).toEqual({ snapshot, actions: { ...NO_ERROR_ACTIONS, clearPool: true } });
    const notPrimary = applyApplicationError(
      snapshot,
      'lb:27017',
      serverError(10107, 'not primary'),
      after(),
    );
    expect(notPrimary).toEqual({ snapshot, actions: NO_ERROR_ACTIONS });
    const reset = applyApplicationError(snapshot, 'lb:27017', new NetworkError('reset'), after());
    expect(reset).toEqual({ snapshot, actions: { ...NO_ERROR_ACTIONS, clearPool: true } });
  });

  it('a second identical network error replaces the Unknown description and changes nothing else', () => {
    const first = applyApplicationError(withPrimary(), 'a:27017', new NetworkError('reset'), after());
    const second = applyApplicationError(first.snapshot, 'a:27017', new NetworkError('reset'), {
      ...after(),
      now: 11,
    });
    expect(second.snapshot.servers.get('a:27017')).toMatchObject({ type: 'Unknown', lastUpdateTime: 11 });
    expect(second.snapshot.version).toBe(first.snapshot.version + 1);
    // Nothing the specification's equality counts changed: no event is due.
    expect(sdamEventsBetween(first.snapshot, second.snapshot)).toEqual([]);
    expect(second.actions.clearPool).toBe(true);
  });
});
