/**
 * `waspnest watch <uri>`: the live view of any deployment. The connection string is checked
 * first (exit 2 with the parser's reason); then the topology must find a server within
 * serverSelectionTimeoutMS or the command explains why not, server by server (exit 1). After
 * that it watches until Ctrl-C or --duration. Credentials are never printed: only the parsed
 * connection string's `redacted` form is shown.
 */
import { systemClock } from '../time/clock.js';
import { DnsError, ServerSelectionError, WaspnestError } from '../errors.js';
import type { ServerHeartbeatFailedEvent } from '../events/events.js';
import { Topology } from '../topology/topology.js';
import type { TopologyOptions } from '../topology/topology-options.js';
import { parseConnectionString, type ConnectionString } from '../uri/connection-string.js';
import { documentationUrl } from '../package-info.js';
import type { WatchOptions } from './args.js';
import { ExitCode } from './exit-code.js';
import { after, chooseOutput, every, interruption, printEventsAsJson, type CliIo } from './live-session.js';
import { formatDuration, renderLiveView, renderSummary } from './render.js';
import { TopologyTracker } from './topology-tracker.js';

/**
 * Removes a password from text about a connection string that could not be parsed (so it has no
 * `redacted` form): `scheme://user:secret@` becomes `scheme://user:****@`.
 */
export function scrubCredentials(text: string, uri: string): string {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^@/?]*):([^@/?]*)@/.exec(uri);
  const password = match?.[2];
  let out = text.replace(/(:\/\/[^:@/?\s]*):[^@/?\s]*@/g, '$1:****@');
  if (password !== undefined && password.length > 0) out = out.split(password).join('****');
  return out;
}

/** The FAQ's answer about DNS, as a link that works wherever the command was installed. */
const dnsFaq = `${documentationUrl}/faq.md`;

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** How long the command tried: `timeoutMS` allowed, `elapsedMS` spent before it gave up. */
export interface ReachTiming {
  readonly timeoutMS: number;
  readonly elapsedMS: number;
}

/**
 * Why the deployment could not be reached, in lines: each server's last failure (DNS told apart
 * from connecting), or the error itself when no server was ever tried (an SRV lookup that failed).
 * The first line says "within" the time allowed when the time ran out, and "after" the time spent
 * when something failed sooner (a failed SRV lookup ends the wait at once).
 */
export function unreachableReport(
  redacted: string,
  timing: ReachTiming,
  error: unknown,
  failures: ReadonlyMap<string, ServerHeartbeatFailedEvent>,
): string[] {
  const when =
    timing.elapsedMS >= timing.timeoutMS
      ? `within ${formatDuration(timing.timeoutMS)}`
      : `after ${formatDuration(timing.elapsedMS)}`;
  const lines = [`waspnest: could not reach ${redacted} ${when}`];
  const dns = error instanceof DnsError || [...failures.values()].some((f) => f.phase === 'dns');
  if (error instanceof ServerSelectionError && error.servers.length > 0) {
    for (const server of error.servers) {
      const failure = failures.get(server.address);
      const why =
        failure !== undefined
          ? `${failure.phase === 'dns' ? 'DNS lookup' : failure.phase} failed: ${describeError(failure.failure)}`
          : server.error === null
            ? 'no answer yet'
            : server.error;
      lines.push(`  ${server.address} (${server.type}): ${why}`);
    }
    lines.push(`  topology ${error.topologyType}; selection failed: ${error.reason}`);
  } else {
    lines.push(`  ${describeError(error)}`);
    for (const [address, failure] of failures) {
      const phase = failure.phase === 'dns' ? 'DNS lookup' : failure.phase;
      lines.push(`  ${address}: ${phase} failed: ${describeError(failure.failure)}`);
    }
  }
  if (dns) lines.push(`  hint: a host name did not resolve; check its spelling and your DNS (see ${dnsFaq})`);
  return lines;
}

