import { describe, expect, it } from 'vitest';
import {
  addressProblem,
  compareAddresses,
  normalizeAddress,
  splitAddress,
} from '../../../src/description/address.js';
import { AddressError, WaspnestError } from '../../../src/errors.js';

describe('normalizeAddress', () => {
  it.each([
    ['a', 'a:27017'],
    ['Example.COM', 'example.com:27017'],
    ['Example.COM:27018', 'example.com:27018'],
    [' a:1 ', 'a:1'],
    ['10.0.0.1:27017', '10.0.0.1:27017'],
    ['[::1]', '[::1]:27017'],
    ['[FE80::1]:27018', '[fe80::1]:27018'],
    ['::1', '[::1]:27017'],
    ['/tmp/MongoDB-27017.sock', '/tmp/MongoDB-27017.sock'],
  ])('%s → %s', (input, output) => {
    expect(normalizeAddress(input)).toBe(output);
    expect(normalizeAddress(output)).toBe(output);
  });

  it.each([
    ['', /empty/],
    ['a:', /not a number/],
    ['a:0', /outside 1-65535/],
    ['a:65536', /outside 1-65535/],
    ['a:27a', /not a number/],
    [':27017', /no host/],
    ['[::1', /no closing bracket/],
    ['[]:1', /empty/],
    ['[::1]x', /not a port/],
    ['a b:1', /white space/],
  ])('rejects %j with a reason', (input, reason) => {
    expect(addressProblem(input)).toMatch(reason);
    expect(() => normalizeAddress(input)).toThrow(AddressError);
    expect(() => normalizeAddress(input)).toThrow(WaspnestError);
    expect(() => normalizeAddress(input)).toThrow(reason);
  });

  it('splits addresses back into host and port', () => {
    expect(splitAddress('a:27017')).toEqual({ host: 'a', port: 27017 });
    expect(splitAddress('[::1]:27018')).toEqual({ host: '::1', port: 27018 });
    expect(splitAddress('/tmp/x.sock')).toEqual({ host: '/tmp/x.sock', port: null });
  });
});

describe('compareAddresses', () => {
  it('orders by host, then by port as a number', () => {
    const sorted = ['b:1', '127.0.0.1:10', 'a:27018', '127.0.0.1:9', 'a:27017'].sort(compareAddresses);
    expect(sorted).toEqual(['127.0.0.1:9', '127.0.0.1:10', 'a:27017', 'a:27018', 'b:1']);
  });
});
