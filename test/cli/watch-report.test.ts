import { describe, expect, it } from 'vitest';
import { scrubCredentials, unreachableReport } from '../../src/cli/watch.js';
import { DnsError, NetworkError, ServerSelectionError } from '../../src/errors.js';
import type { ServerHeartbeatFailedEvent } from '../../src/events/events.js';

function failed(
  address: string,
  failure: Error,
  phase: ServerHeartbeatFailedEvent['phase'],
): ServerHeartbeatFailedEvent {
  return {
    topologyId: 0,
    address,
    connectionId: `${address}#1`,
    awaited: false,
    duration: 1,
    failure,
    phase,
  };
}

describe('scrubCredentials', () => {
  it('hides the password of a connection string that could not be parsed', () => {
    const uri = 'mongodb://alice:s3cr%3At@db:99999/';
    expect(scrubCredentials(`cannot use ${uri}: port s3cr%3At`, uri)).toBe(
      'cannot use mongodb://alice:****@db:99999/: port ****',
    );
  });

  it('leaves text without credentials alone', () => {
    expect(scrubCredentials('port out of range', 'mongodb://db:99999/')).toBe('port out of range');
  });
});

describe('unreachableReport', () => {
  it('lists every server with where its check failed, DNS told apart, and a hint', () => {
    const error = new ServerSelectionError(
      'timed out',
      'allUnknown',
      { mode: 'nearest', tags: [], maxStalenessSeconds: null },
      'Unknown',
      [
        {
          address: 'a.invalid:27017',
          type: 'Unknown',
          error: 'x',
          lastHeartbeatAgeMS: 1,
          roundTripTimeMS: null,
        },
        {
          address: '127.0.0.1:1',
          type: 'Unknown',
          error: 'refused',
          lastHeartbeatAgeMS: 1,
          roundTripTimeMS: null,
        },
        {
          address: '127.0.0.1:2',
          type: 'Unknown',
          error: null,
          lastHeartbeatAgeMS: null,
          roundTripTimeMS: null,
        },
      ],
    );
    const failures = new Map([
      [
        'a.invalid:27017',
        failed(
          'a.invalid:27017',
          new DnsError('cannot resolve host "a.invalid": ENOTFOUND', 'a.invalid'),
          'dns',
        ),
      ],
      ['127.0.0.1:1', failed('127.0.0.1:1', new NetworkError('ECONNREFUSED'), 'connect')],
    ]);
    const timing = { timeoutMS: 2000, elapsedMS: 2003 };
    expect(
      unreachableReport('mongodb://a.invalid,127.0.0.1:1,127.0.0.1:2/', timing, error, failures),
    ).toEqual([
      'waspnest: could not reach mongodb://a.invalid,127.0.0.1:1,127.0.0.1:2/ within 2.0 s',
      '  a.invalid:27017 (Unknown): DNS lookup failed: DnsError: cannot resolve host "a.invalid": ENOTFOUND',
      '  127.0.0.1:1 (Unknown): connect failed: NetworkError: ECONNREFUSED',
      '  127.0.0.1:2 (Unknown): no answer yet',
      '  topology Unknown; selection failed: allUnknown',
      '  hint: a host name did not resolve; check its spelling and your DNS (see https://github.com/waspnest/waspnest/blob/main/docs/faq.md)',
    ]);
  });

  it('reports an error that is not about servers (a failed SRV lookup) as it is, after the time it took', () => {
    const lines = unreachableReport(
      'mongodb+srv://c.invalid/',
      { timeoutMS: 3000, elapsedMS: 812 },
      new DnsError('SRV lookup failed', 'c.invalid'),
      new Map(),
    );
    expect(lines).toEqual([
      'waspnest: could not reach mongodb+srv://c.invalid/ after 812 ms',
      '  DnsError: SRV lookup failed',
      '  hint: a host name did not resolve; check its spelling and your DNS (see https://github.com/waspnest/waspnest/blob/main/docs/faq.md)',
    ]);
  });
});
