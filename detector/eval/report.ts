/**
 * The evaluation report: AUROC, AUPRC and precision / recall / F1 overall and per attack
 * type, at one threshold or at each event's own (its family's), and its text form.
 */
import type { Curve } from './metrics.js';
import { auprc, auroc, confusion, roc } from './metrics.js';
import type { WindowScore } from './windows.js';

export interface Row {
  auroc: number;
  auprc: number;
  precision: number;
  recall: number;
  f1: number;
  /** Share of the normal events judged attacks. */
  fpRate: number;
  attacks: number;
  normals: number;
}

export interface Report {
  name: string;
  method: string;
  threshold: number;
  /** Per-family thresholds, when validation chose them (each event is judged by its family's). */
  thresholds?: Record<string, number>;
  overall: Row;
  perAttack: Record<string, Row>;
  windows?: Record<string, WindowScore>;
  curves: Array<{ label: string; curve: Curve; auroc: number }>;
}

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

export function reportRow(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number | ArrayLike<number>): Row {
  const c = confusion(scores, labels, threshold);
  const normals = c.fp + c.tn;
  return {
    auroc: r4(auroc(scores, labels)),
    auprc: r4(auprc(scores, labels)),
    precision: r4(c.precision),
    recall: r4(c.recall),
    f1: r4(c.f1),
    fpRate: normals > 0 ? Math.round((c.fp / normals) * 1e6) / 1e6 : 0,
    attacks: c.tp + c.fn,
    normals,
  };
}

/**
 * Per attack type: that type's events against the normal events (other attacks left out) —
 * with `families`, only the normal events of the type's own family (a forged BSM competes
 * with honest BSMs, not with meter readings). `perEvent` gives each event its own
 * threshold (its family's), else `threshold` applies.
 */
export function buildReport(
  name: string,
  method: string,
  threshold: number,
  scores: Float32Array,
  labels: Uint8Array,
  attacks: string[],
  perEvent?: Float32Array,
  families?: ReadonlyArray<string | undefined>,
): Report {
  const report: Report = { name, method, threshold, overall: reportRow(scores, labels, perEvent ?? threshold), perAttack: {}, curves: [] };
  report.curves.push({ label: 'all', curve: roc(scores, labels), auroc: report.overall.auroc });
  const types = [...new Set(attacks.filter((a) => a !== ''))].sort();
  for (const t of types) {
    const idx: number[] = [];
    const fam = families?.[attacks.indexOf(t)];
    for (let i = 0; i < labels.length; i++) if ((labels[i] === 0 && (fam === undefined || families?.[i] === fam)) || attacks[i] === t) idx.push(i);
    const s = Float32Array.from(idx, (i) => scores[i]!);
    const l = Uint8Array.from(idx, (i) => labels[i]!);
    const row = reportRow(s, l, perEvent ? Float32Array.from(idx, (i) => perEvent[i]!) : threshold);
    report.perAttack[t] = row;
    if (types.length <= 12) report.curves.push({ label: t, curve: roc(s, l), auroc: row.auroc });
  }
  return report;
}

export function formatReport(r: Report): string {
  const out: string[] = [`${r.name}`, `  ${r.method}`, ''];
  const head = `${'attack'.padEnd(26)} ${'AUROC'.padStart(7)} ${'AUPRC'.padStart(7)} ${'P'.padStart(7)} ${'R'.padStart(7)} ${'F1'.padStart(7)} ${'FP %'.padStart(7)} ${'attacks'.padStart(9)} ${'normals'.padStart(9)}`;
  const line = (n: string, x: Row) =>
    `${n.padEnd(26)} ${x.auroc.toFixed(4).padStart(7)} ${x.auprc.toFixed(4).padStart(7)} ${x.precision.toFixed(4).padStart(7)} ${x.recall.toFixed(4).padStart(7)} ${x.f1.toFixed(4).padStart(7)} ${(100 * x.fpRate).toFixed(3).padStart(7)} ${String(x.attacks).padStart(9)} ${String(x.normals).padStart(9)}`;
  out.push(head, line('all', r.overall));
  for (const [t, x] of Object.entries(r.perAttack)) out.push(line(t, x));
  if (r.windows)
    for (const [t, w] of Object.entries(r.windows))
      out.push(`${t.padEnd(26)} windows ${w.windows}, detected ${w.detected}, false alerts ${w.falseAlerts}, censored ${w.censored} (${w.censoredDetected} found): P ${w.precision.toFixed(4)} R ${w.recall.toFixed(4)} F1 ${w.f1.toFixed(4)}`);
  return `${out.join('\n')}\n`;
}
