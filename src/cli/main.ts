#!/usr/bin/env node
/**
 * `waspnest`: the command-line entry point. `waspnest demo` (what `npm start` runs) and
 * `waspnest watch <uri>`; see `waspnest --help` and docs/cli.md.
 */
import { parseCliArgs, usage, UsageError } from './args.js';
import { runDemo } from './demo.js';
import { runWatch } from './watch.js';
import { ExitCode } from './exit-code.js';
import { packageVersion } from '../package-info.js';

async function main(argv: readonly string[]): Promise<number> {
  let command;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`waspnest: ${error.message}\nRun "waspnest --help" for usage.\n`);
    return ExitCode.usage;
  }
  switch (command.command) {
    case 'help':
      process.stdout.write(`${usage}\n`);
      return ExitCode.ok;
    case 'version':
      process.stdout.write(`waspnest ${packageVersion}\n`);
      return ExitCode.ok;
    case 'demo':
      return runDemo(command.options, { stdout: process.stdout, stderr: process.stderr });
    case 'watch':
      return runWatch(command.options, { stdout: process.stdout, stderr: process.stderr });
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything was closed, so the process should end now by itself. If some handle still
    // holds it, say so (that is a bug) and leave anyway: a CLI must not hang after its work.
    setTimeout(() => {
      process.stderr.write(
        'waspnest: something kept the process alive after everything was closed; exiting\n',
      );
      process.exit(code);
    }, 2000).unref();
  },
  (error: unknown) => {
    process.stderr.write(
      `waspnest: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(ExitCode.failure);
  },
);
