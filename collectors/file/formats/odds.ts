/**
 * ODDS outlier benchmarks: `<name>.csv` (features, no header) and `<name>_labels.csv` (one
 * 0/1 per line, 1 = outlier) → `telemetry` events of device `odds-<name>` with metrics
 * `f0 … fN-1`, and labels (`attack: "outlier"`).
 *
 * The data set has no time: row k (0-based) is given the synthetic timestamp
 * `start + k * stepMs`, increasing, so that per-entity features see an ordered stream and
 * equal rows stay distinct events. Feature line k pairs with label line k; a feature row
 * whose label is missing or not 0/1 is rejected, and so is a label line with no row.
 */
import { reject, type ResolvedValidationOptions } from '../../../events/index.js';
import type { Line } from '../lines.js';
import type { FileRecord, Truth } from '../types.js';
import { converted, failed, isNumeric, type Converter } from './common.js';

export class OddsConverter implements Converter {
  blank = 0;
  private readonly labels: Line[] = [];
  private width: number | undefined;

  constructor(
    private readonly validation: ResolvedValidationOptions,
    private readonly device: string,
    private readonly start: number,
    private readonly stepMs: number,
    private readonly labelsName: string,
  ) {}

  /** Label lines not yet paired with a feature line. */
  get pendingLabels(): number {
    return this.labels.length;
  }

  addLabels(lines: readonly Line[]): void {
    for (const l of lines) this.labels.push(l);
  }

  feed(line: Line, out: FileRecord[]): void {
    const labelLine = this.labels.shift();
    if (line.rejection !== undefined) {
      out.push(failed(line.no, line.raw, line.rejection));
      return;
    }
    const text = line.text;
    // Every feature line consumes a label line, blank or not, so the pairing never slips.
    if (text.trim() === '') {
      out.push(failed(line.no, text, reject('EMPTY', 'expected a row of features, got an empty line')));
      return;
    }
    const truth = oddsTruth(labelLine, this.labelsName);
    if (typeof truth === 'string') {
      out.push(failed(line.no, text, reject('PARSE_ERROR', truth, 'label')));
      return;
    }
    const cells = text.split(',');
    this.width ??= cells.length;
    if (cells.length !== this.width) {
      out.push(failed(line.no, text, reject('PARSE_ERROR', `expected ${this.width} features as on the first row, got ${cells.length}`)));
      return;
    }
    const metrics: Record<string, number | string> = {};
    cells.forEach((cell, i) => {
      metrics[`f${i}`] = isNumeric(cell) ? Number(cell) : cell.trim();
    });
    const ts = this.start + (line.no - 1) * this.stepMs;
    const record = converted(line.no, text, { kind: 'telemetry', device: this.device, ts, metrics }, this.validation, truth);
    // Every ODDS feature is a number; text where one belongs is a wrong type, not a reading.
    const bad = Object.entries(metrics).find(([, v]) => typeof v === 'string');
    if (bad !== undefined && record.result.ok) {
      out.push(failed(line.no, text, reject('WRONG_TYPE', `metrics.${bad[0]}: expected a number, got ${JSON.stringify(String(bad[1]).slice(0, 30))}`, `metrics.${bad[0]}`)));
      return;
    }
    out.push(record);
  }

  /** Label lines left over once the features end are rejected (with their own line numbers). */
  finish(out: FileRecord[]): void {
    for (const l of this.labels.splice(0)) {
      if (l.rejection !== undefined) out.push(failed(l.no, l.raw, l.rejection));
      else out.push(failed(l.no, l.text, reject('PARSE_ERROR', `${this.labelsName} line ${l.no} has no features row`)));
    }
  }
}

function oddsTruth(line: Line | undefined, labelsName: string): Truth | string {
  if (line === undefined) return `${labelsName} has no label for this row`;
  if (line.rejection !== undefined) return `${labelsName} line ${line.no} is unreadable (${line.rejection.code})`;
  const text = line.text.trim();
  if (isNumeric(text) && Number(text) === 1) return { label: 'attack', attack: 'outlier' };
  if (isNumeric(text) && Number(text) === 0) return { label: 'normal' };
  return `${labelsName} line ${line.no}: expected 0 or 1, got ${JSON.stringify(text.slice(0, 20))}`;
}
