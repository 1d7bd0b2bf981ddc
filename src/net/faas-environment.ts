/**
 * Function-as-a-Service detection, by the handshake specification's `client.env` rules. In a FaaS
 * container the process is frozen between invocations, so `serverMonitoringMode: 'auto'` polls
 * there instead of holding an awaitable hello (and an extra RTT connection) open.
 */
import type { ServerMonitoringMode } from '../uri/options.js';

export type FaasName = 'aws.lambda' | 'azure.func' | 'gcp.func' | 'vercel';

/** The environment variables that matter here; defaults to process.env. */
export type Environment = Readonly<Record<string, string | undefined>>;

function populated(env: Environment, name: string): boolean {
  const value = env[name];
  return typeof value === 'string' && value.length > 0;
}

/**
 * Which FaaS platform the variables name, or null. Vercel wins over AWS Lambda (Vercel runs on it);
 * any other combination is ambiguous and, as the specification says, names none.
 */
export function detectFaas(env: Environment = process.env): FaasName | null {
  const found: FaasName[] = [];
  if (
    env['AWS_EXECUTION_ENV']?.startsWith('AWS_Lambda_') === true ||
    populated(env, 'AWS_LAMBDA_RUNTIME_API')
  ) {
    found.push('aws.lambda');
  }
  if (populated(env, 'FUNCTIONS_WORKER_RUNTIME')) found.push('azure.func');
  if (populated(env, 'K_SERVICE') || populated(env, 'FUNCTION_NAME')) found.push('gcp.func');
  if (populated(env, 'VERCEL')) found.push('vercel');
  if (found.length === 1) return found[0] ?? null;
  if (found.length === 2 && found.includes('vercel') && found.includes('aws.lambda')) return 'vercel';
  return null;
}

/** The FaaS part of the handshake's `client.env`: name plus the platform's optional fields. */
export function faasMetadata(env: Environment = process.env): Record<string, string | number> | null {
  const name = detectFaas(env);
  if (name === null) return null;
  const out: Record<string, string | number> = { name };
  const text = (field: string, variable: string): void => {
    if (populated(env, variable)) out[field] = env[variable] as string;
  };
  const int32 = (field: string, variable: string): void => {
    const raw = env[variable];
    if (raw === undefined || !/^-?\d+$/.test(raw.trim())) return;
    const value = Number(raw);
    if (value >= -(2 ** 31) && value < 2 ** 31) out[field] = value;
  };
  if (name === 'aws.lambda') {
    text('region', 'AWS_REGION');
    int32('memory_mb', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE');
  } else if (name === 'gcp.func') {
    int32('memory_mb', 'FUNCTION_MEMORY_MB');
    int32('timeout_sec', 'FUNCTION_TIMEOUT_SEC');
    text('region', 'FUNCTION_REGION');
  } else if (name === 'vercel') {
    text('region', 'VERCEL_REGION');
  }
  return out;
}

/** Whether a monitor in `mode` uses the streaming protocol (when the server supports it). */
export function streamingEnabled(mode: ServerMonitoringMode, env: Environment = process.env): boolean {
  if (mode === 'stream') return true;
  if (mode === 'poll') return false;
  return detectFaas(env) === null;
}
