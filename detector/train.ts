/**
 * `vigil train`: features of unlabelled traffic → one autoencoder per family → a sealed
 * model bundle. Training never reads labels. The threshold is either a training quantile
 * (unsupervised: "rarer than 99 % of training") or, when a labelled validation set is
 * given, the F1-maximising threshold on it — never on the set evaluation reports.
 */
import type { VigilEvent } from '../events/index.js';
import { DetectorError } from './errors.js';
import { FEATURE_NAMES, FeatureExtractor, MODEL_FEATURES, modelRows, type Family, type FeatureOptions } from './features/index.js';
import { loadTf, MODEL_FORMAT, sealModel, trainFamily, type BackendPreference, type FamilyModel, type ModelBundle } from './model/index.js';
import type { RobustEnvelope } from './model/autoencoder.js';
import { bestF1Threshold } from './eval/metrics.js';
import { CityLearner, type CityLearnOptions } from './features/city-learn.js';

export interface TrainDetectorOptions {
  epochs?: number;
  seed?: number;
  backend?: BackendPreference;
  /** Rows per family used for fitting (seeded subsample beyond). @default 200000 */
  maxRows?: number;
  /** Per-feature plausibility envelope quantile (see `TrainOptions.envelopeQuantile`). @default 0.999 */
  envelopeQuantile?: number;
  /**
   * Families whose envelope is the contamination-robust one (`TrainOptions.robustEnvelope`),
   * with its parameters. @default vehicle: trim 0.99, fence 2, floor 0.25 and colocated 0.5 (one other identity within 2 m is ordinary in the simulator's traffic, 0.25 % of honest messages; two are not), chosen on seed 2 among trim 0.98–0.995, fence 1–3, floor 0.1–0.5
   */
  robustEnvelope?: Partial<Record<Family, RobustEnvelope>>;
  /** Unsupervised threshold on the calibrated scale. @default 99 */
  threshold?: number;
  features?: FeatureOptions;
  /**
   * Learn the city from the training traffic (where vehicles drive, the service area, speeds
   * per cell) and keep it in the bundle, for the detector to use when it is given no map;
   * `false` to skip. @default learnt when `features.city` has no roads and no service area
   */
  learnCity?: boolean | CityLearnOptions;
  /** Epoch milliseconds for `createdAt`. @default Date.now */
  clock?: () => number;
  onProgress?: (message: string) => void;
  onEpoch?: (family: string, epoch: number, epochs: number, loss: number) => void;
}

export const DEFAULT_ROBUST_ENVELOPE: Partial<Record<Family, RobustEnvelope>> = {
  vehicle: { trim: 0.99, fence: 2, floor: 0.25, floors: { colocated: 0.5 } },
};

/** Trains on a stream of events in time order (batches of any size). */
export async function trainDetectorModel(batches: AsyncIterable<readonly VigilEvent[]> | Iterable<readonly VigilEvent[]>, options: TrainDetectorOptions = {}): Promise<ModelBundle> {
  const extractor = new FeatureExtractor(options.features);
  const chunks = new Map<Family, { rows: Float32Array[]; keys: string[]; n: number }>();
  const given = options.features?.city;
  const mapless = !(given?.roads && given.roads.length > 0) && !(given?.area && given.area.length > 0);
  const learnCity = options.learnCity ?? mapless;
  const learner = learnCity === false ? undefined : new CityLearner(learnCity === true ? {} : learnCity);
  let events = 0;
  for await (const batch of batches) {
    learner?.add(batch);
    for (const b of extractor.batch(batch)) {
      let c = chunks.get(b.family);
      if (!c) chunks.set(b.family, (c = { rows: [], keys: [], n: 0 }));
      c.rows.push(b.rows);
      if (b.keys) c.keys.push(...b.keys);
      c.n += b.index.length;
    }
    events += batch.length;
    if (events % 200_000 < batch.length) options.onProgress?.(`features: ${events} events`);
  }
  options.onProgress?.(`features: ${events} events (${[...chunks].map(([f, c]) => `${f} ${c.n}`).join(', ')})`);
  const { backend } = await loadTf(options.backend ?? 'auto', options.onProgress);
  const families: Record<string, FamilyModel> = {};
  const robust = options.robustEnvelope ?? DEFAULT_ROBUST_ENVELOPE;
  for (const [family, c] of chunks) {
    if (c.n < 20) {
      options.onProgress?.(`${family}: only ${c.n} rows, no model (rules and reputation still apply)`);
      continue;
    }
    const d = FEATURE_NAMES[family].length;
    const rows = new Float32Array(c.n * d);
    let off = 0;
    for (const r of c.rows) {
      rows.set(r, off);
      off += r.length;
    }
    const input = modelRows(family, rows, c.n, d);
    options.onProgress?.(`${family}: training on ${c.n} rows × ${input.d} features`);
    const m = { rows: input.rows, n: c.n, d: input.d, ...(family === 'can' ? { keys: c.keys } : {}) };
    families[family] = await trainFamily(family, MODEL_FEATURES[family], m, {
      ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
      ...(options.maxRows !== undefined ? { maxRows: options.maxRows } : {}),
      ...(options.envelopeQuantile !== undefined ? { envelopeQuantile: options.envelopeQuantile } : {}),
      ...(robust[family] ? { robustEnvelope: robust[family] } : {}),
      seed: options.seed ?? 1,
      backend: options.backend ?? 'auto',
      onEpoch: (e, E, loss) => options.onEpoch?.(family, e, E, loss),
    });
  }
  if (Object.keys(families).length === 0) throw new DetectorError('TRAINING_DATA', `no family had at least 20 events to learn from (${events} events read)`);
  const threshold = options.threshold ?? 99;
  const city = learner?.finish();
  if (learner) options.onProgress?.(city ? `city: learnt ${city.cells.length / 4} cells of ${city.cellM} m from ${city.vehicles} vehicles` : `city: ${learner.reason ?? 'none learnt'}`);
  return sealModel({
    ...(city ? { city } : {}),
    format: MODEL_FORMAT,
    createdAt: (options.clock ?? Date.now)(),
    backend,
    seed: options.seed ?? 1,
    families,
    threshold,
    thresholdSource: `unsupervised: calibrated score ${threshold} (rarer than ${threshold} % of training)`,
    features: { ...extractor.learnt() },
  });
}

