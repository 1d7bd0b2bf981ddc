/**
 * `waspnest demo` (what `npm start` runs): a simulated 3-member replica set in this process, a
 * Topology on it (streaming), a load of concurrent application calls, and a schedule of faults
 * (step-down, kill and restart, partition and heal). The live view shows what the topology
 * knows, each failover with the time until the new primary was known, the hello checks each
 * member received, and what happened to the application's calls.
 */
import { systemClock } from '../time/clock.js';
import type { Address } from '../description/types.js';
import { Topology } from '../topology/topology.js';
import type { ElectionEvent, PrimaryLostEvent } from '../testing/simulated-deployment.js';
import { SimulatedReplicaSet } from '../testing/simulated-replica-set.js';
import type { DemoOptions } from './args.js';
import { CallLoad } from './call-load.js';
import { faultSchedule, type FaultAction } from './demo-schedule.js';
import { ElectionLog } from './election-log.js';
import { ExitCode } from './exit-code.js';
import {
  after,
  chooseOutput,
  every,
  interruption,
  printEventsAsJson,
  type CliIo,
  type LiveOutput,
} from './live-session.js';
import { renderLiveView, renderSummary, type RunSummary } from './render.js';
import { TopologyTracker } from './topology-tracker.js';

/** Tags per member: one data centre east, the others west (so tag sets have something to match). */
function memberTags(index: number): Record<string, string> {
  return { dc: index === 0 ? 'east' : 'west' };
}

/**
 * Resolves once `tracker` has seen every election after the initial one that the simulator
 * held, or after `limitMS` (what is still unseen then is reported as missed).
 */
function electionsSeen(
  topology: Topology,
  elections: ElectionLog,
  tracker: TopologyTracker,
  limitMS: number,
): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      topology.off('primaryChanged', check);
      resolve();
    };
    // The tracker hears primaryChanged first (it subscribed earlier).
    const check = (): void => {
      if (elections.missed(tracker.primaries).length === 0) done();
    };
    const timer = setTimeout(done, limitMS);
    topology.on('primaryChanged', check);
    check();
  });
}

/** Runs the fault schedule against the set; stops when told. */
class FaultRunner {
  #stopped = false;
  #wake: (() => void) | null = null;
  #timer: NodeJS.Timeout | undefined;
  #killed: Address | null = null;
  #partitioned: Address | null = null;
  readonly #rs: SimulatedReplicaSet;
  readonly #durationMS: number | null;
  readonly #startedAt: number;
  readonly #now: () => number;
  /** A fault was injected: its description for the log. */
  readonly #onAction: (text: string) => void;
  readonly #onError: (error: unknown) => void;
  /** Resolves when the schedule is through (never without a duration) or the runner stopped. */
  readonly done: Promise<void>;

  constructor(
    rs: SimulatedReplicaSet,
    durationMS: number | null,
    startedAt: number,
    now: () => number,
    onAction: (text: string) => void,
    onError: (error: unknown) => void,
  ) {
    this.#rs = rs;
    this.#durationMS = durationMS;
    this.#startedAt = startedAt;
    this.#now = now;
    this.#onAction = onAction;
    this.#onError = onError;
    this.done = this.#run();
  }

