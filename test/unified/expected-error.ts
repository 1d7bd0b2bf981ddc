/**
 * `expectError`: the assertions on an error an operation raised. For client bulk writes the
 * top-level error is the driver's `cause`; write errors and write concern errors are checked
 * only by `writeErrors` / `writeConcernErrors`.
 */
import type { Document } from 'bson';
import { MongoServerError } from 'mongodb';
import type { ExpectedError } from './format.js';
import { assertMatches, MatchError, type MatchEntities } from './matcher.js';
import { toResultValue } from './result-documents.js';

interface DriverError extends Error {
  code?: unknown;
  codeName?: unknown;
  errorLabels?: string[];
  errorResponse?: Document;
  result?: unknown;
  partialResult?: unknown;
  writeErrors?: Map<number, unknown> | unknown[];
  writeConcernErrors?: unknown[];
  cause?: unknown;
  hasErrorLabel?(label: string): boolean;
}

function topLevel(error: DriverError): DriverError {
  if (error.name === 'MongoClientBulkWriteError' && error.cause instanceof Error)
    return error.cause as DriverError;
  return error;
}

function hasLabel(error: DriverError, label: string): boolean {
  const inner = topLevel(error);
  return [error, inner].some((e) => e.hasErrorLabel?.(label) ?? e.errorLabels?.includes(label) ?? false);
}

function codeName(error: DriverError): unknown {
  return error.codeName ?? error.errorResponse?.['codeName'];
}

export function assertExpectedError(expected: ExpectedError, thrown: unknown, entities: MatchEntities): void {
  if (!(thrown instanceof Error)) throw new MatchError(`expected an error, got ${String(thrown)}`);
  const error = thrown as DriverError;
  const top = topLevel(error);
  const fail = (message: string): never => {
    throw new MatchError(`${message} (the error: ${error.name}: ${error.message})`);
  };
  if (expected.isClientError !== undefined) {
    const isClient = !(top instanceof MongoServerError);
    if (isClient !== expected.isClientError)
      fail(`expected ${expected.isClientError ? 'a client' : 'a server'} error`);
  }
  if (expected.isTimeoutError !== undefined) {
    const isTimeout = top.name === 'MongoOperationTimeoutError';
    if (isTimeout !== expected.isTimeoutError) fail(`expected isTimeoutError ${expected.isTimeoutError}`);
  }
  if (expected.errorContains !== undefined) {
    const messages = [error.message, top.message].map((m) => m.toLowerCase());
    if (!messages.some((m) => m.includes(expected.errorContains!.toLowerCase()))) {
      fail(`expected the message to contain "${expected.errorContains}"`);
    }
  }
  if (expected.errorCode !== undefined && Number(top.code) !== Number(expected.errorCode)) {
    fail(`expected error code ${Number(expected.errorCode)}, got ${String(top.code)}`);
  }
  if (expected.errorCodeName !== undefined) {
    const actual = codeName(top);
    if (typeof actual !== 'string' || actual.toLowerCase() !== expected.errorCodeName.toLowerCase()) {
      fail(`expected codeName ${expected.errorCodeName}, got ${String(actual)}`);
    }
  }
  for (const label of expected.errorLabelsContain ?? []) {
    if (!hasLabel(error, label))
      fail(`expected label ${label}, labels: ${JSON.stringify(top.errorLabels ?? [])}`);
  }
  for (const label of expected.errorLabelsOmit ?? []) {
    if (hasLabel(error, label)) fail(`expected no label ${label}`);
  }
  if (expected.writeErrors !== undefined) {
    const actual = error.writeErrors instanceof Map ? error.writeErrors : new Map<number, unknown>();
    const wanted = Object.entries(expected.writeErrors);
    for (const [index, writeError] of wanted) {
      const got = actual.get(Number(index));
      if (got === undefined) fail(`expected a write error at index ${index}`);
      assertMatches(writeError, { ...(got as object) }, { entities, root: true });
    }
    if (actual.size !== wanted.length) fail(`expected ${wanted.length} write error(s), got ${actual.size}`);
  }
  if (expected.writeConcernErrors !== undefined) {
    const actual = (error.writeConcernErrors ?? []).map((e) => ({ ...(e as object) }));
    if (actual.length !== expected.writeConcernErrors.length) {
      fail(`expected ${expected.writeConcernErrors.length} write concern error(s), got ${actual.length}`);
    }
    expected.writeConcernErrors.forEach((wce, i) => assertMatches(wce, actual[i], { entities, root: true }));
  }
  if (expected.errorResponse !== undefined) {
    if (!top.errorResponse) fail('expected a server response in the error');
    assertMatches(expected.errorResponse, top.errorResponse, { entities, root: true });
  }
  if (expected.expectResult !== undefined) {
    // A client bulk write reports what succeeded as partialResult only; other bulk errors as result.
    const raw = error.name === 'MongoClientBulkWriteError' ? error.partialResult : error.result;
    const result = toResultValue(raw);
    assertMatches(expected.expectResult, result, { entities, root: true });
  }
}
