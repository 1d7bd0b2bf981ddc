import { describe, expect, it } from 'vitest';
import { GuardedEventEmitter } from '../../../src/events/event-emitter.js';

interface TestEvents {
  ping: [number];
  other: [string];
}

class Emitter extends GuardedEventEmitter<TestEvents> {
  readonly thrown: { event: string; error: unknown }[] = [];
  protected override listenerThrew(event: string, error: unknown): void {
    this.thrown.push({ event, error });
  }
}

describe('GuardedEventEmitter', () => {
  it('a throwing listener neither stops the others nor throws into emit', () => {
    const emitter = new Emitter();
    const seen: string[] = [];
    emitter.on('ping', (n) => seen.push(`first ${n}`));
    emitter.on('ping', () => {
      throw new Error('boom');
    });
    emitter.on('ping', (n) => seen.push(`third ${n}`));
    expect(() => emitter.emit('ping', 1)).not.toThrow();
    expect(seen).toEqual(['first 1', 'third 1']);
    expect(emitter.thrown).toHaveLength(1);
    expect(emitter.thrown[0]?.event).toBe('ping');
    expect((emitter.thrown[0]?.error as Error).message).toBe('boom');
  });

  it('off removes by the original function, and listeners() lists the originals', () => {
    const emitter = new Emitter();
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    emitter.on('ping', listener);
    expect(emitter.listeners('ping')).toEqual([listener]);
    expect(emitter.listenerCount('ping')).toBe(1);
    emitter.emit('ping', 1);
    emitter.off('ping', listener);
    emitter.emit('ping', 2);
    expect(seen).toEqual([1]);
    expect(emitter.listenerCount('ping')).toBe(0);
  });

  it('off removes every registration of the function, or only those with the given context', () => {
    const emitter = new Emitter();
    const seen: unknown[] = [];
    const listener = function (this: unknown, n: number) {
      seen.push([this, n]);
    };
    const a = { name: 'a' };
    const b = { name: 'b' };
    emitter.on('ping', listener, a);
    emitter.on('ping', listener, b);
    emitter.once('ping', listener, a);
    expect(emitter.listeners('ping')).toEqual([listener, listener, listener]);
    emitter.off('ping', listener, a);
    emitter.emit('ping', 1);
    expect(seen).toEqual([[b, 1]]);
    emitter.on('ping', listener, a);
    emitter.off('ping', listener);
    emitter.emit('ping', 2);
    expect(seen).toEqual([[b, 1]]);
    expect(emitter.listenerCount('ping')).toBe(0);
  });

  it('once listeners run once, even when they throw', () => {
    const emitter = new Emitter();
    let calls = 0;
    emitter.once('ping', () => {
      calls += 1;
      throw new Error('once');
    });
    emitter.emit('ping', 1);
    emitter.emit('ping', 2);
    expect(calls).toBe(1);
    expect(emitter.thrown).toHaveLength(1);
  });

  it('removing an unknown function removes nothing', () => {
    const emitter = new Emitter();
    const seen: number[] = [];
    emitter.on('ping', (n) => seen.push(n));
    emitter.removeListener('ping', () => undefined);
    emitter.emit('ping', 3);
    expect(seen).toEqual([3]);
  });

  it('the same function on two events is guarded per event', () => {
    const emitter = new Emitter();
    const failing = () => {
      throw new Error('x');
    };
    emitter.on('ping', failing);
    emitter.on('other', failing);
    emitter.emit('ping', 1);
    emitter.emit('other', 'a');
    expect(emitter.thrown.map((t) => t.event)).toEqual(['ping', 'other']);
    emitter.off('ping', failing);
    expect(emitter.listenerCount('ping')).toBe(0);
    expect(emitter.listenerCount('other')).toBe(1);
  });

  it('listeners are called with the emitter as this (or the given context)', () => {
    const emitter = new Emitter();
    const context = { name: 'ctx' };
    const thisSeen: unknown[] = [];
    const contextSeen: unknown[] = [];
    emitter.on('ping', function (this: unknown) {
      thisSeen.push(this);
    });
    emitter.on(
      'other',
      function (this: unknown) {
        contextSeen.push(this);
      },
      context,
    );
    emitter.emit('ping', 1);
    emitter.emit('other', 'x');
    expect(thisSeen[0]).toBe(emitter);
    expect(contextSeen[0]).toBe(context);
  });
});
