import { describe, expect, it } from 'vitest';
import { addressProblem, normalizeAddress, tryNormalizeAddress } from '../../../src/description/address.js';

describe('tryNormalizeAddress (memoised)', () => {
  const texts = ['Example.COM', 'example.com:27018', '[::1]', '::1', '/tmp/mongodb-27017.sock', 'a:1', 'A:1'];
  const bad = ['', 'host:0', 'host:99999', '[::1', 'ho st:1', ':27017'];

  it('gives what normalizeAddress gives, the first time and every time after', () => {
    for (let round = 0; round < 2; round++) {
      for (const text of texts) expect(tryNormalizeAddress(text)).toBe(normalizeAddress(text));
    }
  });

  it('gives null for what addressProblem rejects, every time (bad text is never remembered as good)', () => {
    for (let round = 0; round < 2; round++) {
      for (const text of bad) {
        expect(addressProblem(text)).not.toBeNull();
        expect(tryNormalizeAddress(text)).toBeNull();
      }
    }
  });

  it('stays correct past its bound', () => {
    for (let i = 0; i < 5000; i++)
      expect(tryNormalizeAddress(`Host${i}:${1 + (i % 60000)}`)).toBe(`host${i}:${1 + (i % 60000)}`);
    expect(tryNormalizeAddress('Example.COM')).toBe('example.com:27017');
  });
});
