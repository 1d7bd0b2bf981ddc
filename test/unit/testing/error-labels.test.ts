/** The labels a simulated server adds to error replies, as mongod derives them from the command. */
import { Long } from 'bson';
import { describe, expect, it } from 'vitest';
import { errorLabelsFor, withErrorLabels } from '../../../src/testing/error-labels.js';

const txnNumber = Long.fromNumber(1);
const retryableWrite = { insert: 'c', txnNumber };
const inTransaction = { insert: 'c', txnNumber, autocommit: false };
const commit = { commitTransaction: 1, txnNumber, autocommit: false };

describe('errorLabelsFor', () => {
  it('labels a transaction statement transient for conflicts, NoSuchTransaction and retryable codes', () => {
    expect(errorLabelsFor('insert', inTransaction, 112, undefined)).toEqual(['TransientTransactionError']);
    expect(errorLabelsFor('insert', inTransaction, 251, undefined)).toEqual(['TransientTransactionError']);
    expect(errorLabelsFor('insert', inTransaction, 91, undefined)).toEqual(['TransientTransactionError']);
    expect(errorLabelsFor('insert', inTransaction, 10107, undefined)).toEqual(['TransientTransactionError']);
    expect(errorLabelsFor('insert', inTransaction, 11601, undefined)).toEqual([]); // Interrupted
    expect(errorLabelsFor('count', inTransaction, 263, undefined)).toEqual([]);
  });

  it('on commit and abort: NoSuchTransaction is transient only without a writeConcernError; retryable codes retry', () => {
    expect(errorLabelsFor('commitTransaction', commit, 251, undefined)).toEqual([
      'TransientTransactionError',
    ]);
    expect(errorLabelsFor('commitTransaction', commit, 251, 64)).toEqual([]);
    expect(errorLabelsFor('commitTransaction', commit, 112, undefined)).toEqual([
      'TransientTransactionError',
    ]);
    expect(errorLabelsFor('commitTransaction', commit, 91, undefined)).toEqual(['RetryableWriteError']);
    expect(errorLabelsFor('abortTransaction', commit, 189, undefined)).toEqual(['RetryableWriteError']);
    expect(errorLabelsFor('commitTransaction', commit, undefined, 91)).toEqual(['RetryableWriteError']);
    expect(errorLabelsFor('commitTransaction', commit, undefined, 64)).toEqual([]);
    expect(errorLabelsFor('commitTransaction', commit, 50, undefined)).toEqual([]); // MaxTimeMSExpired
  });

  it('labels retryable writes RetryableWriteError, plain commands nothing', () => {
    expect(errorLabelsFor('insert', retryableWrite, 10107, undefined)).toEqual(['RetryableWriteError']);
    expect(errorLabelsFor('insert', retryableWrite, undefined, 11602)).toEqual(['RetryableWriteError']);
    expect(errorLabelsFor('insert', retryableWrite, 11000, undefined)).toEqual([]);
    expect(errorLabelsFor('insert', { insert: 'c' }, 10107, undefined)).toEqual([]);
    expect(errorLabelsFor('find', { find: 'c' }, 91, undefined)).toEqual([]);
  });
});

describe('withErrorLabels', () => {
  it('adds labels to error replies and to replies with a writeConcernError, and leaves others alone', () => {
    const error = { ok: 0, code: 112, codeName: 'WriteConflict' };
    expect(withErrorLabels('insert', inTransaction, error)).toEqual({
      ...error,
      errorLabels: ['TransientTransactionError'],
    });
    const wcError = { ok: 1, writeConcernError: { code: 91 } };
    expect(withErrorLabels('commitTransaction', commit, wcError)).toEqual({
      ...wcError,
      errorLabels: ['RetryableWriteError'],
    });
    const success = { ok: 1, n: 1 };
    expect(withErrorLabels('insert', inTransaction, success)).toBe(success);
  });

  it('keeps labels a reply already names (a fail point replaces mongod labels, [] means none)', () => {
    const named = { ok: 0, code: 112, errorLabels: [] };
    expect(withErrorLabels('insert', inTransaction, named)).toBe(named);
  });
});
