/**
 * How the driver's figures are named: `driver` and our figure's name with a capital, so that
 * `cpuSeconds` is ours and `driverCpuSeconds` the driver's. Spelled once here, so that a row and
 * the code that fills it cannot disagree on a name.
 */
import type { RowSpec, Unit } from './results.js';

/** Which client a figure belongs to. */
export type Side = 'ours' | 'driver';

/** The driver's counterpart of our figure `name`; another `prefix` names a variant (`driverInsert…`). */
export function driverField(name: string, prefix = 'driver'): string {
  return `${prefix}${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/** The figure `name` of `side`: the name itself for ours, its counterpart for the driver. */
export function sideField(side: Side, name: string): string {
  return side === 'ours' ? name : driverField(name);
}

/** A table row: our figure `ours` next to the driver's counterpart. */
export function comparedRow(label: string, unit: Unit, ours: string, target?: string): RowSpec {
  return { label, unit, ours, driver: driverField(ours), ...(target === undefined ? {} : { target }) };
}
