/**
 * Inside the anchorer's worker thread (anchorer-thread.ts starts it through
 * anchorer-worker.js): the Anchorer itself, given the checkpoints the main thread posts,
 * its hooks and state changes posted back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Checkpoint } from '../ledger/verifier.js';
import { Anchorer } from './anchorer.js';
import type { AnchorerWorkerData, FromWorker, ToWorker } from './anchorer-thread.js';
import { AnchorError } from './errors.js';

const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);
let latest: Checkpoint | undefined;

function create(): Anchorer {
  const anchorer: Anchorer = new Anchorer({
    ...(workerData as AnchorerWorkerData),
    latestCheckpoint: () => latest,
    hooks: {
      sent: (checkpoint, txHash) => post({ type: 'sent', checkpoint, txHash }),
      mined: (entry) => post({ type: 'mined', entry }),
      failed: (err) => post({ type: 'failed', code: err.code, message: err.message, failures: anchorer.failures }),
      dropped: (anchor) => post({ type: 'dropped', anchor }),
      recovered: () => post({ type: 'recovered' }),
      changed: (change) => post({ type: 'changed', change }),
      warn: (message) => post({ type: 'warn', message }),
    },
  });
  return anchorer;
}

let anchorer: Anchorer | undefined;

port.on('message', (m: ToWorker) => {
  if (m.type === 'checkpoint') {
    latest = m.checkpoint;
    anchorer?.notify();
  } else if (m.type === 'stop') {
    void (anchorer?.stop() ?? Promise.resolve()).finally(() => {
      post({ type: 'stopped' });
      port.close();
    });
  }
});

try {
  const a = create();
  await a.start();
  anchorer = a;
  post({ type: 'ready', address: a.address, anchors: [...a.anchors], pending: a.pending });
} catch (err) {
  const e = err instanceof AnchorError ? err : new AnchorError('STATE_ERROR', err instanceof Error ? err.message : String(err));
  post({ type: 'start-failed', code: e.code, message: e.message });
  port.close();
}
