/**
 * The saved model: every family's network, normalisation, vocabulary and calibration,
 * the alert threshold, and a SHA-256 over all of it. Every alert the model raises names
 * this hash, so an investigator can tell exactly which model scored the evidence (and the
 * ledger can record the model itself as an entry).
 *
 * A model file is input like any other: it is checked field by field and its hash
 * recomputed on load; a file edited by hand or truncated is refused, never half-used.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../../events/index.js';
import { DetectorError } from '../errors.js';
import type { FamilyModel } from './autoencoder.js';
import type { LearntCity } from '../features/city-learn.js';

export const MODEL_FORMAT = 'vigil-model/1';
export const MODEL_FILE = 'model.json';

export interface ModelBundle {
  format: typeof MODEL_FORMAT;
  /** Epoch milliseconds. */
  createdAt: number;
  backend: string;
  seed: number;
  families: Record<string, FamilyModel>;
  /** Alert threshold on the calibrated 0–100 scale (all families unless overridden). */
  threshold: number;
  /** Per-family thresholds, when validation chose them separately. */
  thresholds?: Record<string, number>;
  /** How the threshold was chosen, in words (shown by `vigil eval`). */
  thresholdSource: string;
  /**
   * State the feature extractors learnt from the training traffic, per family (the vehicle
   * feeds' noise: detector/features/vehicle/noise.ts). JSON the extractors validate themselves.
   */
  features?: Record<string, unknown>;
  /** The city learnt from the training traffic (when it was trained without a map). */
  city?: LearntCity;
  hash: string;
}

type Serialised = Omit<ModelBundle, 'families'> & { families: Record<string, Omit<FamilyModel, 'layers'> & { layers: SerialisedLayer[] }> };
interface SerialisedLayer {
  inputs: number;
  units: number;
  activation: 'tanh' | 'linear';
  kernel: string;
  bias: string;
}

const f32 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const unf32 = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
};

function serialise(bundle: Omit<ModelBundle, 'hash'>): Omit<Serialised, 'hash'> {
  const families: Serialised['families'] = {};
  for (const [name, f] of Object.entries(bundle.families)) {
    families[name] = { ...f, layers: f.layers.map((l) => ({ inputs: l.inputs, units: l.units, activation: l.activation, kernel: f32(l.kernel), bias: f32(l.bias) })) };
  }
  return { ...bundle, families };
}

/** The model's hash: SHA-256 of the RFC 8785 encoding of everything but the hash. */
export function modelHash(bundle: Omit<ModelBundle, 'hash'> | ModelBundle): string {
  const { hash: _h, ...rest } = bundle as ModelBundle;
  return sha256Hex(canonicalJson(serialise(rest)));
}

export function sealModel(bundle: Omit<ModelBundle, 'hash'>): ModelBundle {
  return { ...bundle, hash: modelHash(bundle) };
}

/** Writes `<dir>/model.json` atomically (temporary file, then rename). */
export async function saveModel(dir: string, bundle: ModelBundle): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, MODEL_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ ...serialise(bundle), hash: bundle.hash })}\n`);
  await rename(tmp, path);
  return path;
}

const layerSchema = z.object({
  inputs: z.number().int().positive().max(4096),
  units: z.number().int().positive().max(4096),
  activation: z.enum(['tanh', 'linear']),
  kernel: z.string(),
  bias: z.string(),
});
const familySchema = z.object({
  family: z.string(),
  inputs: z.array(z.string()).min(1),
  center: z.array(z.number()),
  scale: z.array(z.number().positive()),
  layers: z.array(layerSchema).min(1),
  calibration: z.array(z.number()).min(2),
  vocab: z.record(z.string(), z.number()).optional(),
  envelope: z.object({ lo: z.array(z.number()), hi: z.array(z.number()), spread: z.array(z.number().positive()) }).optional(),
  trainedRows: z.number().int().nonnegative(),
  finalLoss: z.number(),
});
const bundleSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  createdAt: z.number(),
  backend: z.string(),
  seed: z.number(),
  families: z.record(z.string(), familySchema),
  threshold: z.number().min(0).max(100),
  thresholds: z.record(z.string(), z.number().min(0).max(100)).optional(),
  thresholdSource: z.string(),
  features: z.record(z.string(), z.unknown()).optional(),
  city: z
    .object({
      origin: z.tuple([z.number().min(-90).max(90), z.number().min(-180).max(180)]),
      cellM: z.number().positive().max(10_000),
      minVehicles: z.number().int().positive(),
      cells: z.array(z.number().finite()).max(40_000_000).refine((a) => a.length % 4 === 0, 'cells: four numbers per cell'),
      area: z.array(z.tuple([z.number().min(-90).max(90), z.number().min(-180).max(180)])).min(4).max(100_000),
      marginM: z.number().nonnegative(),
      vehicles: z.number().int().nonnegative(),
      messages: z.number().int().nonnegative(),
    })
    .optional(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

/** Loads and verifies `<dir>/model.json`; `undefined` when there is none. */
export async function loadModel(dir: string): Promise<ModelBundle | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MODEL_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DetectorError('MODEL_INVALID', `cannot read ${join(dir, MODEL_FILE)}`, { cause: err });
  }
  return parseModel(text);
}

export function parseModel(text: string): ModelBundle {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DetectorError('MODEL_INVALID', 'model file is not JSON', { cause: err });
  }
  const parsed = bundleSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DetectorError('MODEL_INVALID', `model file: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  const s = parsed.data;
  const families: Record<string, FamilyModel> = {};
  for (const [name, f] of Object.entries(s.families)) {
    const layers = f.layers.map((l) => {
      const kernel = unf32(l.kernel);
      const bias = unf32(l.bias);
      if (kernel.length !== l.inputs * l.units || bias.length !== l.units) {
        throw new DetectorError('MODEL_INVALID', `model file: family ${name}: a layer's weights do not match its shape`);
      }
      return { inputs: l.inputs, units: l.units, activation: l.activation, kernel, bias };
    });
    const d = f.inputs.length;
    if (f.center.length !== d || f.scale.length !== d || layers[0]!.inputs !== d || layers.at(-1)!.units !== d) {
      throw new DetectorError('MODEL_INVALID', `model file: family ${name}: shapes do not match its ${d} inputs`);
    }
    const fm: FamilyModel = { family: f.family, inputs: f.inputs, center: f.center, scale: f.scale, layers, calibration: f.calibration, trainedRows: f.trainedRows, finalLoss: f.finalLoss };
    if (f.vocab) fm.vocab = f.vocab;
    if (f.envelope) {
      if (f.envelope.lo.length !== d || f.envelope.hi.length !== d || f.envelope.spread.length !== d) throw new DetectorError('MODEL_INVALID', `model file: family ${name}: envelope does not match its ${d} inputs`);
      fm.envelope = f.envelope;
    }
    families[name] = fm;
  }
  const bundle: ModelBundle = {
    format: s.format,
    createdAt: s.createdAt,
    backend: s.backend,
    seed: s.seed,
    families,
    threshold: s.threshold,
    thresholdSource: s.thresholdSource,
    hash: s.hash,
  };
  if (s.thresholds) bundle.thresholds = s.thresholds;
  if (s.features) bundle.features = s.features;
  if (s.city) bundle.city = s.city;
  const expected = modelHash(bundle);
  if (expected !== s.hash) throw new DetectorError('MODEL_INVALID', `model file altered: hash ${s.hash.slice(0, 12)}… does not match its content (${expected.slice(0, 12)}…)`);
  return bundle;
}
