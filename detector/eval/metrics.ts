/**
 * Detection metrics over scored, labelled items: ROC (and its area, with ties handled as
 * half), average precision (area under the precision–recall curve, step-wise as in
 * scikit-learn), and precision/recall/F1 at a threshold.
 */
export interface Curve {
  /** False-positive rates, ascending. */
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

function order(scores: ArrayLike<number>): Int32Array {
  const idx = new Int32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => scores[b]! - scores[a]!);
}

/**
 * Sweeps the items from the highest score down and calls `visit` at each distinct score with
 * the true and false positives at that threshold; returns the number of positives.
 */
function sweep(scores: ArrayLike<number>, labels: ArrayLike<number>, visit: (tp: number, fp: number, threshold: number, pos: number) => void): number {
  const idx = order(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) pos++;
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (labels[i]) tp++;
    else fp++;
    const next = idx[k + 1];
    if (next === undefined || scores[next] !== scores[i]) visit(tp, fp, scores[i]!, pos);
  }
  return pos;
}

/** ROC curve points at each distinct score (descending thresholds). */
export function roc(scores: ArrayLike<number>, labels: ArrayLike<number>): Curve {
  const curve: Curve = { fpr: [0], tpr: [0], thresholds: [Infinity] };
  sweep(scores, labels, (tp, fp, threshold, pos) => {
    const neg = labels.length - pos;
    curve.fpr.push(neg ? fp / neg : 0);
    curve.tpr.push(pos ? tp / pos : 0);
    curve.thresholds.push(threshold);
  });
  return curve;
}

export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const c = roc(scores, labels);
  let area = 0;
  for (let i = 1; i < c.fpr.length; i++) area += ((c.fpr[i]! - c.fpr[i - 1]!) * (c.tpr[i]! + c.tpr[i - 1]!)) / 2;
  return area;
}

/**
 * Average precision: Σ (R_k − R_{k−1}) P_k over distinct thresholds, read off the ROC
 * sweep (at each point tp = tpr·positives and fp = fpr·negatives).
 */
export function auprc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let pos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) pos++;
  if (pos === 0) return 0;
  const neg = labels.length - pos;
  const c = roc(scores, labels);
  let ap = 0;
  for (let k = 1; k < c.tpr.length; k++) {
    const tp = c.tpr[k]! * pos;
    const fp = c.fpr[k]! * neg;
    ap += (c.tpr[k]! - c.tpr[k - 1]!) * (tp / (tp + fp));
  }
  return ap;
}

/** Confusion at `score >= threshold` counting as an alert; `threshold` may be per item (per-family thresholds). */
export function confusion(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number | ArrayLike<number>): Confusion {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const alert = scores[i]! >= (typeof threshold === 'number' ? threshold : threshold[i]!);
    if (labels[i]) alert ? tp++ : fn++;
    else alert ? fp++ : tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { tp, fp, tn, fn, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** The threshold maximising F1 on a (validation) set: never choose it on the test set. */
export function bestF1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>): { threshold: number; f1: number } {
  let best = { threshold: Infinity, f1: 0 };
  sweep(scores, labels, (tp, fp, threshold, pos) => {
    const p = tp / (tp + fp);
    const r = pos ? tp / pos : 0;
    const f1 = p + r ? (2 * p * r) / (p + r) : 0;
    if (f1 > best.f1) best = { threshold, f1 };
  });
  return best;
}
