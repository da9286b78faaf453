/**
 * Isolation forest (Liu, Ting and Zhou, 2008) in plain JS: trees grown on small seeded
 * subsamples by random axis-parallel cuts; an outlier is isolated in fewer cuts. It needs
 * no TF.js and no scaling, and on low-dimensional tabular data (ODDS shuttle) it ranks
 * outliers better than the autoencoder (ADBench reports 0.9956 AUROC), so the data-set
 * evaluation averages both by rank. Training never reads labels.
 */
import type { Random } from './random.js';

export interface IsolationForest {
  /** Per tree, flat nodes: feature index (−1 for a leaf), cut value, left child, right child, leaf size. */
  trees: Array<{ feature: Int32Array; cut: Float64Array; left: Int32Array; right: Int32Array; size: Int32Array }>;
  sampleSize: number;
  d: number;
}

export interface ForestOptions {
  /** @default 200 */
  trees?: number;
  /** Rows per tree. @default 256 */
  sampleSize?: number;
}

/** Average path length of an unsuccessful search in a binary search tree of n items. */
function c(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + 0.5772156649) - (2 * (n - 1)) / n;
}

export function trainForest(x: Float32Array, n: number, d: number, random: Random, options: ForestOptions = {}): IsolationForest {
  const nTrees = options.trees ?? 200;
  const psi = Math.min(options.sampleSize ?? 256, n);
  const maxDepth = Math.ceil(Math.log2(Math.max(2, psi)));
  const trees: IsolationForest['trees'] = [];
  for (let t = 0; t < nTrees; t++) {
    const sample = new Int32Array(psi);
    for (let i = 0; i < psi; i++) sample[i] = Math.floor(random() * n);
    const cap = 2 * psi;
    const feature = new Int32Array(cap).fill(-1);
    const cut = new Float64Array(cap);
    const left = new Int32Array(cap);
    const right = new Int32Array(cap);
    const size = new Int32Array(cap);
    let count = 0;
    const grow = (idx: Int32Array, depth: number): number => {
      const node = count++;
      size[node] = idx.length;
      if (idx.length <= 1 || depth >= maxDepth) return node;
      // pick a feature that is not constant on these rows (a few tries, as scikit-learn does implicitly)
      for (let attempt = 0; attempt < d * 2; attempt++) {
        const f = Math.floor(random() * d);
        let lo = Infinity;
        let hi = -Infinity;
        for (const i of idx) {
          const v = x[i * d + f]!;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (!(hi > lo)) continue;
        const value = lo + random() * (hi - lo);
        const l: number[] = [];
        const r: number[] = [];
        for (const i of idx) (x[i * d + f]! < value ? l : r).push(i);
        feature[node] = f;
        cut[node] = value;
        left[node] = grow(Int32Array.from(l), depth + 1);
        right[node] = grow(Int32Array.from(r), depth + 1);
        return node;
      }
      return node;
    };
    grow(sample, 0);
    trees.push({ feature: feature.slice(0, count), cut: cut.slice(0, count), left: left.slice(0, count), right: right.slice(0, count), size: size.slice(0, count) });
  }
  return { trees, sampleSize: psi, d };
}

/** Anomaly scores in (0, 1): 2^(−mean path length / c(ψ)); higher is more anomalous. */
export function scoreForest(forest: IsolationForest, x: Float32Array, n: number, out: Float64Array = new Float64Array(n)): Float64Array {
  const { d } = forest;
  const norm = c(forest.sampleSize);
  for (let r = 0; r < n; r++) {
    let total = 0;
    for (const t of forest.trees) {
      let node = 0;
      let depth = 0;
      while (t.feature[node]! >= 0) {
        node = x[r * d + t.feature[node]!]! < t.cut[node]! ? t.left[node]! : t.right[node]!;
        depth++;
      }
      total += depth + c(t.size[node]!);
    }
    out[r] = 2 ** (-(total / forest.trees.length) / norm);
  }
  return out;
}
