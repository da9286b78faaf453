/**
 * The TF.js model: what scores is the network that trained, on the WebAssembly backend,
 * whatever the batch size; it is saved in TF.js's own format, which TF.js reads back
 * without Vigil's loader; models saved by the previous code still load.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Detector, loadModel, loadTf, saveModel, seededRandom, trainDetectorModel, trainFamily, type FamilyModel, type ModelBundle } from '../detector/index.js';
import { denseLayers, reconstructionErrors, scoringForm } from '../detector/model/network.js';
import { northTrack, T0 } from './detector-fixtures.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'vigil-tfjs-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** n rows of d features, each normal-ish around 0 (seeded), every 9th row far out so that tanh saturates. */
function rows(n: number, d: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n * d }, (_, k) => (Math.floor(k / d) % 9 === 0 ? 30 : 2) * (r() + r() - 1));
}

/** A plain float64 forward pass with Math.tanh over the network's weights: the reference. */
function plainErrors(family: FamilyModel, x: Float32Array, n: number, d: number): Float64Array {
  const layers = denseLayers(family.network, d, 'test');
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let a = Array.from(x.subarray(r * d, r * d + d), Number);
    for (const l of layers) {
      const b: number[] = [];
      for (let u = 0; u < l.units; u++) {
        let s = l.bias[u]!;
        for (let i = 0; i < l.inputs; i++) s += a[i]! * l.kernel[i * l.units + u]!;
        b.push(l.activation === 'tanh' ? Math.tanh(s) : s);
      }
      a = b;
    }
    let e = 0;
    for (let i = 0; i < d; i++) e += (a[i]! - x[r * d + i]!) ** 2;
    out[r] = e / d;
  }
  return out;
}

const D = 9;
let family: FamilyModel;
beforeAll(async () => {
  const { backend } = await loadTf('wasm');
  expect(backend).toBe('wasm');
  family = await trainFamily('t', Array.from({ length: D }, (_, i) => `f${i}`), { rows: rows(600, D, 1), n: 600, d: D }, { epochs: 3, seed: 2, backend: 'wasm' });
});