export async function runWatch(options: WatchOptions, io: CliIo): Promise<number> {
  let connectionString: ConnectionString;
  try {
    connectionString = parseConnectionString(options.uri);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    io.stderr.write(`waspnest: bad connection string: ${scrubCredentials(reason, options.uri)}\n`);
    return ExitCode.usage;
  }
  const redacted = connectionString.redacted;

  const topologyOptions: TopologyOptions = {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS,
    // Unknown or invalid URI options (and, for mongodb+srv://, TXT record options) are ignored.
    onWarning: (warning) => io.stderr.write(`waspnest: warning: ${scrubCredentials(warning, options.uri)}\n`),
  };
  if (options.heartbeatFrequencyMS !== null)
    topologyOptions.heartbeatFrequencyMS = options.heartbeatFrequencyMS;
  if (options.serverMonitoringMode !== null)
    topologyOptions.serverMonitoringMode = options.serverMonitoringMode;
  let topology: Topology;
  try {
    topology = new Topology(options.uri, topologyOptions);
  } catch (error) {
    if (!(error instanceof WaspnestError)) throw error;
    io.stderr.write(`waspnest: ${scrubCredentials(error.message, options.uri)}\n`);
    // ConnectionStringError or TopologyOptionsError: the command line asked for something unusable.
    return ExitCode.usage;
  }

  const now = () => systemClock.now();
  const output = chooseOutput(options, io, now);
  const signals = interruption(() => process.exit(ExitCode.interrupted));
  const stopJson = printEventsAsJson(topology, output);
  const failures = new Map<string, ServerHeartbeatFailedEvent>();
  const onFailed = (e: ServerHeartbeatFailedEvent) => failures.set(e.address, e);
  const onSucceeded = (e: { address: string }) => failures.delete(e.address);
  topology.on('serverHeartbeatFailed', onFailed);
  topology.on('serverHeartbeatSucceeded', onSucceeded);
  const tracker = new TopologyTracker(topology, {
    now,
    onChange: (line) => {
      if (line !== null) output.logLine(line);
    },
  });
  const title = 'waspnest watch';
  const view = () =>
    tracker.view({
      title,
      target: redacted,
      footer:
        options.durationSeconds === null
          ? 'Ctrl-C to quit'
          : `watching for ${options.durationSeconds} s (Ctrl-C to stop early)`,
    });
  if (output.mode === 'plain') io.stdout.write(`${title}: ${redacted}\n`);
  const stopDrawing = every(250, () => output.draw(view()));
  const deadline = after(options.durationSeconds === null ? null : options.durationSeconds * 1000);

  let exitCode: number = ExitCode.ok;
  let reached = false;
  const startedAt = now();
  const abort = new AbortController();
  try {
    // Reached = some server answered well enough to be selected for a read at all.
    const first = topology
      .connect()
      .then(() =>
        topology.selectServer('nearest', {
          timeoutMS: options.serverSelectionTimeoutMS,
          signal: abort.signal,
        }),
      )
      .then(
        () => ({ kind: 'reached' as const }),
        (error: unknown) => ({ kind: 'failed' as const, error }),
      );
    const outcome = await Promise.race([
      first,
      signals.interrupted.then(() => ({ kind: 'interrupted' as const })),
      deadline.elapsed.then(() => ({ kind: 'elapsed' as const })),
    ]);
    if (outcome.kind === 'failed') {
      exitCode = ExitCode.failure;
      const lines = unreachableReport(
        redacted,
        { timeoutMS: options.serverSelectionTimeoutMS, elapsedMS: now() - startedAt },
        outcome.error,
        failures,
      );
      io.stderr.write(scrubCredentials(lines.join('\n'), options.uri) + '\n');
    } else if (outcome.kind === 'interrupted') {
      exitCode = ExitCode.interrupted;
    } else if (outcome.kind === 'elapsed') {
      // --duration ended before any server answered: as unreachable, for what we know so far.
      exitCode = ExitCode.failure;
      const durationMS = (options.durationSeconds ?? 0) * 1000;
      const error = new WaspnestError(
        `no server answered before --duration ${options.durationSeconds} s ended`,
      );
      const lines = unreachableReport(
        redacted,
        { timeoutMS: durationMS, elapsedMS: durationMS },
        error,
        failures,
      );
      io.stderr.write(scrubCredentials(lines.join('\n'), options.uri) + '\n');
    } else {
      reached = true;
      output.json('watchReached', { uri: redacted });
      await Promise.race([deadline.elapsed, signals.interrupted]);
    }
  } finally {
    abort.abort();
    deadline.cancel();
    stopDrawing();
    const finalView = view();
    const summary = {
      title,
      elapsedMS: tracker.elapsed(),
      failovers: tracker.failovers,
      missed: [],
      checks: null,
      calls: null,
      members: finalView.members,
    };
    tracker.close();
    topology.off('serverHeartbeatFailed', onFailed);
    topology.off('serverHeartbeatSucceeded', onSucceeded);
    await topology.close();
    stopJson();
    signals.dispose();
    if (reached) {
      if (output.mode === 'json') output.json('watchSummary', summary);
      else {
        if (output.mode === 'tty') output.screen.frame(renderLiveView(finalView, output.render));
        output.screen.finish(['', ...renderSummary(summary, output.render)]);
      }
    } else if (output.mode === 'tty') {
      output.screen.finish([]);
    }
  }
  return exitCode;
}
