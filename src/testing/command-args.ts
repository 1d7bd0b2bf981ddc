/** Reading a command's arguments the way mongod checks them, for the simulator's command modules. */
import { EJSON, Long, type Document } from 'bson';
import type { Namespace } from './document-store.js';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import type { WireRequest } from './wire-server.js';

/** The collection a command names as its first field's value, in the request's database. */
export function collectionOf(request: WireRequest): Namespace {
  const value: unknown = request.command[request.commandName];
  if (typeof value !== 'string' || value === '') {
    throw new CommandError(
      73,
      `collection name for '${request.commandName}' must be a non-empty string, got ${EJSON.stringify({ v: value })}`,
    );
  }
  return { db: request.db, collection: value };
}

export function documentArg(command: Document, field: string, fallback?: Document): Document {
  const value: unknown = command[field];
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new CommandError(ServerErrorCode.FailedToParse, `missing required field '${field}'`);
  }
  if (!isPlainDocument(value))
    throw new CommandError(ServerErrorCode.TypeMismatch, `'${field}' must be a document`);
  return value;
}

export function optionalDocument(command: Document, field: string): Document | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainDocument(value))
    throw new CommandError(ServerErrorCode.TypeMismatch, `'${field}' must be a document`);
  return value;
}

export function arrayArg(command: Document, field: string): unknown[] {
  const value: unknown = command[field];
  if (!Array.isArray(value))
    throw new CommandError(ServerErrorCode.TypeMismatch, `'${field}' must be an array`);
  return value;
}

export function numberArg(command: Document, field: string): number | undefined {
  const value: unknown = command[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (Long.isLong(value)) return value.toNumber();
  if (typeof value === 'bigint') return Number(value);
  throw new CommandError(ServerErrorCode.TypeMismatch, `'${field}' must be a number`);
}

export function cursorBatchSize(command: Document): number | undefined {
  const cursor = optionalDocument(command, 'cursor');
  return cursor ? numberArg(cursor, 'batchSize') : undefined;
}

/** A `db.collection` namespace string (as `renameCollection`, `to` and `nsInfo` carry them). */
export function parseNamespace(value: unknown, field: string): Namespace {
  if (typeof value !== 'string')
    throw new CommandError(
      ServerErrorCode.TypeMismatch,
      `'${field}' must be a namespace string 'db.collection'`,
    );
  const dot = value.indexOf('.');
  if (dot <= 0 || dot === value.length - 1)
    throw new CommandError(ServerErrorCode.InvalidNamespace, `Invalid namespace specified '${value}'`);
  return { db: value.slice(0, dot), collection: value.slice(dot + 1) };
}

/** Refuses a command sent to another database than `admin`, as mongod does for admin-only commands. */
export function requireAdmin(request: WireRequest): void {
  if (request.db !== 'admin')
    throw new CommandError(
      ServerErrorCode.Unauthorized,
      `${request.commandName} may only be run against the admin database.`,
    );
}

/** An optional string field that must be one of `values`, with mongod's message otherwise. */
export function enumArg(command: Document, field: string, values: ReadonlySet<string>): string | undefined {
  const value: unknown = command[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !values.has(value))
    throw new CommandError(
      ServerErrorCode.BadValue,
      `Enumeration value '${String(value)}' for field '${field}' is not a valid value.`,
    );
  return value;
}
