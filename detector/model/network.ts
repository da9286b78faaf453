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

/** Squared reconstruction error of each row of x (n × d) through the layers, into `out`. */
export function reconstructionErrors(layers: readonly DenseLayer[], x: Float32Array, n: number, d: number, out: Float64Array): void {
  const widest = Math.max(d, ...layers.map((l) => l.units));
  let a = new Float64Array(widest);
  let b = new Float64Array(widest);
  for (let r = 0; r < n; r++) {
    const base = r * d;
    for (let i = 0; i < d; i++) a[i] = x[base + i]!;
    for (const layer of layers) {
      const { inputs, units, kernel, bias } = layer;
      for (let u = 0; u < units; u++) b[u] = bias[u]!;
      for (let i = 0; i < inputs; i++) {
        const ai = a[i]!;
        if (ai === 0) continue;
        const row = i * units;
        for (let u = 0; u < units; u++) b[u] = b[u]! + ai * kernel[row + u]!;
      }
      if (layer.activation === 'tanh') for (let u = 0; u < units; u++) b[u] = Math.tanh(b[u]!);
      const t = a;
      a = b;
      b = t;
    }
    let err = 0;
    for (let i = 0; i < d; i++) {
      const e = a[i]! - x[base + i]!;
      err += e * e;
    }
    out[r] = err / d;
  }
}
