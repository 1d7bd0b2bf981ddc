import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const failingDns = fileURLToPath(new URL('./failing-dns.ts', import.meta.url));
const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('waspnest --help and --version', () => {
  it('prints the usage and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']).exited;
    expect(code).toBe(0);
    expect(stdout).toContain('waspnest demo [options]');
    expect(stdout).toContain('waspnest watch <uri> [options]');
    expect(stdout).toContain('--duration <s>');
  });

  it("prints package.json's version", async () => {
    const { code, stdout } = await runCli(['--version']).exited;
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(`waspnest ${version}`);
  });

  it('rejects a bad command line with exit code 2 and a pointer to --help', async () => {
    const { code, stderr, stdout } = await runCli(['frobnicate']).exited;
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('waspnest: unknown command "frobnicate"');
    expect(stderr).toContain('Run "waspnest --help" for usage.');
  });
});

describe('waspnest watch: deployments it cannot use', () => {
  it('explains a bad connection string, exits 2 and never prints the password', async () => {
    const { code, stderr, stdout } = await runCli(['watch', 'mongodb://alice:s3cret@db.example.com:99999/'])
      .exited;
    expect(code).toBe(2);
    expect(stderr).toContain('waspnest: bad connection string:');
    expect(stderr).toContain('out of range');
    expect(stderr + stdout).not.toContain('s3cret');
  });

  it('explains an unusable scheme', async () => {
    const { code, stderr } = await runCli(['watch', 'http://db.example.com/']).exited;
    expect(code).toBe(2);
    expect(stderr).toContain("Invalid scheme 'http'");
  });

  it('gives up on an unreachable host after serverSelectionTimeoutMS, says why, exits 1', async () => {
    const { code, stderr } = await runCli([
      'watch',
      'mongodb://127.0.0.1:1/?directConnection=true',
      '--timeout',
      '300',
    ]).exited;
    expect(code).toBe(1);
    expect(stderr).toContain(
      'waspnest: could not reach mongodb://127.0.0.1:1/?directConnection=true within 300 ms',
    );
    expect(stderr).toMatch(/127\.0\.0\.1:1 \(Unknown\): connect failed: .*ECONNREFUSED/);
  });

  it('reports a host name that does not resolve as a DNS failure, with the password redacted', async () => {
    const { code, stderr, stdout } = await runCli(
      ['watch', 'mongodb://alice:s3cret@db.example.invalid:27017/', '--timeout', '2000'],
      { preload: [failingDns] },
    ).exited;
    expect(code).toBe(1);
    expect(stderr).toContain('could not reach mongodb://alice:****@db.example.invalid:27017/');
    expect(stderr).toMatch(
      /db\.example\.invalid:27017 \(Unknown\): DNS lookup failed: DnsError: .*ENOTFOUND/,
    );
    expect(stderr).toContain('hint: a host name did not resolve');
    expect(stdout).toContain('mongodb://alice:****@db.example.invalid:27017/');
    expect(stderr + stdout).not.toContain('s3cret');
  });

  it('reports a mongodb+srv name without SRV records as a DNS failure', async () => {
    const { code, stderr } = await runCli(['watch', 'mongodb+srv://alice:s3cret@cluster0.example.invalid/'], {
      preload: [failingDns],
    }).exited;
    expect(code).toBe(1);
    expect(stderr).toContain('could not reach mongodb+srv://alice:****@cluster0.example.invalid/');
    expect(stderr).toMatch(/DnsError: .*_mongodb\._tcp\.cluster0\.example\.invalid/);
    expect(stderr).not.toContain('s3cret');
  });
});
