/**
 * The family autoencoder as a TF.js `LayersModel`: the one definition of the network, which
 * trains and is saved (TF.js's own model.json + weights.bin, bundle.ts); it scores through
 * `predict` of its sigmoid form (`scoringForm`, the same function), one call per family per
 * detector batch, on the backend `loadTf` chose.
 *
 * What a call costs on the WebAssembly backend (SIMD; no threads, which TF.js disables in
 * Node, tfjs issue #3830), a 22-input vehicle network, CPU time on the development machine
 * under load (7 December 2026): about 110–130 µs a call whatever its size, then about
 * 0.5 µs a row. The fixed cost dominates below about 250 rows a call (1 row: 129 µs;
 * 32 rows: 3.8 µs a row; 100: 1.4; 300: 0.77; 1,000 to 10,000: 0.52–0.63), which is why
 * the detector scores a whole group-commit batch per family in one call, never event by
 * event.
 */
import type { LayersModel, Tensor, Tensor2D } from '@tensorflow/tfjs';
import { DetectorError } from '../errors.js';
import { currentTf, type Tf } from './backend.js';

/** A dense layer's parameters as plain arrays: what the model hash covers, and the form of models saved before the TF.js format. */
export interface DenseLayer {
  inputs: number;
  units: number;
  activation: 'tanh' | 'linear';
  /** Row-major [inputs × units]. */
  kernel: Float32Array;
  bias: Float32Array;
}

/** Rows per `predict` call: bounds the activations held at once (64 units × 8,192 rows × 4 bytes = 2 MB a layer). */
const CHUNK = 8192;

/** A family name as TF.js accepts it in layer names (letters, digits, `_ . - /`, a letter or digit first). */
function prefix(family: string): string {
  const s = family.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z0-9]/.test(s) ? s : `f${s}`;
}

/** The autoencoder for `d` inputs: d → hidden → bottleneck → hidden → d, tanh inside, linear out. */
export function autoencoder(tf: Tf, family: string, d: number, seed: number): LayersModel {
  const hidden = Math.min(64, Math.max(8, 2 * d));
  const bottleneck = Math.max(2, Math.ceil(d / 4));
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed * 1000 + s });
  const units = [hidden, bottleneck, hidden, d];
  const names = ['encoder', 'bottleneck', 'decoder', 'reconstruction'];
  return tf.sequential({
    name: `vigil_${prefix(family)}`,
    layers: units.map((u, i) =>
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [d] } : {}),
        name: `${prefix(family)}_${names[i]!}`,
        units: u,
        activation: i === units.length - 1 ? 'linear' : 'tanh',
        kernelInitializer: init(i + 1),
      }),
    ),
  });
}

/**
 * The network's dense layers as plain arrays (synchronous: the weights are read back from
 * the backend). Anything but a chain of tanh/linear dense layers from `d` inputs back to `d`
 * is refused: it is not a model this version trained.
 */
export function denseLayers(network: LayersModel, d: number, what: string): DenseLayer[] {
  const out: DenseLayer[] = [];
  for (const layer of network.layers) {
    const cfg = layer.getConfig() as { activation?: string; useBias?: boolean };
    const cls = layer.getClassName();
    if (cls === 'InputLayer') continue;
    const weights = layer.getWeights();
    const [k, b] = weights;
    if (cls !== 'Dense' || weights.length !== 2 || !k || !b || k.rank !== 2) throw new DetectorError('MODEL_INVALID', `${what}: layer ${layer.name} is a ${cls}, expected a dense layer with a bias`);
    if (cfg.activation !== 'tanh' && cfg.activation !== 'linear') throw new DetectorError('MODEL_INVALID', `${what}: layer ${layer.name} has activation ${String(cfg.activation)}, expected tanh or linear`);
    const [inputs, units] = k.shape as [number, number];
    out.push({ inputs, units, activation: cfg.activation, kernel: new Float32Array(k.dataSync()), bias: new Float32Array(b.dataSync()) });
  }
  const chained = out.length > 0 && out.every((l, i) => l.inputs === (i === 0 ? d : out[i - 1]!.units) && l.bias.length === l.units) && out.at(-1)!.units === d;
  if (!chained) throw new DetectorError('MODEL_INVALID', `${what}: the layers do not lead from its ${d} inputs back to ${d} outputs`);
  return out;
}