describe('scoring through TF.js', () => {
  it('gives each row the error a plain float64 pass of the trained network gives it (float32 tolerance)', () => {
    const n = 300;
    const x = rows(n, D, 3);
    const got = new Float64Array(n);
    reconstructionErrors(family.network, x, n, D, got);
    const want = plainErrors(family, x, n, D);
    let worst = 0;
    for (let r = 0; r < n; r++) worst = Math.max(worst, Math.abs(got[r]! - want[r]!) / Math.max(1e-3, want[r]!));
    expect(worst).toBeLessThan(1e-4);
    expect(new Set(got).size).toBe(n); // every row computed (none left at zero)
  });

  it('predicts, in the sigmoid form that scores, what the trained tanh network predicts (float32 rounding)', () => {
    const n = 500;
    const x = tf.tensor2d(rows(n, D, 7), [n, D]);
    const trained = (family.network.predict(x) as tf.Tensor).dataSync();
    const scoring = (scoringForm(family.network).predict(x) as tf.Tensor).dataSync();
    let worst = 0;
    for (let i = 0; i < trained.length; i++) worst = Math.max(worst, Math.abs(scoring[i]! - trained[i]!) / Math.max(1, Math.abs(trained[i]!)));
    expect(worst).toBeLessThan(1e-5);
    expect(scoringForm(family.network).layers.map((l) => (l.getConfig() as { activation: string }).activation)).toEqual(['sigmoid', 'sigmoid', 'sigmoid', 'linear']);
    x.dispose();
  });

  it('scores a row exactly the same alone, in a batch of 7 and in a batch of 10,000 (past one predict chunk)', () => {
    const n = 10_000;
    const x = rows(n, D, 4);
    const all = new Float64Array(n);
    reconstructionErrors(family.network, x, n, D, all);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-6, Math.abs(b));
    let worst = 0;
    for (const r of [0, 1, 2, 3, 8191, 8192, 9999]) {
      const one = new Float64Array(1);
      reconstructionErrors(family.network, x.subarray(r * D, r * D + D), 1, D, one);
      worst = Math.max(worst, rel(one[0]!, all[r]!));
    }
    const seven = new Float64Array(7);
    reconstructionErrors(family.network, x.subarray(8190 * D, 8197 * D), 7, D, seven);
    for (let i = 0; i < 7; i++) worst = Math.max(worst, rel(seven[i]!, all[8190 + i]!));
    // exactly: a row's score does not depend on what it is batched with
    expect(worst).toBe(0);
  });

  it('leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    const out = new Float64Array(50);
    reconstructionErrors(family.network, rows(50, D, 5), 50, D, out);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** A few honest vehicles: unlabelled training traffic. */
function traffic(offsetMs = 0) {
  const out = [];
  for (let v = 0; v < 6; v++) out.push(...northTrack(`V-${v}`, 150, 8 + v, 100, { lon: 103.82 + v * 0.001, t0: T0 + offsetMs }));
  return out.sort((a, b) => a.vigil.ts - b.vigil.ts);
}

describe('the saved model', () => {
  let bundle: ModelBundle;
  let dir: string;
  beforeAll(async () => {
    bundle = await trainDetectorModel([traffic()], { epochs: 2, seed: 4, backend: 'wasm', clock: () => 0 });
    dir = await tempDir();
    await saveModel(dir, bundle);
  });

  it('is TF.js layers-model files that TF.js itself loads, predicting what the trained network predicts', async () => {
    const json = JSON.parse(await readFile(join(dir, 'vehicle', 'model.json'), 'utf8')) as tf.io.ModelJSON;
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: expect.any(Array) }]);
    const weights = await readFile(join(dir, 'vehicle', 'weights.bin'));
    const artifacts = tf.io.getModelArtifactsForJSONSync(json, json.weightsManifest[0]!.weights, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
    const network = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const d = bundle.families['vehicle']!.inputs.length;
    const x = tf.tensor2d(rows(64, d, 6), [64, d]);
    const a = (network.predict(x) as tf.Tensor).dataSync();
    const b = (bundle.families['vehicle']!.network.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('round-trips: the loaded bundle has the hash and scores every event exactly as the trained one', async () => {
    const loaded = (await loadModel(dir))!;
    expect(loaded.format).toBe('vigil-model/2');
    expect(loaded.hash).toBe(bundle.hash);
    const test = traffic(60_000);
    const s1 = (await Detector.create({ model: bundle, rules: [] })).process(test).scores;
    const s2 = (await Detector.create({ model: loaded, rules: [] })).process(test).scores;
    expect(Array.from(s2)).toEqual(Array.from(s1));
  });

  it('refuses a network file that points elsewhere, one whose layers are oversized, truncated weights and a missing network', async () => {
    const path = join(dir, 'vehicle', 'model.json');
    const original = await readFile(path, 'utf8');
    const weights = join(dir, 'vehicle', 'weights.bin');
    const bytes = await readFile(weights);
    try {
      await writeFile(path, original.replace('"paths":["weights.bin"]', '"paths":["../../secret.bin"]'));
      await expect(loadModel(dir)).rejects.toThrow(/weightsManifest/);
      await writeFile(path, original.replace(/"units":\d+/, '"units":100000000'));
      await expect(loadModel(dir)).rejects.toThrow(/units/);
      await writeFile(path, original);
      await writeFile(weights, bytes.subarray(0, bytes.length - 4));
      await expect(loadModel(dir)).rejects.toThrow(/weights.bin has \d+ bytes, its manifest \d+/);
      const flipped = Buffer.from(bytes);
      flipped[100] = flipped[100]! ^ 0x40;
      await writeFile(weights, flipped);
      await expect(loadModel(dir)).rejects.toThrow(/altered/);
      await rm(join(dir, 'vehicle'), { recursive: true });
      await expect(loadModel(dir)).rejects.toThrow(/vehicle: model.json is missing/);
    } finally {
      await saveModel(dir, bundle);
    }
  });
});

describe('a model saved by the previous code (vigil-model/1, one model.json)', () => {
  const fixture = new URL('./fixtures/model-v1/', import.meta.url);

  it('loads with its hash, and its network computes what the previous kernel computed (float32 tolerance)', async () => {
    // rows (normalised) and their reconstruction errors from the previous code's float64 kernel
    const expected = JSON.parse(await readFile(new URL('errors.json', fixture), 'utf8')) as { hash: string; family: string; n: number; d: number; x: string; errors: number[] };
    const legacy = (await loadModel(fixture.pathname))!;
    expect(legacy.format).toBe('vigil-model/1');
    expect(legacy.hash).toBe(expected.hash);
    const b = Buffer.from(expected.x, 'base64');
    const x = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const got = new Float64Array(expected.n);
    reconstructionErrors(legacy.families[expected.family]!.network, x, expected.n, expected.d, got);
    let worst = 0;
    expected.errors.forEach((e, i) => (worst = Math.max(worst, Math.abs(got[i]! - e) / Math.max(1e-3, e))));
    expect(worst).toBeLessThan(1e-4);
    // Its vehicle family read the features of the previous code: the detector refuses it and says to retrain.
    await expect(Detector.create({ model: legacy, rules: [] })).rejects.toThrow(/other vehicle features.*retrain/);
  });

  it('is saved again in the TF.js layout, keeping its hash', async () => {
    const legacy = (await loadModel(fixture.pathname))!;
    const dir = await tempDir();
    await writeFile(join(dir, 'model.json'), await readFile(new URL('model.json', fixture)));
    await saveModel(dir, legacy);
    const again = (await loadModel(dir))!;
    expect(again.hash).toBe(legacy.hash);
    await expect(readFile(join(dir, 'model.json'))).rejects.toThrow(/ENOENT/); // the old file is gone
  });
});
