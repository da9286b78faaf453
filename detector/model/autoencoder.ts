/**
 * The outlier model of one feature family: a dense autoencoder trained (TF.js) on
 * unlabelled traffic to reconstruct normal feature vectors; the reconstruction error of
 * a new vector, calibrated against the training errors, is its outlier score on 0–100.
 *
 * Training never reads labels. Normalisation centres on the median and divides by
 * max(IQR/1.349, standard deviation): on ODDS shuttle this linear scaling gave AUROC 0.981
 * where an asinh-compressed one gave 0.70 (the compression hid exactly the tails that
 * make an outlier).
 */
import type { LayersModel } from '@tensorflow/tfjs';
import { DetectorError } from '../errors.js';
import { loadTf, type BackendPreference } from './backend.js';
import { autoencoder, reconstructionErrors } from './network.js';
import { permutation, seededRandom } from './random.js';

export interface FamilyModel {
  family: string;
  /** Names of the inputs, in order (the family's features, then `vocab_unseen` when it keeps a vocabulary). */
  inputs: string[];
  center: number[];
  scale: number[];
  /** The trained autoencoder (network.ts): it scores, and it is what bundle.ts saves as TF.js's model.json + weights.bin. */
  network: LayersModel;
  /** Training reconstruction errors at the quantiles 0, 0.001, …, 1. */
  calibration: number[];
  /** Categorical keys seen in training (CAN arbitration ids) and their counts. */
  vocab?: Record<string, number>;
  /**
   * Per-input plausibility envelope learnt from training: the training quantiles
   * `envelopeQuantile` and 1 − it, and the spread that measures how far beyond them a value
   * lies. A value outside is scored by the worst input alone, so one implausible feature
   * (a replayed payload, a position beyond the RSU's range) is not averaged away among
   * eighteen plausible ones as it is in a reconstruction error.
   */
  envelope?: { lo: number[]; hi: number[]; spread: number[] };
  trainedRows: number;
  finalLoss: number;
}

export interface TrainOptions {
  /** Passes over the training rows. @default 30 */
  epochs?: number;
  /** @default 256 */
  batchSize?: number;
  /** @default 0.003 */
  learningRate?: number;
  /** Seed of weight initialisation, row sampling and shuffling. @default 1 */
  seed?: number;
  /** Rows beyond this are subsampled (uniformly, seeded) for fitting; calibration uses all. @default 200000 */
  maxRows?: number;
  backend?: BackendPreference;
  /**
   * Training quantile that bounds each input's plausibility envelope (and 1 − it below);
   * `0` for no envelope. Below 1 it tolerates a share of attacks hidden in unlabelled
   * training traffic. @default 0.999
   */
  envelopeQuantile?: number;
  /**
   * A contamination-robust envelope instead: each bound is the trimmed quantile `trim` (and
   * 1 − it) widened by `fence` × the spread between them (at least `floor`), and never wider
   * than the plain `envelopeQuantile` bound. When a few per cent of the unlabelled training
   * traffic are attacks, the 0.999 quantile of a kinematic feature is an attack's value
   * (1,579 m/s of speed error on seed 1); the 0.98 quantile is not.
   */
  robustEnvelope?: RobustEnvelope;
  /** Called after each epoch with the mean training loss. */
  onEpoch?: (epoch: number, epochs: number, loss: number) => void;
  log?: (message: string) => void;
}

export interface RobustEnvelope {
  /** Trimmed quantile (and 1 − it). */
  trim: number;
  /** Bounds lie this many spreads beyond the trimmed quantiles. */
  fence: number;
  /** Smallest spread. */
  floor: number;
  /** Smallest spread of particular inputs, by name (a count whose value 1 is ordinary). */
  floors?: Record<string, number>;
}

export interface Matrix {
  rows: Float32Array;
  n: number;
  d: number;
  /** Values per row in `rows` when rows carry more than the d inputs, leading (scoring only; default d). */
  stride?: number;
  /** Per-row vocabulary key. */
  keys?: readonly string[];
}

const QUANTILES = 1000;