/** A network rebuilt from plain layers (a model saved before the TF.js format). */
export function networkFromLayers(tf: Tf, family: string, layers: readonly DenseLayer[]): LayersModel {
  const network = tf.sequential({
    name: `vigil_${prefix(family)}`,
    layers: layers.map((l, i) => tf.layers.dense({ ...(i === 0 ? { inputShape: [l.inputs] } : {}), name: `${prefix(family)}_${i}`, units: l.units, activation: l.activation })),
  });
  network.layers.forEach((layer, i) => {
    const l = layers[i]!;
    layer.setWeights([tf.tensor2d(l.kernel, [l.inputs, l.units]), tf.tensor1d(l.bias)]);
  });
  return network;
}

/** Per trained network, the form that scores it (the weights never change once trained or loaded). */
const scoring = new WeakMap<LayersModel, LayersModel>();

/**
 * The network as it scores: the same function, each tanh layer rewritten through
 * tanh(z) = 2σ(2z) − 1 as a sigmoid layer with its kernel and bias doubled, and the layer
 * after it reading 2s − 1 folded into its weights (kernel doubled, bias minus the kernel's
 * column sums). Why: the WebAssembly backend's tanh is a scalar loop (23 ns a value) where
 * its sigmoid is XNNPACK's vectorised one (3 ns); a 22-input vehicle row needs 94 of them,
 * and the rewrite cut a row's CPU time from 2.0 to 0.87 µs in batches of 4,096. The two
 * agree to float32 rounding (test/detector-tfjs.test.ts); training, calibration and every
 * score use this form, so a saved and reloaded model scores identically.
 */
export function scoringForm(network: LayersModel): LayersModel {
  let form = scoring.get(network);
  if (form) return form;
  const tf = currentTf();
  const d = (network.inputs[0]!.shape[1] ?? 0) as number;
  const layers = denseLayers(network, d, `network ${network.name}`);
  form = tf.sequential({
    name: `${network.name}_scoring`,
    layers: layers.map((l, i) => tf.layers.dense({ ...(i === 0 ? { inputShape: [l.inputs] } : {}), units: l.units, activation: l.activation === 'tanh' ? 'sigmoid' : 'linear' })),
  });
  layers.forEach((l, i) => {
    const kernel = Float32Array.from(l.kernel);
    const bias = Float32Array.from(l.bias);
    if (layers[i - 1]?.activation === 'tanh') {
      for (let u = 0; u < l.units; u++) {
        let sum = 0;
        for (let j = 0; j < l.inputs; j++) sum += l.kernel[j * l.units + u]!;
        bias[u] = l.bias[u]! - sum;
      }
      for (let j = 0; j < kernel.length; j++) kernel[j] = 2 * kernel[j]!;
    }
    if (l.activation === 'tanh') {
      for (let j = 0; j < kernel.length; j++) kernel[j] = 2 * kernel[j]!;
      for (let u = 0; u < bias.length; u++) bias[u] = 2 * bias[u]!;
    }
    form!.layers[i]!.setWeights([tf.tensor2d(kernel, [l.inputs, l.units]), tf.tensor1d(bias)]);
  });
  scoring.set(network, form);
  return form;
}

/**
 * Mean squared reconstruction error of each row of x (n × d, normalised) through the
 * network (its scoring form), into `out`: `predict` over chunks of up to CHUNK rows, in float32.
 */
export function reconstructionErrors(network: LayersModel, x: Float32Array, n: number, d: number, out: Float64Array): void {
  const tf = currentTf();
  const form = scoringForm(network);
  for (let r0 = 0; r0 < n; r0 += CHUNK) {
    const rows = Math.min(CHUNK, n - r0);
    const e = tf.tidy(() => {
      const input = tf.tensor2d(x.subarray(r0 * d, (r0 + rows) * d), [rows, d]);
      const y = form.predict(input, { batchSize: rows }) as Tensor2D;
      return tf.mean(tf.squaredDifference(y, input), 1) as Tensor;
    });
    out.set(e.dataSync(), r0);
    e.dispose();
  }
}
