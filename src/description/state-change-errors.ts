/**
 * The server errors that mean "this server is not what you think it is": "node is recovering"
 * and "not writable primary" (together, state change errors), and the "node is shutting down"
 * subset. Matched by numeric code; by message only when the reply has no code, as the
 * specification requires (old servers sent unstable codes or none).
 */

/** InterruptedAtShutdown, InterruptedDueToReplStateChange, NotPrimaryOrSecondary, PrimarySteppedDown, ShutdownInProgress. */
export const RECOVERING_CODES: ReadonlySet<number> = new Set([11600, 11602, 13436, 189, 91]);
/** NotWritablePrimary, NotPrimaryNoSecondaryOk, LegacyNotPrimary. */
export const NOT_WRITABLE_PRIMARY_CODES: ReadonlySet<number> = new Set([10107, 13435, 10058]);
/** InterruptedAtShutdown, ShutdownInProgress. */
export const SHUTDOWN_CODES: ReadonlySet<number> = new Set([11600, 91]);

export function isRecovering(code: number | undefined, message: string): boolean {
  if (code !== undefined) return RECOVERING_CODES.has(code);
  return message.includes('not master or secondary') || message.includes('node is recovering');
}

export function isNotWritablePrimary(code: number | undefined, message: string): boolean {
  if (code !== undefined) return NOT_WRITABLE_PRIMARY_CODES.has(code);
  return !isRecovering(undefined, message) && message.includes('not master');
}

export function isStateChangeError(code: number | undefined, message: string): boolean {
  return isRecovering(code, message) || isNotWritablePrimary(code, message);
}

export function isShutdownError(code: number | undefined): boolean {
  return code !== undefined && SHUTDOWN_CODES.has(code);
}