export async function trainFamily(family: string, names: readonly string[], m: Matrix, options: TrainOptions = {}): Promise<FamilyModel> {
  const epochs = options.epochs ?? 30;
  const batchSize = options.batchSize ?? 256;
  const seed = options.seed ?? 1;
  const maxRows = options.maxRows ?? 200_000;
  if (m.n < 20) throw new DetectorError('TRAINING_DATA', `family ${family}: expected at least 20 training rows, got ${m.n}`);
  let vocab: Record<string, number> | undefined;
  if (m.keys) {
    vocab = {};
    for (const k of m.keys) vocab[k] = (vocab[k] ?? 0) + 1;
  }
  const inputs = vocab ? [...names, 'vocab_unseen'] : [...names];
  const d = inputs.length;
  const raw = widen(m, vocab);
  const { center, scale } = robustStats(raw, m.n, d);
  const model: Omit<FamilyModel, 'network'> = { family, inputs, center, scale, calibration: [], trainedRows: m.n, finalLoss: 0 };
  if (vocab) model.vocab = vocab;
  const eq = options.envelopeQuantile ?? 0.999;
  if (eq > 0) model.envelope = envelopeOf(raw, m.n, d, eq, options.robustEnvelope, inputs);
  const x = normalise(model, raw, m.n);

  const random = seededRandom(seed);
  let fitIdx: Int32Array;
  if (m.n > maxRows) fitIdx = permutation(m.n, random).slice(0, maxRows).sort();
  else fitIdx = permutation(m.n, random).sort();
  const nFit = fitIdx.length;
  const fit = new Float32Array(nFit * d);
  for (let i = 0; i < nFit; i++) fit.set(x.subarray(fitIdx[i]! * d, fitIdx[i]! * d + d), i * d);

  const { tf } = await loadTf(options.backend ?? 'auto', options.log);
  const net = autoencoder(tf, family, d, seed);
  net.compile({ optimizer: tf.train.adam(options.learningRate ?? 0.003), loss: 'meanSquaredError' });
  const all = tf.tensor2d(fit, [nFit, d]);
  let loss = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    // Our own seeded shuffle: TF.js's `shuffle: true` draws from Math.random.
    const order = permutation(nFit, random);
    const idx = tf.tensor1d(order, 'int32');
    const shuffled = tf.gather(all, idx);
    idx.dispose();
    let sum = 0;
    let batches = 0;
    for (let start = 0; start < nFit; start += batchSize) {
      const size = Math.min(batchSize, nFit - start);
      const batch = shuffled.slice([start, 0], [size, d]);
      const l = (await net.trainOnBatch(batch, batch)) as number;
      batch.dispose();
      sum += l * size;
      batches += size;
    }
    shuffled.dispose();
    loss = sum / Math.max(1, batches);
    options.onEpoch?.(epoch, epochs, loss);
  }
  all.dispose();
  model.finalLoss = loss;
  // Calibrated with the network that scores: a row's score at training time and after a save is the same.
  const errors = new Float64Array(m.n);
  reconstructionErrors(net, x, m.n, d, errors);
  const sorted = errors.slice().sort();
  for (let q = 0; q <= QUANTILES; q++) model.calibration.push(sorted[Math.min(m.n - 1, Math.round((q / QUANTILES) * (m.n - 1)))]!);
  return { ...model, network: net };
}

/** Outlier scores on 0–100 of a feature matrix: the training percentile of each reconstruction error, 99–100 beyond the largest. */
export function scoreFamily(model: FamilyModel, m: Matrix, out: Float32Array = new Float32Array(m.n)): Float32Array {
  if (m.n === 0) return out;
  if (m.d + (model.vocab ? 1 : 0) !== model.inputs.length) {
    // a model saved before the family's features changed: rows would be read misaligned
    throw new DetectorError('MODEL_INVALID', `family ${model.family}: the model has ${model.inputs.length} inputs, the features give ${m.d}; retrain it (vigil train)`);
  }
  const raw = widen(m, model.vocab);
  const stride = model.vocab ? m.d + 1 : (m.stride ?? m.d);
  const x = normalise(model, raw, m.n, stride);
  const errors = new Float64Array(m.n);
  reconstructionErrors(model.network, x, m.n, model.inputs.length, errors);
  const env = model.envelope;
  const d = model.inputs.length;
  for (let i = 0; i < m.n; i++) {
    let s = calibrate(model.calibration, errors[i]!);
    if (env) {
      const e = envelopeExcess(env, raw, i * stride, d);
      // Beyond the envelope ranks above everything inside it: 99–100 by how far.
      if (e > 0) s = Math.max(s, 99 + e / (1 + e));
    }
    out[i] = s;
  }
  return out;
}

