/**
 * The dense network the model uses, as plain arrays: TF.js trains it, and a small forward
 * pass scores it (in WebAssembly SIMD, simd.ts, else a JS loop; tanh.ts's tanh). Scoring a 20-input autoencoder costs a few thousand multiply-adds per event; on the
 * CPU this beats the per-call overhead of a TF.js kernel launch and gives bit-identical
 * scores before and after a save (detector/README.md, the score_events_per_s notes).
 */
import { simdEngine, type SimdLayer, type SimdTanh } from './simd.js';
import { tanh } from './tanh.js';

export { tanh } from './tanh.js';

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

interface Widened {
  /** The kernel transposed to [units × inputs] and widened to float64 (the arithmetic is float64 either way). */
  kernelT: Float64Array;
  bias: Float64Array;
}

/** The weights prepared once per layer. */
const widened = new WeakMap<DenseLayer, Widened>();

function weights(layer: DenseLayer): Widened {
  let w = widened.get(layer);
  if (!w) {
    const { inputs, units, kernel } = layer;
    const kernelT = new Float64Array(inputs * units);
    for (let i = 0; i < inputs; i++) for (let u = 0; u < units; u++) kernelT[u * inputs + i] = kernel[i * units + u]!;
    w = { kernelT, bias: Float64Array.from(layer.bias) };
    widened.set(layer, w);
  }
  return w;
}


/** Rows the WebAssembly pass takes per call of its layer function (a multiple of 8). */
const CHUNK = 512;

interface Engine {
  layer: SimdLayer;
  tanh: SimdTanh;
  /** The instance's memory as float64s: weights, then two activation buffers of CHUNK rows. */
  f64: Float64Array;
  /** Byte offsets of each layer's transposed kernel and bias, and of the two buffers. */
  kernels: number[];
  biases: number[];
  bufA: number;
  bufB: number;
}

/** Per network (the layers array of a family model): its WebAssembly instance with the weights in place, or null without SIMD. */
const engines = new WeakMap<readonly DenseLayer[], Engine | null>();

function engineFor(layers: readonly DenseLayer[], d: number): Engine | null {
  let e = engines.get(layers);
  if (e !== undefined) return e;
  e = null;
  const chained = layers.length > 0 && layers.every((l, i) => l.inputs === (i === 0 ? d : layers[i - 1]!.units)) && layers.at(-1)!.units === d;
  const simd = chained ? simdEngine() : undefined;
  if (simd) {
    const width = Math.max(d, ...layers.map((l) => l.units));
    let at = 0;
    const kernels: number[] = [];
    const biases: number[] = [];
    for (const l of layers) {
      kernels.push(at);
      at += l.inputs * l.units * 8;
      biases.push(at);
      at += l.units * 8;
    }
    const bufA = at;
    const bufB = bufA + CHUNK * width * 8;
    const bytes = bufB + CHUNK * width * 8;
    const pages = Math.ceil(bytes / 65536) - simd.memory.buffer.byteLength / 65536;
    if (pages > 0) simd.memory.grow(pages);
    const f64 = new Float64Array(simd.memory.buffer);
    layers.forEach((l, li) => {
      const w = weights(l);
      f64.set(w.kernelT, kernels[li]! / 8);
      f64.set(w.bias, biases[li]! / 8);
    });
    e = { layer: simd.layer, tanh: simd.tanh, f64, kernels, biases, bufA, bufB };
  }
  engines.set(layers, e);
  return e;
}

/**
 * Squared reconstruction error of each row of x (n × d) through the layers, into `out`: in
 * WebAssembly SIMD where available (simd.ts), else in JS; both give each row exactly the
 * arithmetic it would have alone (a unit's sum starts at its bias and adds input 0, 1, … in
 * turn; tanh above), so a row's error depends neither on its neighbours nor on the path.
 */
