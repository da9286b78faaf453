/**
 * The saved model: in the model folder, `bundle.json` (Vigil's part: every family's
 * normalisation, vocabulary, envelope and calibration, the alert threshold, and a SHA-256
 * over all of it) and, per family, `<family>/model.json` + `<family>/weights.bin`: the
 * autoencoder in TF.js's own layers-model format, which `tf.loadLayersModel` and the
 * TensorFlow.js converter read. Every alert the model raises names the hash, so an
 * investigator can tell exactly which model scored the evidence.
 *
 * A model folder is input like any other: each file is checked field by field (a network
 * file may name only its own `weights.bin`, and only dense layers of bounded size) and the
 * hash is recomputed over the loaded weights; a file edited by hand, truncated or left by
 * an interrupted save is refused, never half-used. A model saved before the TF.js format
 * (one `model.json` holding everything, `vigil-model/1`) still loads: its weights become a
 * TF.js network, and it keeps its hash.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../../events/index.js';
import { DetectorError } from '../errors.js';
import type { FamilyModel } from './autoencoder.js';
import type { LearntCity } from '../features/city-learn.js';
import { loadTf } from './backend.js';
import { denseLayers, networkFromLayers, type DenseLayer } from './network.js';

export const MODEL_FORMAT = 'vigil-model/2';
/** The format of models saved before the TF.js layout: everything in one `model.json`. */
export const LEGACY_MODEL_FORMAT = 'vigil-model/1';
export const BUNDLE_FILE = 'bundle.json';
const LEGACY_FILE = 'model.json';
const NETWORK_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