export interface DemoModelOptions extends Omit<TrainDetectorOptions, 'threshold'> {
  /** Unsupervised threshold on the calibrated scale. @default 99.5 */
  threshold?: number;
}

/**
 * A model good enough for a demonstration, trained quickly from unlabelled normal traffic
 * (for `vigil start --demo` when the data directory has none): 8 epochs on at most 20,000
 * rows per family, threshold 99.5 (beyond the plausibility envelope, or rarer than 99.5 %
 * of training). About 10 s for 60 simulated seconds of the default city on two cores.
 * `batches` are events in time order; the caller brings them (the detector does not
 * import the simulator: see `pipeline/demo.ts`, `trainDemoModelFromSimulator`).
 */
export async function trainDemoModel(batches: AsyncIterable<readonly VigilEvent[]> | Iterable<readonly VigilEvent[]>, options: DemoModelOptions = {}): Promise<ModelBundle> {
  const threshold = options.threshold ?? 99.5;
  const bundle = await trainDetectorModel(batches, { epochs: 8, maxRows: 20_000, ...options, threshold });
  const { hash: _h, ...rest } = bundle;
  return sealModel({ ...rest, thresholdSource: `demo: quick unsupervised model, calibrated score ${threshold}` });
}

/**
 * Re-seals `bundle` with the threshold maximising F1 of `scores` on a labelled validation
 * set. With `families` (each item's feature family), every family whose validation items
 * include attacks gets its own F1-maximising threshold: a vehicle's BSMs, a device's
 * telemetry and its flows differ in volume and in how rare their outliers are, so one
 * pooled threshold lets the most numerous family's noise set everyone's false-alarm rate.
 */
export function chooseThreshold(bundle: ModelBundle, scores: ArrayLike<number>, labels: ArrayLike<number>, source: string, families?: ArrayLike<string | undefined>): ModelBundle {
  const { threshold, f1 } = bestF1Threshold(scores, labels);
  if (!Number.isFinite(threshold)) throw new DetectorError('EVAL_INPUT', 'validation set has no attacks to choose a threshold from');
  const { hash: _h, thresholds: _t, ...rest } = bundle;
  const thresholds: Record<string, number> = {};
  const notes: string[] = [];
  if (families) {
    const byFamily = new Map<string, { s: number[]; l: number[] }>();
    for (let i = 0; i < scores.length; i++) {
      const f = families[i];
      if (f === undefined) continue;
      let g = byFamily.get(f);
      if (!g) byFamily.set(f, (g = { s: [], l: [] }));
      g.s.push(scores[i]!);
      g.l.push(labels[i]!);
    }
    for (const [f, g] of [...byFamily].sort(([a], [b]) => a.localeCompare(b))) {
      const best = bestF1Threshold(g.s, g.l);
      if (!Number.isFinite(best.threshold)) continue;
      thresholds[f] = Math.min(100, best.threshold);
      notes.push(`${f} ${thresholds[f].toFixed(3)} (F1 ${best.f1.toFixed(3)})`);
    }
  }
  const perFamily = Object.keys(thresholds).length > 0;
  return sealModel({
    ...rest,
    threshold: Math.min(100, threshold),
    ...(perFamily ? { thresholds } : {}),
    thresholdSource: `validation F1 ${f1.toFixed(3)} on ${source}${perFamily ? `; per family: ${notes.join(', ')}` : ''}`,
  });
}

/** The threshold that applies to an event of `family` (its own, else the bundle's). */
export function thresholdFor(bundle: Pick<ModelBundle, 'threshold' | 'thresholds'>, family: string | undefined): number {
  return (family !== undefined ? bundle.thresholds?.[family] : undefined) ?? bundle.threshold;
}
