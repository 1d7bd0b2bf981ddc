/**
 * Constructors whose objects are plain objects (their prototype is Object.prototype, as for an
 * object literal), for values made on every heartbeat.
 *
 * Why not literals: V8 counts how many objects of each literal site survive a minor GC and, when
 * nearly all do, allocates every later object of that site straight in the old generation
 * ("allocation-site pretenuring"). When 1,000 servers connect at once nearly everything survives
 * for a moment, so the sites of per-heartbeat values were seen pretenured for good: each
 * heartbeat's description then went to the old space, which only a full GC empties (about
 * 0.4 MB/s of growth at 1,000 servers, docs/benchmarks.md). Objects made by `new` carry no such
 * site, so short-lived ones die young again.
 */

/**
 * `init` as a constructor of plain objects: `new (plainConstructor(init))(...args)` runs `init`
 * on a fresh object whose prototype is Object.prototype.
 */
export function plainConstructor<Args extends unknown[], T extends object>(
  init: (this: Mutable<T>, ...args: Args) => void,
): new (...args: Args) => T {
  // A function declaration's `prototype` is writable (a class's is not).
  (init as unknown as { prototype: object }).prototype = Object.prototype;
  return init as unknown as new (...args: Args) => T;
}

/** `T` without `readonly`, for a constructor filling its fields. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
