/**
 * Driver-cited skips: pairs that fail on the official driver's own behaviour and that the driver's
 * own CI skips for that behaviour (test/unified/driver-skips.json, one ticket with its citations
 * per entry). A listed pair still runs; only the listed failure turns it into a skip, so a pair
 * that starts passing, or fails for another reason, is counted as what it is.
 */
import { readFileSync } from 'node:fs';

/** How a driver-cited skip's reason starts (the report counts them apart). */
export const DRIVER_SKIP_PREFIX = 'driver-cited skip: ';

export interface DriverSkipTicket {
  readonly behaviour: string;
  readonly skippedBy: string;
}

export interface DriverSkipEntry {
  /** The file's path under the unified-tests directory. */
  readonly file: string;
  /** The test's description. */
  readonly test: string;
  /** Text the pair's failure reason must contain for the entry to apply. */
  readonly failure: string;
  readonly ticket: string;
}

export interface DriverSkips {
  readonly tickets: ReadonlyMap<string, DriverSkipTicket>;
  readonly entries: readonly DriverSkipEntry[];
}

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim().length > 0;

/** Reads and checks the data: every entry names a ticket that has both citations. */
export function parseDriverSkips(json: unknown): DriverSkips {
  const data = json as { tickets?: unknown; entries?: unknown };
  if (
    data === null ||
    typeof data !== 'object' ||
    typeof data.tickets !== 'object' ||
    !Array.isArray(data.entries)
  )
    throw new Error('driver-skips: expected { tickets: {...}, entries: [...] }');
  const tickets = new Map<string, DriverSkipTicket>();
  for (const [name, value] of Object.entries(data.tickets as Record<string, unknown>)) {
    const t = value as Partial<DriverSkipTicket> | null;
    if (!t || !nonEmpty(t.behaviour) || !nonEmpty(t.skippedBy))
      throw new Error(`driver-skips: ticket ${name} needs 'behaviour' and 'skippedBy' citations`);
    tickets.set(name, { behaviour: t.behaviour, skippedBy: t.skippedBy });
  }
  const entries = (data.entries as unknown[]).map((value, i) => {
    const e = value as Partial<DriverSkipEntry> | null;
    if (!e || !nonEmpty(e.file) || !nonEmpty(e.test) || !nonEmpty(e.failure) || !nonEmpty(e.ticket))
      throw new Error(`driver-skips: entry ${i} needs file, test, failure and ticket`);
    if (!tickets.has(e.ticket)) throw new Error(`driver-skips: entry ${i} names unknown ticket ${e.ticket}`);
    return { file: e.file, test: e.test, failure: e.failure, ticket: e.ticket };
  });
  return { tickets, entries };
}

export function loadDriverSkips(): DriverSkips {
  return parseDriverSkips(JSON.parse(readFileSync(new URL('./driver-skips.json', import.meta.url), 'utf8')));
}

/** The entry listing this test, if any (whatever its outcome). */
export function driverSkipEntry(skips: DriverSkips, file: string, test: string): DriverSkipEntry | undefined {
  return skips.entries.find((e) => e.file === file && e.test === test);
}

/** The skip reason when a failed pair failed as its entry cites; undefined otherwise. */
export function driverSkipReason(entry: DriverSkipEntry, failure: string): string | undefined {
  if (!failure.includes(entry.failure)) return undefined;
  return `${DRIVER_SKIP_PREFIX}${entry.ticket} (the official driver's own CI skips this test): ${failure}`;
}
