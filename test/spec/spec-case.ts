import type { SpecFile } from './spec-files.js';

/** One runnable check from a specification file; `run` throws (node:assert) on a mismatch. */
export interface SpecCase {
  readonly name: string;
  /** When set, the case cannot be run here, and this says why. */
  readonly skip?: string;
  run(): void | Promise<void>;
}

/** Turns one file of a format into its cases. */
export type FormatHandler = (file: SpecFile) => SpecCase[];
