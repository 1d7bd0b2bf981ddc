import { describe, expect, it } from 'vitest';
import { decidePair, parseVersion, type ServerFacts } from './requirements.js';
import { schemaVersionProblem } from './format.js';
import { areaOf } from './unified-files.js';

const facts = (
  topology: ServerFacts['topology'],
  version = '7.0.0',
  parameters: Record<string, unknown> = {},
): ServerFacts => ({
  topology,
  version: parseVersion(version),
  parameters: new Map(Object.entries(parameters)),
});

describe('runOnRequirements per topology', () => {
  it('makes a pair for each topology the file and the test admit, and none for the others', () => {
    const file = [{ topologies: ['replicaset', 'sharded'] }];
    const test = [{ topologies: ['replicaset'] }];
    expect(decidePair(file, test, facts('replicaset')).kind).toBe('run');
    expect(decidePair(file, test, facts('sharded')).kind).toBe('absent');
    expect(decidePair(file, test, facts('single')).kind).toBe('absent');
    expect(decidePair(undefined, undefined, facts('single')).kind).toBe('run');
  });

  it('treats sharded-replicaset as sharded', () => {
    expect(decidePair([{ topologies: ['sharded-replicaset'] }], undefined, facts('sharded')).kind).toBe(
      'run',
    );
  });

  it('skips a pair whose server version bounds exclude the declared version, saying which', () => {
    expect(decidePair([{ maxServerVersion: '4.2.99' }], undefined, facts('single'))).toEqual({
      kind: 'skip',
      reason: 'server version 7.0.0 > maxServerVersion 4.2.99',
    });
    expect(decidePair([{ minServerVersion: '8.0' }], undefined, facts('single')).kind).toBe('skip');
    expect(decidePair([{ minServerVersion: '7.0' }], undefined, facts('single')).kind).toBe('run');
    expect(decidePair([{ minServerVersion: '4.9.0-alpha4' }], undefined, facts('single', '4.9.0')).kind).toBe(
      'run',
    );
  });

  it('runs when any admitted entry is met', () => {
    const list = [
      { maxServerVersion: '4.0', topologies: ['single'] },
      { minServerVersion: '4.4', topologies: ['single'] },
    ];
    expect(decidePair(list, undefined, facts('single')).kind).toBe('run');
  });

  it('skips for encryption, auth and serverless require; not for their negations', () => {
    expect(decidePair([{ csfle: true }], undefined, facts('single'))).toMatchObject({
      kind: 'skip',
      reason: 'needs client-side encryption',
    });
    expect(decidePair([{ auth: true }], undefined, facts('single'))).toMatchObject({
      kind: 'skip',
      reason: 'needs auth',
    });
    expect(decidePair([{ serverless: 'require' }], undefined, facts('single')).kind).toBe('skip');
    expect(
      decidePair([{ auth: false, csfle: false, serverless: 'forbid' }], undefined, facts('single')).kind,
    ).toBe('run');
  });

  it('checks server parameters by value (1 == 1.0), skipping for a missing or different one', () => {
    const withParam = facts('replicaset', '7.0.0', { enableTestCommands: 1 });
    expect(decidePair([{ serverParameters: { enableTestCommands: true } }], undefined, withParam).kind).toBe(
      'skip',
    );
    expect(decidePair([{ serverParameters: { enableTestCommands: 1.0 } }], undefined, withParam).kind).toBe(
      'run',
    );
    expect(decidePair([{ serverParameters: { other: 1 } }], undefined, withParam)).toMatchObject({
      kind: 'skip',
      reason: 'server parameter other',
    });
  });

  it('fails, never skips, on a requirement key it does not know', () => {
    expect(decidePair([{ novel: 1 } as never], undefined, facts('single')).kind).toBe('fail');
  });
});

describe('schema versions and areas', () => {
  it('accepts 1.x up to the supported minor and refuses other majors', () => {
    expect(schemaVersionProblem('1.0')).toBeNull();
    expect(schemaVersionProblem('1.21')).toBeNull();
    expect(schemaVersionProblem('0.1')).toMatch(/not supported/);
    expect(schemaVersionProblem('2.0')).toMatch(/not supported/);
    expect(schemaVersionProblem('1.99')).toMatch(/not supported/);
  });

  it('names areas after the first folder, splitting the format tests into valid-pass and valid-fail', () => {
    expect(areaOf('crud/tests/unified/find.json')).toBe('crud');
    expect(areaOf('unified-test-format/tests/valid-fail/x.json')).toBe('unified-test-format/valid-fail');
    expect(areaOf('loose.json')).toBe('.');
  });
});
