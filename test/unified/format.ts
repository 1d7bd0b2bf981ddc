/**
 * The shapes of a unified-format test file (unified-test-format.md), as the runner reads them,
 * and the schema versions it accepts.
 */
import type { Document } from 'bson';

export interface RunOnRequirement {
  readonly minServerVersion?: string;
  readonly maxServerVersion?: string;
  readonly topologies?: readonly string[];
  readonly serverless?: 'require' | 'forbid' | 'allow';
  readonly serverParameters?: Document;
  readonly auth?: boolean;
  readonly authMechanism?: string;
  readonly csfle?: boolean | Document;
}

export interface Operation {
  readonly name: string;
  readonly object: string;
  readonly arguments?: Document;
  readonly expectResult?: unknown;
  readonly expectError?: ExpectedError;
  readonly saveResultAsEntity?: string;
  readonly ignoreResultAndError?: boolean;
}

export interface ExpectedError {
  readonly isError?: boolean;
  readonly isClientError?: boolean;
  readonly isTimeoutError?: boolean;
  readonly errorContains?: string;
  readonly errorCode?: number;
  readonly errorCodeName?: string;
  readonly errorLabelsContain?: readonly string[];
  readonly errorLabelsOmit?: readonly string[];
  readonly writeErrors?: Document;
  readonly writeConcernErrors?: readonly Document[];
  readonly errorResponse?: Document;
  readonly expectResult?: unknown;
}

export interface ExpectedEventsForClient {
  readonly client: string;
  readonly eventType?: 'command' | 'cmap' | 'sdam';
  readonly events: readonly Document[];
  readonly ignoreExtraEvents?: boolean;
}

export interface CollectionData {
  readonly collectionName: string;
  readonly databaseName: string;
  readonly createOptions?: Document;
  readonly documents: readonly Document[];
}

export interface UnifiedTest {
  readonly description: string;
  readonly runOnRequirements?: readonly RunOnRequirement[];
  readonly skipReason?: string;
  readonly operations: readonly Operation[];
  readonly expectEvents?: readonly ExpectedEventsForClient[];
  readonly expectLogMessages?: readonly Document[];
  readonly expectTracingMessages?: Document;
  readonly outcome?: readonly CollectionData[];
}

export interface UnifiedFile {
  readonly description: string;
  readonly schemaVersion: string;
  readonly runOnRequirements?: readonly RunOnRequirement[];
  readonly createEntities?: readonly Document[];
  readonly initialData?: readonly CollectionData[];
  readonly tests: readonly UnifiedTest[];
}

/** The newest schema version of unified-test-format.md this runner reads (its changelog's last bump). */
export const SUPPORTED_SCHEMA_VERSION: readonly [number, number] = [1, 28];

/**
 * Why the runner must not process a file of this schema version, or null when it may: the major
 * version must equal ours and the minor must not exceed ours.
 */
export function schemaVersionProblem(version: unknown): string | null {
  if (typeof version !== 'string' || !/^\d+(\.\d+){0,2}$/.test(version)) {
    return `schemaVersion ${JSON.stringify(version)} is not a version string`;
  }
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [ourMajor, ourMinor] = SUPPORTED_SCHEMA_VERSION;
  if (major !== ourMajor || minor > ourMinor) {
    return `schemaVersion ${version} is not supported (the runner reads ${ourMajor}.0 to ${ourMajor}.${ourMinor})`;
  }
  return null;
}
