/** The exit codes of `waspnest`, as documented in `waspnest --help` and docs/cli.md. */
export const ExitCode = {
  ok: 0,
  /** The deployment could not be reached (DNS, refused, timeout), or the demo missed a failover. */
  failure: 1,
  /** Bad command line or connection string. */
  usage: 2,
  /** Interrupted (Ctrl-C) before the deployment was reached. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
