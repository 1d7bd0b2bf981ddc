/**
 * The logical sessions a simulated server has seen (the `lsid` of the CRUD commands it ran), for
 * the `$listLocalSessions` stage. mongod keeps such a cache in memory per process; the simulator
 * keeps one per server, next to its cursors, with the user digest of an unauthenticated client.
 */
import { createHash } from 'node:crypto';
import { Binary, type Document } from 'bson';
import type { CursorRegistry } from './cursor-registry.js';
import { sessionKeyOf } from './oplog.js';

/** SHA-256 of the empty user name: the `uid` of every session without authentication. */
const NO_USER_DIGEST = new Binary(createHash('sha256').update('').digest());

const caches = new WeakMap<CursorRegistry, Map<string, Document>>();

/** Notes the session of `command` (if any) as used at `now` on the server that owns `cursors`. */
export function recordSession(cursors: CursorRegistry, command: Document, now: number): void {
  const key = sessionKeyOf(command);
  if (key === null) return;
  let cache = caches.get(cursors);
  if (!cache) {
    cache = new Map();
    caches.set(cursors, cache);
  }
  const lsid = command['lsid'] as Document;
  cache.set(key, { _id: { id: lsid['id'] as unknown, uid: NO_USER_DIGEST }, lastUse: new Date(now) });
}

/** `$listLocalSessions`' documents on the server that owns `cursors`. */
export function localSessions(cursors: CursorRegistry): Document[] {
  return [...(caches.get(cursors)?.values() ?? [])];
}
