/**
 * Choosing the TensorFlow.js backend. `@tensorflow/tfjs-node` (native libtensorflow) is
 * used when it loads; it is an optional dependency whose installer downloads a native
 * library, so it is often absent. Otherwise `wasm` or the pure-JS `cpu` backend runs:
 * training the ODDS shuttle autoencoder (29k rows, 20 epochs) took 4.6 s on wasm and
 * 10.6 s on cpu on the development machine, so `auto` tries wasm before cpu.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DetectorError } from '../errors.js';

export type Tf = typeof import('@tensorflow/tfjs');
export type BackendPreference = 'auto' | 'node' | 'wasm' | 'cpu';

let loaded: { tf: Tf; backend: string } | undefined;

/** Loads TF.js once per process and selects the backend; returns its name. */
export async function loadTf(preference: BackendPreference = 'auto', log?: (message: string) => void): Promise<{ tf: Tf; backend: string }> {
  if (loaded && (preference === 'auto' || loaded.backend === nameOf(preference))) return loaded;
  if (preference === 'auto' || preference === 'node') {
    try {
      const node = (await import(/* optional */ '@tensorflow/tfjs-node' as string)) as Tf;
      await node.setBackend('tensorflow');
      await node.ready();
      loaded = { tf: node, backend: node.getBackend() };
      log?.(`tensorflow.js backend: ${loaded.backend} (native)`);
      return loaded;
    } catch (err) {
      if (preference === 'node') throw new DetectorError('BACKEND_UNAVAILABLE', '@tensorflow/tfjs-node is not installed or does not load', { cause: err });
    }
  }
  const tf = await import('@tensorflow/tfjs');
  let backend = 'cpu';
  if (preference === 'wasm' || preference === 'auto') {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      wasm.setWasmPaths(`${join(dir, 'dist')}/`);
      backend = 'wasm';
    } catch (err) {
      if (preference === 'wasm') throw new DetectorError('BACKEND_UNAVAILABLE', 'the wasm backend does not load', { cause: err });
    }
  }
  let ok = await tf.setBackend(backend).catch(() => false);
  if (!ok && preference === 'auto' && backend !== 'cpu') ok = await tf.setBackend((backend = 'cpu'));
  if (!ok) throw new DetectorError('BACKEND_UNAVAILABLE', `backend ${backend} did not initialise`);
  await tf.ready();
  loaded = { tf, backend: tf.getBackend() };
  log?.(`tensorflow.js backend: ${loaded.backend} (@tensorflow/tfjs-node not available)`);
  return loaded;
}

/**
 * The TF.js that `loadTf` loaded, for synchronous scoring: a network exists only once TF.js
 * has been loaded (training or `loadModel` did it).
 */
export function currentTf(): Tf {
  if (!loaded) throw new DetectorError('BACKEND_UNAVAILABLE', 'TensorFlow.js is not loaded: train or load a model first (loadTf)');
  return loaded.tf;
}

function nameOf(p: BackendPreference): string {
  return p === 'node' ? 'tensorflow' : p;
}
