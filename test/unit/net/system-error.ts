/**
 * An error as Node's socket and DNS calls make it (`read ECONNRESET`,
 * `getaddrinfo ENOTFOUND db.example.com`): the message `<syscall> <code> [<subject>]`, and `code`.
 */
export function systemError(syscall: string, code: string, subject?: string): Error & { code: string } {
  const message = subject === undefined ? `${syscall} ${code}` : `${syscall} ${code} ${subject}`;
  return Object.assign(new Error(message), { code });
}