/** How far (in spreads) the worst input of the row at `off` lies outside the envelope; 0 inside. */
export function envelopeExcess(env: NonNullable<FamilyModel['envelope']>, raw: Float32Array, off: number, d: number): number {
  let worst = 0;
  for (let j = 0; j < d; j++) {
    const v = raw[off + j]!;
    if (!Number.isFinite(v)) return Infinity;
    const hi = env.hi[j]!;
    const lo = env.lo[j]!;
    const e = v > hi ? (v - hi) / env.spread[j]! : v < lo ? (lo - v) / env.spread[j]! : 0;
    if (e > worst) worst = e;
  }
  return worst;
}

/**
 * Per-input training quantiles q and 1 − q, and a spread: the inter-quantile width, at least
 * 0.01. With `robust`, each bound is min/max of that and the trimmed quantile widened by
 * fence × max(trimmed width, floor), which is also the spread.
 */
export function envelopeOf(x: Float32Array, n: number, d: number, q: number, robust?: RobustEnvelope, names?: readonly string[]): { lo: number[]; hi: number[]; spread: number[] } {
  const lo: number[] = [];
  const hi: number[] = [];
  const spread: number[] = [];
  const col = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) col[i] = x[i * d + j]!;
    col.sort();
    let a = col[Math.floor((1 - q) * (n - 1))]!;
    let b = col[Math.ceil(q * (n - 1))]!;
    if (robust) {
      const ta = col[Math.floor((1 - robust.trim) * (n - 1))]!;
      const tb = col[Math.ceil(robust.trim * (n - 1))]!;
      const s = Math.max(tb - ta, robust.floors?.[names?.[j] ?? ''] ?? robust.floor);
      a = Math.max(a, ta - robust.fence * s);
      b = Math.min(b, tb + robust.fence * s);
      lo.push(a);
      hi.push(b);
      spread.push(s);
      continue;
    }
    lo.push(a);
    hi.push(b);
    spread.push(Math.max(b - a, 1e-2));
  }
  return { lo, hi, spread };
}

export function calibrate(q: readonly number[], e: number): number {
  const last = q.length - 1;
  const top = q[last]!;
  if (!(e >= 0)) return 100; // NaN: never seen anything like it
  if (e > top) return 99 + (1 - top / e);
  // binary search for the first quantile ≥ e
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (q[mid]! < e) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return 0;
  const a = q[lo - 1]!;
  const b = q[lo]!;
  const frac = b > a ? (e - a) / (b - a) : 1;
  return (99 * (lo - 1 + frac)) / last;
}

function widen(m: Matrix, vocab: Record<string, number> | undefined): Float32Array {
  if (!vocab) return m.rows;
  const d = m.d + 1;
  const stride = m.stride ?? m.d;
  const out = new Float32Array(m.n * d);
  for (let i = 0; i < m.n; i++) {
    out.set(m.rows.subarray(i * stride, i * stride + m.d), i * d);
    const k = m.keys?.[i];
    out[i * d + m.d] = k !== undefined && (vocab[k] ?? 0) > 0 ? 0 : 1;
  }
  return out;
}

function robustStats(x: Float32Array, n: number, d: number): { center: number[]; scale: number[] } {
  const center: number[] = [];
  const scale: number[] = [];
  const col = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      col[i] = x[i * d + j]!;
      sum += col[i]!;
    }
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (col[i]! - mean) ** 2;
    const std = Math.sqrt(sq / n);
    col.sort();
    const med = col[Math.floor(n / 2)]!;
    const iqr = col[Math.floor(n * 0.75)]! - col[Math.floor(n * 0.25)]!;
    center.push(med);
    // A feature constant in training (never seen non-zero) gets a small scale, so that
    // any departure from it reconstructs badly: it has never been seen.
    scale.push(Math.max(iqr / 1.349, std, 1e-2));
  }
  return { center, scale };
}

function normalise(model: Pick<FamilyModel, 'center' | 'scale'>, raw: Float32Array, n: number, stride = model.center.length): Float32Array {
  const d = model.center.length;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const v = raw[i * stride + j]!;
      const z = (v - model.center[j]!) / model.scale[j]!;
      x[i * d + j] = Number.isFinite(z) ? Math.max(-1e4, Math.min(1e4, z)) : 1e4;
    }
  return x;
}
