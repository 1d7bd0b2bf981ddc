/** The two ways of setting failCommand (wire data, typed options) give the same rule and mode. */
import { describe, expect, it } from 'vitest';
import {
  canonicalCommandName,
  parseFailCommandData,
  parseFailPointMode,
  ruleFromOptions,
  ruleMatches,
  type FailCommandTarget,
} from '../../../src/testing/fail-command.js';

function target(commandName: string, appName: string | null = null, collection = 'c'): FailCommandTarget {
  return { commandName, db: 'test', command: { [commandName]: collection }, appName };
}

describe('failCommand rule', () => {
  it('wire data and typed options give the same rule', () => {
    const wce = { code: 64, errmsg: 'waiting for replication timed out' };
    const pairs = [
      [
        {
          failCommands: ['insert', 'ismaster'],
          errorCode: 91,
          errorLabels: ['X'],
          appName: 'a',
          namespace: 'test.c',
        },
        {
          commands: ['insert', 'ismaster'],
          errorCode: 91,
          errorLabels: ['X'],
          appName: 'a',
          namespace: 'test.c',
        },
      ],
      [
        { failCommands: ['find'], closeConnection: true, blockConnection: true, blockTimeMS: 20 },
        { commands: ['find'], closeConnection: true, blockMS: 20 },
      ],
      [
        { failCommands: ['update'], writeConcernError: wce },
        { commands: ['update'], writeConcernError: wce },
      ],
    ] as const;
    for (const [data, options] of pairs) {
      expect(ruleFromOptions(options).rule).toEqual(parseFailCommandData(data));
    }
    expect(ruleFromOptions({ commands: ['find'], errorCode: 2, times: 3 }).mode).toEqual(
      parseFailPointMode({ times: 3 }),
    );
    expect(ruleFromOptions({ commands: ['find'], errorCode: 2, skip: 1 }).mode).toEqual(
      parseFailPointMode({ skip: 1 }),
    );
    expect(ruleFromOptions({ commands: ['find'], errorCode: 2 }).mode).toEqual(
      parseFailPointMode('alwaysOn'),
    );
  });

  it('matches by canonical name, appName and namespace, never configureFailPoint', () => {
    expect(canonicalCommandName('ismaster')).toBe('isMaster');
    expect(canonicalCommandName('findandmodify')).toBe('findAndModify');
    expect(canonicalCommandName('hello')).toBe('hello');
    const rule = parseFailCommandData({
      failCommands: ['isMaster', 'insert', 'configureFailPoint'],
      errorCode: 2,
      appName: 'app',
      namespace: 'test.c',
    });
    expect(ruleMatches(rule, target('ismaster', 'app'))).toBe(true);
    expect(ruleMatches(rule, target('isMaster', 'app'))).toBe(true);
    expect(ruleMatches(rule, target('hello', 'app'))).toBe(false);
    expect(ruleMatches(rule, target('insert', 'other'))).toBe(false);
    expect(ruleMatches(rule, target('insert', null))).toBe(false);
    expect(ruleMatches(rule, target('insert', 'app', 'd'))).toBe(false);
    expect(ruleMatches(rule, target('configureFailPoint', 'app'))).toBe(false);
  });

  it('a writeConcernError alone acts only on commands that wait for write concern', () => {
    const rule = parseFailCommandData({ failCommands: ['insert', 'find'], writeConcernError: { code: 91 } });
    expect(ruleMatches(rule, target('insert'))).toBe(true);
    expect(ruleMatches(rule, target('find'))).toBe(false);
    const all = parseFailCommandData({ failAllCommands: true, errorCode: 2 });
    expect(ruleMatches(all, target('ping'))).toBe(true);
  });
});
