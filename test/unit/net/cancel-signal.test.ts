import { describe, expect, it } from 'vitest';
import { Cancellation } from '../../../src/net/cancel-signal.js';

describe('Cancellation', () => {
  it('calls each listener once, in the order added, and keeps the first reason', () => {
    const cancellation = new Cancellation();
    const calls: string[] = [];
    const removed = (): void => {
      calls.push('removed');
    };
    cancellation.addEventListener('abort', () => calls.push(`first ${String(cancellation.reason)}`));
    cancellation.addEventListener('abort', removed);
    cancellation.addEventListener('abort', () => calls.push('second'));
    cancellation.removeEventListener('abort', removed);
    expect(cancellation.aborted).toBe(false);
    cancellation.abort('closed');
    cancellation.abort('again');
    expect(calls).toEqual(['first closed', 'second']);
    expect(cancellation.aborted).toBe(true);
    expect(cancellation.reason).toBe('closed');
  });

  it('calls no listener added after the abort, as an AbortSignal', () => {
    const cancellation = new Cancellation();
    cancellation.abort(new Error('gone'));
    let called = false;
    cancellation.addEventListener('abort', () => (called = true));
    cancellation.abort(new Error('later'));
    expect(called).toBe(false);
    expect((cancellation.reason as Error).message).toBe('gone');
  });
});
