/**
 * Credentials never become printable: not in `redacted`, String(), JSON, util.inspect,
 * spreads, warnings or error messages.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectionStringError } from '../../../src/errors.js';
import { parseConnectionString, type ConnectionString } from '../../../src/uri/connection-string.js';

const secret = 'Xy7Secret';

/** Every printable form of a parse result, joined. */
function printed(cs: ConnectionString): string {
  return [
    cs.redacted,
    String(cs),
    `${cs}`,
    JSON.stringify(cs),
    JSON.stringify({ ...cs }),
    JSON.stringify(cs.auth),
    JSON.stringify({ ...cs.auth }),
    JSON.stringify(cs.options),
    JSON.stringify({ ...cs.options }),
    inspect(cs, { depth: Infinity }),
    inspect(cs.auth),
    inspect(cs.options, { depth: Infinity }),
    ...cs.warnings,
  ].join('\n');
}

describe('the password', () => {
  it('is readable where it is needed', () => {
    const cs = parseConnectionString(`mongodb://alice:${secret}@db.example.com/admin`);
    expect(cs.auth?.username).toBe('alice');
    expect(cs.auth?.password).toBe(secret);
  });

  it('never appears when the result is printed', () => {
    const cs = parseConnectionString(`mongodb://alice:${secret}@db.example.com:27018,b/admin?replicaSet=rs0`);
    expect(printed(cs)).not.toContain(secret);
    expect(cs.redacted).toBe('mongodb://alice:****@db.example.com:27018,b/admin?replicaSet=rs0');
    expect(String(cs)).toBe(cs.redacted);
  });

  it('leaves a string without a password unchanged in redacted', () => {
    const uri = 'mongodb+srv://bob@cluster0.example.com/?authSource=admin&appName=x';
    expect(parseConnectionString(uri).redacted).toBe(uri);
  });

  it('is redacted even when it is empty', () => {
    expect(parseConnectionString('mongodb://alice:@h').redacted).toBe('mongodb://alice:****@h');
  });

  it('never appears in printed results, for any password (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (tail) => {
        const password = `QZX${tail}`;
        const cs = parseConnectionString(
          `mongodb://user:${encodeURIComponent(password)}@h.example.com/db?w=1`,
        );
        expect(cs.auth?.password).toBe(password);
        expect(printed(cs)).not.toContain('QZX');
      }),
      { numRuns: 500 },
    );
  });
});

describe('secret options', () => {
  it('are readable but not printed: tlsCertificateKeyFilePassword, proxyPassword, AWS_SESSION_TOKEN', () => {
    const cs = parseConnectionString(
      `mongodb://h/?tlsCertificateKeyFilePassword=${secret}1&proxyHost=p&proxyUsername=u&proxyPassword=${secret}2` +
        `&authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:${secret}3`,
    );
    expect(cs.options.tlsCertificateKeyFilePassword).toBe(`${secret}1`);
    expect(cs.options.proxyPassword).toBe(`${secret}2`);
    expect(cs.options.authMechanismProperties?.['AWS_SESSION_TOKEN']).toBe(`${secret}3`);
    expect(printed(cs)).not.toContain(secret);
    expect(cs.redacted).toBe(
      'mongodb://h/?tlsCertificateKeyFilePassword=****&proxyHost=p&proxyUsername=u&proxyPassword=****' +
        '&authMechanism=MONGODB-AWS&authMechanismProperties=****',
    );
  });

  it('are not echoed in warnings about their values', () => {
    const cs = parseConnectionString(`mongodb://h/?authMechanismProperties=${secret}`);
    expect(cs.warnings).toHaveLength(1);
    expect(cs.warnings[0]).toContain('authMechanismProperties');
    expect(cs.warnings[0]).not.toContain(secret);
  });
});

describe('error messages', () => {
  it.each([
    `mongodb://alice:${secret}:x@h`,
    `mongodb://alice@${secret}:x@h`,
    `mongodb://alice:${secret}%@h`,
    `mongodb://alice:${secret}%ZZ@h`,
    `mongodb://alice:${secret}/x@h/db`,
    `mongodb://alice:a/${secret}@h/db`,
    `mongodb://alice:${secret}?x@h/db`,
    `mongodb://alice:${secret}?x=1@h/db`,
    `mongodb://alice:a?${secret}@h/db`,
    `mongodb://alice:a?b=${secret}@h/db`,
    `mongodb://alice:a#${secret}@h`,
    `mongodb://alice:${secret}[@h`,
    `mongodb://alice:${secret}%C3%28@h`,
    `mongodb://alice:${secret}@h:0`,
    `mongodb://alice:${secret}@h/?w`,
    `mongodb://alice:${secret}@h/a$b`,
    `mongodb://alice:${secret}@a,b/?directConnection=true`,
    `mongo://alice:${secret}@h`,
  ])('do not contain the password: %s', (uri) => {
    let error: unknown;
    try {
      parseConnectionString(uri);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConnectionStringError);
    expect((error as Error).message).not.toContain(secret);
    expect(inspect(error)).not.toContain(secret);
  });
});
