/**
 * Preloaded into a `waspnest` child process by the CLI tests (`--import`): host names under
 * `.invalid` (RFC 6761: never resolvable) fail at once with ENOTFOUND, as a resolver answers
 * for a name that does not exist, instead of depending on the test machine's DNS setup. Every
 * other name goes to the real resolver.
 */
import { promises as dns } from 'node:dns';

function notFound(syscall: string, name: string): Error {
  return Object.assign(new Error(`${syscall} ENOTFOUND ${name}`), {
    code: 'ENOTFOUND',
    syscall,
    hostname: name,
  });
}

const realLookup = dns.lookup.bind(dns);
const realResolveSrv = dns.resolveSrv.bind(dns);
const realResolveTxt = dns.resolveTxt.bind(dns);

Object.assign(dns, {
  lookup: (hostname: string, options: object) =>
    hostname.endsWith('.invalid')
      ? Promise.reject(notFound('getaddrinfo', hostname))
      : realLookup(hostname, options),
  resolveSrv: (name: string) =>
    name.endsWith('.invalid') ? Promise.reject(notFound('querySrv', name)) : realResolveSrv(name),
  resolveTxt: (name: string) =>
    name.endsWith('.invalid') ? Promise.reject(notFound('queryTxt', name)) : realResolveTxt(name),
});
