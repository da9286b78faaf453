/**
 * The family autoencoder as a TF.js `LayersModel`: the one definition of the network, which
 * trains, scores and is saved (TF.js's own model.json + weights.bin, bundle.ts). Scoring is
 * `model.predict` on the backend `loadTf` chose, one call per family per detector batch.
 *
 * What a call costs on the WebAssembly backend (SIMD, no threads: TF.js disables them in
 * Node, tfjs issue #3830), a 20-input vehicle network, CPU time on the development machine
 * (.cmp.ts-style loop, 7 December 2026): about 110 µs per call whatever its size, then about
 * 1.5 µs per row, most of it the backend's scalar `tanh` (24 ns a value against 2 ns for its
 * XNNPACK sigmoid). The per-call cost dominates below about 75 rows (1 row: 112 µs; 64 rows:
 * 2.5 µs a row; 1,024 and more: 1.5–1.6 µs a row), which is why the detector scores a whole
 * group-commit batch per family in one call rather than event by event.
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

/** The autoencoder for `d` inputs: d → hidden → bottleneck → hidden → d, tanh inside, linear out. */
export function autoencoder(tf: Tf, family: string, d: number, seed: number): LayersModel {
  const hidden = Math.min(64, Math.max(8, 2 * d));
  const bottleneck = Math.max(2, Math.ceil(d / 4));
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed * 1000 + s });
  const units = [hidden, bottleneck, hidden, d];
  const names = ['encoder', 'bottleneck', 'decoder', 'reconstruction'];
  return tf.sequential({
    name: `vigil_${family}`,
    layers: units.map((u, i) =>
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [d] } : {}),
        name: `${family}_${names[i]!}`,
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
    name: `vigil_${family}`,
    layers: layers.map((l, i) => tf.layers.dense({ ...(i === 0 ? { inputShape: [l.inputs] } : {}), name: `${family}_${i}`, units: l.units, activation: l.activation })),
  });
  network.layers.forEach((layer, i) => {
    const l = layers[i]!;
    layer.setWeights([tf.tensor2d(l.kernel, [l.inputs, l.units]), tf.tensor1d(l.bias)]);
  });
  return network;
}

/**
 * Mean squared reconstruction error of each row of x (n × d, normalised) through the
 * network, into `out`: `predict` over chunks of up to CHUNK rows, in float32.
 */
export function reconstructionErrors(network: LayersModel, x: Float32Array, n: number, d: number, out: Float64Array): void {
  const tf = currentTf();
  for (let r0 = 0; r0 < n; r0 += CHUNK) {
    const rows = Math.min(CHUNK, n - r0);
    const e = tf.tidy(() => {
      const input = tf.tensor2d(x.subarray(r0 * d, (r0 + rows) * d), [rows, d]);
      const y = network.predict(input, { batchSize: rows }) as Tensor2D;
      return tf.mean(tf.squaredDifference(y, input), 1) as Tensor;
    });
    out.set(e.dataSync(), r0);
    e.dispose();
  }
}
