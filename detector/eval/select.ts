/**
 * Model selection for the public data sets: two unsupervised models on the same training
 * rows (labels unread) — the autoencoder and an isolation forest — and their rank average;
 * the one with the best AUROC on the validation split scores the test split, at the
 * F1-maximising validation threshold. Selection never sees the test rows. On shuttle the
 * forest or the average wins: the forest isolates the rare classes in a few axis-parallel
 * cuts, the autoencoder varies with its seed.
 */
import { scoreFamily, scoreForest, seededRandom, trainFamily, trainForest, type Matrix } from '../model/index.js';
import { auroc, bestF1Threshold } from './metrics.js';

export async function selectModel(family: string, names: readonly string[], tr: Matrix, va: Matrix, vaLabels: number[], te: Matrix, epochs: number, seed: number, log: (m: string) => void = () => {}) {
  const model = await trainFamily(family, names, tr, { epochs, seed, envelopeQuantile: 0, onEpoch: (e, E, l) => log(`train: epoch ${e}/${E} loss ${l.toFixed(5)}`) });
  const forest = trainForest(tr.rows, tr.n, tr.d, seededRandom(seed), { trees: 200, sampleSize: 256 });
  const candidates = (m: Matrix): Record<string, Float32Array> => {
    const ae = scoreFamily(model, m);
    const iforest = Float32Array.from(scoreForest(forest, m.rows, m.n));
    return { autoencoder: ae, 'isolation forest': iforest, 'rank average': rankAverage(ae, iforest) };
  };
  const vaScores = candidates(va);
  const vaAuroc = Object.entries(vaScores).map(([k, v]) => [k, auroc(v, vaLabels)] as const);
  const [chosen] = vaAuroc.reduce((a, b) => (b[1] > a[1] ? b : a));
  const threshold = bestF1Threshold(vaScores[chosen]!, vaLabels).threshold;
  const note = vaAuroc.map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
  return { scores: candidates(te)[chosen]!, threshold, method: `${chosen} chosen by validation AUROC (${note})` };
}

/** Mean of each item's rank (0–1) under two scores: combines scales that do not compare. */
export function rankAverage(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const ranks = (x: ArrayLike<number>) => {
    const order = Array.from({ length: x.length }, (_, i) => i).sort((i, j) => x[i]! - x[j]!);
    const r = new Float64Array(x.length);
    order.forEach((i, k) => (r[i] = k / Math.max(1, x.length - 1)));
    return r;
  };
  const ra = ranks(a);
  const rb = ranks(b);
  return Float32Array.from(ra, (v, i) => (v + rb[i]!) / 2);
}
