import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, nearestName } from '../../src/nearest-name.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('heartbeatFrequency', 'heartbeatFrequencyMS')).toBe(2);
    expect(editDistance('durration', 'duration')).toBe(1);
  });
});

describe('nearestName', () => {
  const options = ['heartbeatFrequencyMS', 'minHeartbeatFrequencyMS', 'serverSelectionTimeoutMS', 'tls'];

  it('suggests the nearest known name for a typo', () => {
    expect(nearestName('heartbeatFrequency', options)).toBe('heartbeatFrequencyMS');
    expect(nearestName('serverSelectionTimeout', options)).toBe('serverSelectionTimeoutMS');
    expect(nearestName('minHeartbeatFrequencyMs', options)).toBe('minHeartbeatFrequencyMS');
  });

  it('ignores case, so a name with the wrong case is matched exactly', () => {
    expect(nearestName('HEARTBEATFREQUENCYMS', options)).toBe('heartbeatFrequencyMS');
  });

  it('suggests nothing for a different word', () => {
    expect(nearestName('bogus', options)).toBeUndefined();
    expect(nearestName('heartbeat', options)).toBeUndefined();
    // Short names allow one edit: 'ssl' is two away from 'tls'.
    expect(nearestName('ssl', options)).toBeUndefined();
    expect(nearestName('tsl', options)).toBeUndefined();
    expect(nearestName('tlss', options)).toBe('tls');
  });

  it('words the suggestion for a message', () => {
    expect(didYouMean('heartbeatFrequency', options)).toBe('; did you mean heartbeatFrequencyMS?');
    expect(didYouMean('bogus', options)).toBe('');
  });
});
