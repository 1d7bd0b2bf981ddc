/**
 * `expectEvents`, `waitForEvent` and `assertEventCount`: an expected event (one key naming its
 * kind, with assertions on some fields) against what a client recorded.
 */
import type { Document } from 'bson';
import type { ExpectedEventsForClient } from './format.js';
import { EVENT_KINDS, type ClientEvents, type RecordedEvent } from './client-events.js';
import { assertMatches, MatchError, type MatchEntities } from './matcher.js';

function kindOf(expected: Document): string {
  const keys = Object.keys(expected);
  if (keys.length !== 1 || !EVENT_KINDS[keys[0]!]) {
    throw new MatchError(`expected event ${JSON.stringify(keys)} is not one known event kind`);
  }
  return keys[0]!;
}

function hasNonZeroObjectId(value: unknown): boolean {
  const hex = (value as { toHexString?: () => string } | undefined)?.toHexString?.();
  return typeof hex === 'string' && /[1-9a-f]/.test(hex);
}

/** Throws a MatchError naming the first field of `expected` the recorded event does not satisfy. */
export function assertEventMatches(expected: Document, actual: RecordedEvent, entities: MatchEntities): void {
  const kind = kindOf(expected);
  if (actual.name !== kind) throw new MatchError(`expected ${kind}, found ${actual.name}`);
  const event = actual.event;
  for (const [field, value] of Object.entries((expected[kind] ?? {}) as Document)) {
    const where = (message: string) => new MatchError(`${kind}.${field}: ${message}`);
    switch (field) {
      case 'hasServiceId':
        if (hasNonZeroObjectId(event['serviceId']) !== value) throw where(`expected ${value}`);
        continue;
      case 'hasServerConnectionId': {
        const id = event['serverConnectionId'];
        const has = (typeof id === 'bigint' || typeof id === 'number') && Number(id) > 0;
        if (has !== value) throw where(`expected ${value}, found ${String(id)}`);
        continue;
      }
      case 'databaseName':
        if (event['databaseName'] !== value)
          throw where(`expected ${value}, found ${String(event['databaseName'])}`);
        continue;
      default:
        try {
          // command, reply and server/topology descriptions are root-level documents.
          assertMatches(value, event[field], { entities, root: true });
        } catch (err) {
          if (err instanceof MatchError) throw where(err.message);
          throw err;
        }
    }
  }
}

export function eventMatches(expected: Document, actual: RecordedEvent, entities: MatchEntities): boolean {
  try {
    assertEventMatches(expected, actual, entities);
    return true;
  } catch (err) {
    if (err instanceof MatchError) return false;
    throw err;
  }
}

/** How many recorded events match (waitForEvent / assertEventCount count every event, observed or not). */
export function countMatching(events: ClientEvents, expected: Document, entities: MatchEntities): number {
  kindOf(expected);
  return events.all.filter((e) => eventMatches(expected, e, entities)).length;
}

/** One `expectEvents` entry: the observed events of its category, in order, and no more unless allowed. */
export function assertExpectedEvents(
  expectation: ExpectedEventsForClient,
  events: ClientEvents,
  entities: MatchEntities,
): void {
  const category = expectation.eventType ?? 'command';
  const actual = events.observed(category);
  const expected = expectation.events;
  const label = `expectEvents for ${expectation.client} (${category})`;
  for (let i = 0; i < expected.length; i++) {
    const got = actual[i];
    if (!got) {
      throw new MatchError(
        `${label}: expected ${expected.length} event(s), observed ${actual.length}: ${summary(actual)}; missing ${JSON.stringify(Object.keys(expected[i]!))}`,
      );
    }
    try {
      assertEventMatches(expected[i]!, got, entities);
    } catch (err) {
      if (err instanceof MatchError) throw new MatchError(`${label}, event ${i}: ${err.message}`);
      throw err;
    }
  }
  if (!expectation.ignoreExtraEvents && actual.length > expected.length) {
    throw new MatchError(
      `${label}: expected ${expected.length} event(s), observed ${actual.length}: ${summary(actual)}`,
    );
  }
}

function summary(events: readonly RecordedEvent[]): string {
  return events
    .map((e) => (e.category === 'command' ? `${e.name}(${String(e.event['commandName'])})` : e.name))
    .join(', ');
}
