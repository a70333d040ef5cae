/** The complete machine-readable report: setup, every summary, every series and every request record. */
import type { Report } from './report.js';

/** JSON text of the report. NaN (an empty sample) becomes null. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`;
}