export function reconstructionErrors(layers: readonly DenseLayer[], x: Float32Array, n: number, d: number, out: Float64Array): void {
  const e = engineFor(layers, d);
  if (!e) {
    reconstructionErrorsJs(layers, x, n, d, out);
    return;
  }
  const f64 = e.f64;
  for (let r0 = 0; r0 < n; r0 += CHUNK) {
    const rows = Math.min(CHUNK, n - r0);
    const groups = (rows + 7) >> 3;
    // rows into the interleaved layout; the padding rows of the last group compute on zeros
    let base = e.bufA / 8;
    for (let r = 0; r < groups * 8; r++) {
      const at = base + (r >> 3) * d * 8 + (r & 7);
      if (r < rows) for (let i = 0, xi = (r0 + r) * d; i < d; i++) f64[at + i * 8] = x[xi + i]!;
      else for (let i = 0; i < d; i++) f64[at + i * 8] = 0;
    }
    let src = e.bufA;
    let dst = e.bufB;
    for (let li = 0; li < layers.length; li++) {
      const { inputs, units, activation } = layers[li]!;
      e.layer(src, e.kernels[li]!, e.biases[li]!, dst, groups, inputs, units);
      if (activation === 'tanh') e.tanh(dst, groups * units * 8);
      const t = src;
      src = dst;
      dst = t;
    }
    base = src / 8;
    for (let r = 0; r < rows; r++) {
      const at = base + (r >> 3) * d * 8 + (r & 7);
      const xi = (r0 + r) * d;
      let err = 0;
      for (let i = 0; i < d; i++) {
        const v = f64[at + i * 8]! - x[xi + i]!;
        err += v * v;
      }
      out[r0 + r] = err / d;
    }
  }
}

/**
 * The same in JS (where WebAssembly SIMD is unavailable; exported for the test that both agree).
 * Four rows go through together, each with exactly the arithmetic it would have alone.
 */
export function reconstructionErrorsJs(layers: readonly DenseLayer[], x: Float32Array, n: number, d: number, out: Float64Array): void {
  const w = Math.max(d, ...layers.map((l) => l.units));
  let a = new Float64Array(w * ROWS);
  let b = new Float64Array(w * ROWS);
  const ws = layers.map(weights);
  const o1 = w;
  const o2 = 2 * w;
  const o3 = 3 * w;
  for (let r0 = 0; r0 < n; r0 += ROWS) {
    const rows = Math.min(ROWS, n - r0);
    if (rows < ROWS) a.fill(0); // the missing rows compute on zeros and are not reported
    for (let q = 0; q < rows; q++) {
      const base = (r0 + q) * d;
      for (let i = 0; i < d; i++) a[q * w + i] = x[base + i]!;
    }
    for (let li = 0; li < layers.length; li++) {
      const { inputs, units, activation } = layers[li]!;
      const { kernelT, bias } = ws[li]!;
      const squash = activation === 'tanh';
      // Two units at a time, their eight sums in registers across the inputs.
      let u = 0;
      for (; u + 1 < units; u += 2) {
        const v = bias[u]!;
        const w_ = bias[u + 1]!;
        let s0 = v;
        let s1 = v;
        let s2 = v;
        let s3 = v;
        let t0 = w_;
        let t1 = w_;
        let t2 = w_;
        let t3 = w_;
        const ku = u * inputs;
        const kv = ku + inputs;
        for (let i = 0; i < inputs; i++) {
          const k = kernelT[ku + i]!;
          const l = kernelT[kv + i]!;
          const a0 = a[i]!;
          const a1 = a[o1 + i]!;
          const a2 = a[o2 + i]!;
          const a3 = a[o3 + i]!;
          s0 = s0 + a0 * k;
          s1 = s1 + a1 * k;
          s2 = s2 + a2 * k;
          s3 = s3 + a3 * k;
          t0 = t0 + a0 * l;
          t1 = t1 + a1 * l;
          t2 = t2 + a2 * l;
          t3 = t3 + a3 * l;
        }
        b[u] = s0;
        b[o1 + u] = s1;
        b[o2 + u] = s2;
        b[o3 + u] = s3;
        b[u + 1] = t0;
        b[o1 + u + 1] = t1;
        b[o2 + u + 1] = t2;
        b[o3 + u + 1] = t3;
      }
      for (; u < units; u++) {
        const v = bias[u]!;
        let s0 = v;
        let s1 = v;
        let s2 = v;
        let s3 = v;
        const ku = u * inputs;
        for (let i = 0; i < inputs; i++) {
          const k = kernelT[ku + i]!;
          s0 = s0 + a[i]! * k;
          s1 = s1 + a[o1 + i]! * k;
          s2 = s2 + a[o2 + i]! * k;
          s3 = s3 + a[o3 + i]! * k;
        }
        b[u] = s0;
        b[o1 + u] = s1;
        b[o2 + u] = s2;
        b[o3 + u] = s3;
      }
      // One call site, so that it is inlined: a call that is not returns each value boxed.
      if (squash) for (let q = 0; q < ROWS; q++) for (let j = q * w, end = j + units; j < end; j++) b[j] = tanh(b[j]!);
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
