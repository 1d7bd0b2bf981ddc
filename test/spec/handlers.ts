import type { FormatHandler } from './spec-case.js';
import type { SpecFormat } from './spec-files.js';
import { sdamCases } from './formats/sdam.js';
import { selectionCases } from './formats/selection.js';
import { rttCases } from './formats/rtt.js';
import { uriCases } from './formats/uri.js';
import { inWindowCases } from './formats/in-window.js';

export const handlers: Record<SpecFormat, FormatHandler> = {
  sdam: sdamCases,
  selection: selectionCases,
  rtt: rttCases,
  uri: uriCases,
  'in-window': inWindowCases,
};