export interface ModelBundle {
  format: typeof MODEL_FORMAT | typeof LEGACY_MODEL_FORMAT;
  /** Epoch milliseconds. */
  createdAt: number;
  /** The TF.js backend that trained it. */
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

type FamilyMeta = Omit<FamilyModel, 'network'>;
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

/** Per network, its layers as hashed (the weights never change once trained or loaded). */
const serialisedLayers = new WeakMap<LayersModel, SerialisedLayer[]>();

function layersOf(f: FamilyModel): SerialisedLayer[] {
  let s = serialisedLayers.get(f.network);
  if (!s) {
    s = denseLayers(f.network, f.inputs.length, `family ${f.family}`).map((l) => ({ inputs: l.inputs, units: l.units, activation: l.activation, kernel: f32(l.kernel), bias: f32(l.bias) }));
    serialisedLayers.set(f.network, s);
  }
  return s;
}

function metaOf(f: FamilyModel): FamilyMeta {
  const { network: _n, ...meta } = f;
  return meta;
}

/**
 * The model's hash: SHA-256 of the RFC 8785 encoding of everything but the hash, each
 * network as its dense layers' shapes, activations and float32 weights (base64), which is
 * the encoding `vigil-model/1` files hold: a model keeps its hash across the two layouts.
 */
export function modelHash(bundle: Omit<ModelBundle, 'hash'> | ModelBundle): string {
  const { hash: _h, ...rest } = bundle as ModelBundle;
  const families: Record<string, FamilyMeta & { layers: SerialisedLayer[] }> = {};
  for (const [name, f] of Object.entries(rest.families)) families[name] = { ...metaOf(f), layers: layersOf(f) };
  return sha256Hex(canonicalJson({ ...rest, families }));
}

export function sealModel(bundle: Omit<ModelBundle, 'hash'>): ModelBundle {
  return { ...bundle, hash: modelHash(bundle) };
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** The network in TF.js's layers-model format: model.json (topology and weights manifest) and weights.bin. */
async function saveNetwork(dir: string, network: LayersModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tf = (await loadTf()).tf;
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
      const json = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeAtomic(join(dir, WEIGHTS_FILE), weights);
      await writeAtomic(join(dir, NETWORK_FILE), `${JSON.stringify(json)}\n`);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
}

/**
 * Writes the model folder `dir`: each family's network, then `bundle.json` (each file
 * written to a temporary name and renamed). `bundle.json` goes last and holds the hash, so
 * a save interrupted half-way is refused on load rather than mixing two models.
 */
export async function saveModel(dir: string, bundle: ModelBundle): Promise<string> {
  await mkdir(dir, { recursive: true });
  const families: Record<string, FamilyMeta> = {};
  for (const [name, f] of Object.entries(bundle.families)) {
    checkFamilyName(name);
    await saveNetwork(join(dir, name), f.network);
    families[name] = metaOf(f);
  }
  const path = join(dir, BUNDLE_FILE);
  await writeAtomic(path, `${JSON.stringify({ ...bundle, families })}\n`);
  const legacy = await readFile(join(dir, LEGACY_FILE), 'utf8').catch(() => undefined);
  if (legacy?.includes(`"format":"${LEGACY_MODEL_FORMAT}"`)) await rm(join(dir, LEGACY_FILE), { force: true });
  return path;
}

/** A family name becomes a folder name: nothing that could leave the model folder. */
function checkFamilyName(name: string): void {
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(name)) throw new DetectorError('MODEL_INVALID', `model: family name ${JSON.stringify(name.slice(0, 40))} is not a plain lower-case name`);
}

const layerSchema = z.object({
  inputs: z.number().int().positive().max(4096),
  units: z.number().int().positive().max(4096),
  activation: z.enum(['tanh', 'linear']),
  kernel: z.string(),
  bias: z.string(),
});
const metaShape = {
  family: z.string(),
  inputs: z.array(z.string()).min(1).max(4096),
  center: z.array(z.number()),
  scale: z.array(z.number().positive()),
  calibration: z.array(z.number()).min(2),
  vocab: z.record(z.string(), z.number()).optional(),
  envelope: z.object({ lo: z.array(z.number()), hi: z.array(z.number()), spread: z.array(z.number().positive()) }).optional(),
  trainedRows: z.number().int().nonnegative(),
  finalLoss: z.number(),
};
const headShape = {
  createdAt: z.number(),
  backend: z.string(),
  seed: z.number(),
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
};
const bundleSchema = z.object({ ...headShape, format: z.enum([MODEL_FORMAT, LEGACY_MODEL_FORMAT]), families: z.record(z.string(), z.object(metaShape)) });
const legacySchema = z.object({ ...headShape, format: z.literal(LEGACY_MODEL_FORMAT), families: z.record(z.string(), z.object({ ...metaShape, layers: z.array(layerSchema).min(1).max(16) })) });

const dim = z.number().int().positive().max(4096);
/** TF.js's layers-model file, as far as Vigil's networks go: a Sequential of dense layers of bounded size, weights in weights.bin. */
const networkSchema = z.object({
  format: z.literal('layers-model'),
  modelTopology: z.looseObject({
    class_name: z.literal('Sequential'),
    config: z.looseObject({
      layers: z.array(z.looseObject({ class_name: z.enum(['Dense', 'InputLayer']), config: z.looseObject({ units: dim.optional(), batch_input_shape: z.array(dim.nullable()).max(2).optional() }) })).min(1).max(16),
    }),
  }),
  weightsManifest: z.array(z.object({ paths: z.tuple([z.literal(WEIGHTS_FILE)]), weights: z.array(z.looseObject({ name: z.string(), shape: z.array(dim).max(2), dtype: z.literal('float32') })).max(32) })).length(1),
});

function invalid(what: string, parsed: { error: z.ZodError }): DetectorError {
  const issue = parsed.error.issues[0];
  return new DetectorError('MODEL_INVALID', `${what}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DetectorError('MODEL_INVALID', `cannot read ${path}`, { cause: err });
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DetectorError('MODEL_INVALID', `${what} is not JSON`, { cause: err });
  }
}

/** Loads and verifies the model folder `dir`; `undefined` when it holds no model. */
export async function loadModel(dir: string): Promise<ModelBundle | undefined> {
  const text = await readOrUndefined(join(dir, BUNDLE_FILE));
  if (text !== undefined) return parseBundle(dir, text);
  const legacy = await readOrUndefined(join(dir, LEGACY_FILE));
  return legacy === undefined ? undefined : parseLegacy(legacy);
}

async function parseBundle(dir: string, text: string): Promise<ModelBundle> {
  const parsed = bundleSchema.safeParse(parseJson(text, BUNDLE_FILE));
  if (!parsed.success) throw invalid(BUNDLE_FILE, parsed);
  const { families: metas, ...head } = parsed.data;
  const families: Record<string, FamilyModel> = {};
  for (const [name, meta] of Object.entries(metas)) {
    checkFamilyName(name);
    families[name] = familyOf(name, meta, await loadNetwork(join(dir, name), name));
  }
  return verified(head, families);
}

/** One family's TF.js network, checked before TF.js builds it. */
async function loadNetwork(dir: string, family: string): Promise<LayersModel> {
  const what = `model: family ${family}: ${NETWORK_FILE}`;
  const text = await readOrUndefined(join(dir, NETWORK_FILE));
  if (text === undefined) throw new DetectorError('MODEL_INVALID', `${what} is missing (an interrupted save?); retrain (vigil train)`);
  const json = parseJson(text, what);
  const parsed = networkSchema.safeParse(json);
  if (!parsed.success) throw invalid(what, parsed);
  const specs = parsed.data.weightsManifest[0]!.weights;
  const weights = await readFile(join(dir, WEIGHTS_FILE)).catch((err: unknown) => {
    throw new DetectorError('MODEL_INVALID', `model: family ${family}: cannot read ${WEIGHTS_FILE}`, { cause: err });
  });
  const expected = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
  if (weights.byteLength !== expected) throw new DetectorError('MODEL_INVALID', `model: family ${family}: ${WEIGHTS_FILE} has ${weights.byteLength} bytes, its manifest ${expected}`);
  const { tf } = await loadTf();
  const data = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  try {
    const artifacts = tf.io.getModelArtifactsForJSONSync(json as Parameters<typeof tf.io.getModelArtifactsForJSONSync>[0], specs as Parameters<typeof tf.io.getModelArtifactsForJSONSync>[1], data);
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    throw new DetectorError('MODEL_INVALID', `${what}: TF.js cannot load it: ${(err as Error).message}`, { cause: err });
  }
}

async function parseLegacy(text: string): Promise<ModelBundle> {
  const parsed = legacySchema.safeParse(parseJson(text, `model file ${LEGACY_FILE}`));
  if (!parsed.success) throw invalid(`model file ${LEGACY_FILE}`, parsed);
  const { families: saved, ...head } = parsed.data;
  const { tf } = await loadTf();
  const families: Record<string, FamilyModel> = {};
  for (const [name, { layers: serialised, ...meta }] of Object.entries(saved)) {
    const layers: DenseLayer[] = serialised.map((l) => {
      const kernel = unf32(l.kernel);
      const bias = unf32(l.bias);
      if (kernel.length !== l.inputs * l.units || bias.length !== l.units) throw new DetectorError('MODEL_INVALID', `model file: family ${name}: a layer's weights do not match its shape`);
      return { inputs: l.inputs, units: l.units, activation: l.activation, kernel, bias };
    });
    const d = meta.inputs.length;
    if (layers[0]!.inputs !== d || layers.at(-1)!.units !== d || layers.some((l, i) => i > 0 && l.inputs !== layers[i - 1]!.units)) {
      throw new DetectorError('MODEL_INVALID', `model file: family ${name}: its layers do not lead from its ${d} inputs back to ${d}; retrain (vigil train)`);
    }
    families[name] = familyOf(name, meta, networkFromLayers(tf, name, layers));
  }
  return verified(head, families);
}

