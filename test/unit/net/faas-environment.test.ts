import { describe, expect, it } from 'vitest';
import { detectFaas, faasMetadata, streamingEnabled } from '../../../src/net/faas-environment.js';

describe('FaaS detection (handshake client.env rules)', () => {
  it('names each platform from its variables', () => {
    expect(detectFaas({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x' })).toBe('aws.lambda');
    expect(detectFaas({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' })).toBe('aws.lambda');
    expect(detectFaas({ FUNCTIONS_WORKER_RUNTIME: 'node' })).toBe('azure.func');
    expect(detectFaas({ K_SERVICE: 'svc' })).toBe('gcp.func');
    expect(detectFaas({ FUNCTION_NAME: 'fn' })).toBe('gcp.func');
    expect(detectFaas({ VERCEL: '1' })).toBe('vercel');
  });

  it('ignores AWS_EXECUTION_ENV that is not a Lambda runtime, and empty variables', () => {
    expect(detectFaas({ AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE' })).toBeNull();
    expect(detectFaas({ VERCEL: '' })).toBeNull();
    expect(detectFaas({})).toBeNull();
  });

  it('lets Vercel win over AWS Lambda and names nothing for other combinations', () => {
    expect(detectFaas({ VERCEL: '1', AWS_LAMBDA_RUNTIME_API: 'x' })).toBe('vercel');
    expect(
      detectFaas({ AWS_EXECUTION_ENV: 'AWS_Lambda_java8', FUNCTIONS_WORKER_RUNTIME: 'node' }),
    ).toBeNull();
  });

  it('adds the typed platform fields and drops values of the wrong type', () => {
    expect(
      faasMetadata({
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
        AWS_REGION: 'us-east-2',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
      }),
    ).toEqual({ name: 'aws.lambda', region: 'us-east-2', memory_mb: 1024 });
    expect(
      faasMetadata({
        K_SERVICE: 's',
        FUNCTION_MEMORY_MB: '1024',
        FUNCTION_TIMEOUT_SEC: '60',
        FUNCTION_REGION: 'us-central1',
      }),
    ).toEqual({ name: 'gcp.func', memory_mb: 1024, timeout_sec: 60, region: 'us-central1' });
    expect(faasMetadata({ AWS_LAMBDA_RUNTIME_API: 'x', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 'big' })).toEqual({
      name: 'aws.lambda',
    });
    expect(faasMetadata({ VERCEL: '1', VERCEL_REGION: 'cdg1' })).toEqual({ name: 'vercel', region: 'cdg1' });
    expect(faasMetadata({})).toBeNull();
  });

  it('streams in auto mode except on FaaS; stream and poll are taken as said', () => {
    expect(streamingEnabled('auto', {})).toBe(true);
    expect(streamingEnabled('auto', { AWS_LAMBDA_RUNTIME_API: 'x' })).toBe(false);
    expect(streamingEnabled('stream', { AWS_LAMBDA_RUNTIME_API: 'x' })).toBe(true);
    expect(streamingEnabled('poll', {})).toBe(false);
  });
});