  /** Which fault each member is under, for the view. */
  faultOf(address: Address): string | null {
    if (address === this.#killed) return 'killed';
    if (address === this.#partitioned) return 'partitioned';
    return null;
  }

  #sleepUntil(atMS: number): Promise<void> {
    const wait = Math.max(0, this.#startedAt + atMS - this.#now());
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, wait);
    });
  }

  async #run(): Promise<void> {
    for (const step of faultSchedule(this.#durationMS)) {
      await this.#sleepUntil(step.atMS);
      if (this.#stopped) return;
      try {
        await this.#perform(step.action);
      } catch (error) {
        if (this.#stopped) return;
        this.#onError(error);
      }
    }
  }

  async #perform(action: FaultAction): Promise<void> {
    const rs = this.#rs;
    switch (action) {
      case 'stepDown': {
        this.#onAction(`stepDown: ${rs.primary ?? '(no primary)'} steps down`);
        await rs.stepDown();
        return;
      }
      case 'kill': {
        const primary = rs.primary ?? (await rs.waitForPrimary());
        this.#killed = primary;
        this.#onAction(`kill: ${primary} crashes (its connections are closed, new ones refused)`);
        await rs.kill(primary);
        return;
      }
      case 'partition': {
        const primary = rs.primary ?? (await rs.waitForPrimary());
        this.#partitioned = primary;
        this.#onAction(`partition: ${primary} is cut off (accepts connections, never answers)`);
        rs.partition(primary);
        return;
      }
      case 'restart': {
        const member = this.#killed;
        if (member === null) return;
        this.#onAction(`restart: ${member} comes back`);
        await rs.restart(member);
        this.#killed = null;
        return;
      }
      case 'heal': {
        const member = this.#partitioned;
        if (member === null) return;
        this.#onAction(`heal: ${member} is reachable again`);
        rs.heal(member);
        this.#partitioned = null;
        return;
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.done;
  }
}

export async function runDemo(options: DemoOptions, io: CliIo): Promise<number> {
  const now = () => systemClock.now();
  const output: LiveOutput = chooseOutput(options, io, now);
  const signals = interruption(() => process.exit(ExitCode.interrupted));
  const title = 'waspnest demo';
  const durationMS = options.durationSeconds === null ? null : options.durationSeconds * 1000;

  const elections = new ElectionLog();
  const rs = await SimulatedReplicaSet.start({
    members: options.members,
    setName: 'rs0',
    tags: Array.from({ length: options.members }, (_, i) => memberTags(i)),
  });
  const initialPrimary = await rs.waitForPrimary();
  elections.record({ address: initialPrimary, at: now(), cause: 'initial' });
  // The simulator says when it loses a primary and why, then when it elects the next one: that
  // moment is where the detection time of a failover starts.
  const causes: Record<PrimaryLostEvent['reason'], string> = {
    stepDown: 'stepDown',
    killed: 'kill',
    partitioned: 'partition',
    restarted: 'restart',
    elect: 'elect',
  };
  let lastLoss = 'observed';
  const onLost = (e: PrimaryLostEvent) => {
    lastLoss = causes[e.reason];
  };
  const onElected = (e: ElectionEvent) => {
    elections.record({ address: e.address, at: now(), cause: lastLoss });
    output.json('demoElection', { address: e.address, cause: lastLoss, term: e.term });
  };
  rs.on('primaryLost', onLost);
  rs.on('primaryElected', onElected);

  const topology = new Topology(rs.uri, {
    heartbeatFrequencyMS: options.heartbeatFrequencyMS,
    serverMonitoringMode: 'stream',
    serverSelectionTimeoutMS: 5000,
    // A partitioned member never answers: its streaming check gives up after connectTimeoutMS +
    // heartbeatFrequencyMS, so a healed member is seen again within 2 s, before the next fault.
    // (The default 10 s would outlast a demo cycle; loopback connects take well under 1 s.)
    connectTimeoutMS: 1000,
  });
  const stopJson = printEventsAsJson(topology, output);
  let runner: FaultRunner | null = null;
  const tracker = new TopologyTracker(topology, {
    now,
    electionOf: (address, seenAt) => elections.electionOf(address, seenAt),
    onChange: (line) => {
      if (line !== null) output.logLine(line);
    },
  });
  const target = `simulated replica set rs0 (${options.members} members)`;
  tracker.note(`simulated replica set started: ${rs.uri}`);
  const load = new CallLoad(topology, {
    callers: options.callers,
    clock: systemClock,
    selectionTimeoutMS: 2000,
    thinkTimeMS: [20, 60],
    // With --json, every call that waited over a second or failed while waiting is one line, so a
    // long wait can be laid beside the topology events around it.
    onOutcome: ({ kind, outcome, waitedMS, error }) => {
      if (outcome === 'failedFast' || (outcome === 'waited' && waitedMS <= 1000)) return;
      output.json('demoSlowCall', {
        kind: kind.label,
        outcome,
        waitedMS: Math.round(waitedMS),
        snapshotVersion: topology.snapshot.version,
        ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
      });
    },
  });
  const view = () =>
    tracker.view({
      title,
      target,
      footer:
        durationMS === null
          ? 'Ctrl-C to quit'
          : `running for ${options.durationSeconds} s (Ctrl-C to stop early)`,
      calls: load.stats(),
      member: (address) => ({
        checks: rs.commandCount(address, 'hello') + rs.commandCount(address, 'isMaster'),
        fault: runner?.faultOf(address) ?? null,
      }),
    });

  let exitCode: number = ExitCode.ok;
  const stopDrawing = every(100, () => output.draw(view()));
  const deadline = after(durationMS);
  try {
    await topology.connect();
    load.start();
    runner = new FaultRunner(
      rs,
      durationMS,
      tracker.startedAt,
      now,
      (text) => {
        tracker.note(text);
        output.json('demoFault', { text });
      },
      (error) =>
        tracker.note(`fault schedule error: ${error instanceof Error ? error.message : String(error)}`),
    );
    // With a duration: at least that long, and until every fault scheduled within it was made and
    // the failover it caused was seen (or the selection timeout passed), however slow the
    // machine, so that the summary describes the whole schedule. Ctrl-C ends at once.
    const scheduleSeen = Promise.all([deadline.elapsed, runner.done]).then(() =>
      electionsSeen(topology, elections, tracker, 5000),
    );
    await Promise.race([scheduleSeen, signals.interrupted]);
  } finally {
    deadline.cancel();
    stopDrawing();
    await runner?.stop();
    await load.stop();
    const finalView = view();
    // An election in the last second may simply not be seen yet (Ctrl-C right after a fault).
    const end = now();
    const missed = elections
      .missed(tracker.primaries)
      .filter((e) => end - e.at > 1000)
      .map((e) => e.address);
    const summary: RunSummary = {
      title,
      elapsedMS: tracker.elapsed(),
      failovers: tracker.failovers,
      missed,
      checks: rs.members.map((address) => ({
        address,
        count: rs.commandCount(address, 'hello') + rs.commandCount(address, 'isMaster'),
      })),
      calls: load.stats(),
      members: finalView.members,
    };
    tracker.close();
    await topology.close();
    stopJson();
    rs.off('primaryLost', onLost);
    rs.off('primaryElected', onElected);
    await rs.close();
    signals.dispose();
    if (output.mode === 'json') {
      output.json('demoSummary', summary);
    } else {
      if (output.mode === 'plain') output.screen.finish(renderLiveView(finalView, output.render));
      else output.screen.frame(renderLiveView(finalView, output.render));
      output.screen.finish(['', ...renderSummary(summary, output.render)]);
    }
    if (missed.length > 0) exitCode = ExitCode.failure;
  }
  return exitCode;
}
