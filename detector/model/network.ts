/**
 * The dense network the model uses, as plain arrays: TF.js trains it, and a small forward
 * pass in JS scores it. Scoring a 20-input autoencoder costs a few thousand multiply-adds
 * per event; on the CPU the JS loop beats the per-call overhead of a TF.js kernel launch
 * and gives bit-identical scores before and after a save (see README, "Scoring speed").
 */
export interface DenseLayer {
  inputs: number;
  units: number;
  activation: 'tanh' | 'linear';
  /** Row-major [inputs × units]. */
  kernel: Float32Array;
  bias: Float32Array;
}

/** Rows pushed through the network together: each weight is loaded once for all of them. */
const ROWS = 4;

/** The weights widened to float64 once per layer (the arithmetic is float64 either way). */
const widened = new WeakMap<DenseLayer, { kernel: Float64Array; bias: Float64Array }>();

function weights(layer: DenseLayer): { kernel: Float64Array; bias: Float64Array } {
  let w = widened.get(layer);
  if (!w) {
    w = { kernel: Float64Array.from(layer.kernel), bias: Float64Array.from(layer.bias) };
    widened.set(layer, w);
  }
  return w;
}

/**
 * Squared reconstruction error of each row of x (n × d) through the layers, into `out`.
 * Four rows go through together, each with exactly the arithmetic it would have alone (same
 * operations in the same order), so a row's error does not depend on its neighbours.
 */
export function reconstructionErrors(layers: readonly DenseLayer[], x: Float32Array, n: number, d: number, out: Float64Array): void {
  const w = Math.max(d, ...layers.map((l) => l.units));
  let a = new Float64Array(w * ROWS);
  let b = new Float64Array(w * ROWS);
  const ws = layers.map(weights);
  for (let r0 = 0; r0 < n; r0 += ROWS) {
    const rows = Math.min(ROWS, n - r0);
    if (rows < ROWS) a.fill(0); // the missing rows compute on zeros and are not reported
    for (let q = 0; q < rows; q++) {
      const base = (r0 + q) * d;
      for (let i = 0; i < d; i++) a[q * w + i] = x[base + i]!;
    }
    for (let li = 0; li < layers.length; li++) {
      const { inputs, units, activation } = layers[li]!;
      const { kernel, bias } = ws[li]!;
      const o1 = w;
      const o2 = 2 * w;
      const o3 = 3 * w;
      for (let u = 0; u < units; u++) {
        const v = bias[u]!;
        b[u] = v;
        b[o1 + u] = v;
        b[o2 + u] = v;
        b[o3 + u] = v;
      }
      for (let i = 0; i < inputs; i++) {
        const a0 = a[i]!;
        const a1 = a[o1 + i]!;
        const a2 = a[o2 + i]!;
        const a3 = a[o3 + i]!;
        const row = i * units;
        for (let u = 0; u < units; u++) {
          const k = kernel[row + u]!;
          b[u] = b[u]! + a0 * k;
          b[o1 + u] = b[o1 + u]! + a1 * k;
          b[o2 + u] = b[o2 + u]! + a2 * k;
          b[o3 + u] = b[o3 + u]! + a3 * k;
        }
      }
      if (activation === 'tanh') {
        for (let u = 0; u < units; u++) {
          b[u] = Math.tanh(b[u]!);
          b[o1 + u] = Math.tanh(b[o1 + u]!);
          b[o2 + u] = Math.tanh(b[o2 + u]!);
          b[o3 + u] = Math.tanh(b[o3 + u]!);
        }
      }
      const t = a;
      a = b;
      b = t;
    }
    for (let q = 0; q < rows; q++) {
      const base = (r0 + q) * d;
      let err = 0;
      for (let i = 0; i < d; i++) {
        const e = a[q * w + i]! - x[base + i]!;
        err += e * e;
      }
      out[r0 + q] = err / d;
    }
  }
}
