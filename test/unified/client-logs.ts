/**
 * Log messages of a client entity (`observeLogMessages`), collected through the driver's
 * structured logger, and `expectLogMessages` checked against them.
 */
import type { Document } from 'bson';
import type { MongoClientOptions } from 'mongodb';
import { assertMatches, MatchError, matches, type MatchEntities } from './matcher.js';

/** The format's level names where the driver's differ. */
const LEVEL_ALIASES: Readonly<Record<string, string>> = { warning: 'warn' };

export interface LogMessage {
  readonly level: string;
  readonly component: string;
  readonly data: Document;
}

export class ClientLogs {
  readonly messages: LogMessage[] = [];
  recording = true;

  /** Driver options that send the observed components, at the asked severities, here. */
  driverOptions(observe: Document): Partial<MongoClientOptions> {
    const severities: Record<string, string> = {};
    for (const [component, level] of Object.entries(observe)) {
      severities[component] = LEVEL_ALIASES[String(level)] ?? String(level);
    }
    return {
      mongodbLogComponentSeverities: severities as MongoClientOptions['mongodbLogComponentSeverities'],
      // As the official driver's own unified runner does (NODE-5785): the driver writes a reply's
      // `$clusterTime.signature.hash` as extended-JSON binary, which makes a replica-set member's
      // hello reply (from mongod or the simulator alike) longer than the default 1,000 characters,
      // so the logged reply would be cut and could not be parsed as the logging tests require.
      mongodbLogMaxDocumentLength: 1250,
      mongodbLogPath: {
        write: (log: Document) => {
          if (!this.recording) return;
          const { t: _time, c: component, s: level, ...data } = log;
          this.messages.push({ level: String(level), component: String(component), data });
        },
      },
    };
  }
}

function messageMatches(expected: Document, actual: LogMessage, entities: MatchEntities): boolean {
  const level = LEVEL_ALIASES[String(expected['level'])] ?? String(expected['level']);
  return (
    level === actual.level &&
    expected['component'] === actual.component &&
    matches(expected['data'], actual.data, { entities, root: true })
  );
}

/** One `expectLogMessages` entry: the client's messages minus the ignored ones, in order. */
export function assertExpectedLogMessages(
  expectation: Document,
  logs: ClientLogs,
  entities: MatchEntities,
): void {
  const ignore = (expectation['ignoreMessages'] as Document[] | undefined) ?? [];
  const actual = logs.messages.filter((m) => !ignore.some((i) => messageMatches(i, m, entities)));
  const expected = (expectation['messages'] as Document[] | undefined) ?? [];
  const label = `expectLogMessages for ${String(expectation['client'])}`;
  expected.forEach((want, i) => {
    const got = actual[i];
    if (!got)
      throw new MatchError(`${label}: expected ${expected.length} message(s), observed ${actual.length}`);
    const level = LEVEL_ALIASES[String(want['level'])] ?? String(want['level']);
    if (got.level !== level || got.component !== want['component']) {
      throw new MatchError(
        `${label}, message ${i}: expected ${want['component']}/${level}, found ${got.component}/${got.level} "${String(got.data['message'])}"`,
      );
    }
    try {
      assertMatches(want['data'], got.data, { entities, root: true });
    } catch (err) {
      if (err instanceof MatchError) throw new MatchError(`${label}, message ${i}: ${err.message}`);
      throw err;
    }
  });
  if (expectation['ignoreExtraMessages'] !== true && actual.length > expected.length) {
    const extra = actual.slice(expected.length).map((m) => String(m.data['message']));
    throw new MatchError(
      `${label}: ${actual.length - expected.length} unexpected message(s): ${extra.join(', ')}`,
    );
  }
}