function familyOf(name: string, meta: z.infer<z.ZodObject<typeof metaShape>>, network: LayersModel): FamilyModel {
  const d = meta.inputs.length;
  if (meta.center.length !== d || meta.scale.length !== d) throw new DetectorError('MODEL_INVALID', `model: family ${name}: shapes do not match its ${d} inputs`);
  const fm: FamilyModel = { family: meta.family, inputs: meta.inputs, center: meta.center, scale: meta.scale, network, calibration: meta.calibration, trainedRows: meta.trainedRows, finalLoss: meta.finalLoss };
  if (meta.vocab) fm.vocab = meta.vocab;
  if (meta.envelope) {
    const e = meta.envelope;
    if (e.lo.length !== d || e.hi.length !== d || e.spread.length !== d) throw new DetectorError('MODEL_INVALID', `model: family ${name}: envelope does not match its ${d} inputs`);
    fm.envelope = e;
  }
  // the network's layers checked against the family's inputs (and read for the hash)
  layersOf(fm);
  return fm;
}

function verified(
  head: Omit<ModelBundle, 'families' | 'thresholds' | 'features' | 'city'> & { thresholds?: Record<string, number> | undefined; features?: Record<string, unknown> | undefined; city?: LearntCity | undefined },
  families: Record<string, FamilyModel>): ModelBundle {
  const bundle: ModelBundle = { format: head.format, createdAt: head.createdAt, backend: head.backend, seed: head.seed, families, threshold: head.threshold, thresholdSource: head.thresholdSource, hash: head.hash };
  if (head.thresholds) bundle.thresholds = head.thresholds;
  if (head.features) bundle.features = head.features;
  if (head.city) bundle.city = head.city;
  const expected = modelHash(bundle);
  if (expected !== head.hash) throw new DetectorError('MODEL_INVALID', `model altered: hash ${head.hash.slice(0, 12)}… does not match its content (${expected.slice(0, 12)}…)`);
  return bundle;
}
