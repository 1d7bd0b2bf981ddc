import type { FormatHandler } from '../spec-case.js';

// Placeholder until the rtt format is implemented: every file is reported as skipped.
export const rttCases: FormatHandler = (file) => [
  { name: file.path, skip: 'the rtt format is not implemented yet', run: () => {} },
];
