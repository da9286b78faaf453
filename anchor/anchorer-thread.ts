/**
 * The node's anchorer on a worker thread of its own (node-only). Signing, ABI encoding,
 * JSON-RPC, receipt polling and the reorganisation checks cost about a hundred
 * milliseconds of CPU per anchor in viem; on the main thread that time is taken from
 * ingest's HTTP parsing and validation. Here the ingest thread only hands over the latest
 * checkpoint when it changes (a structured clone of a few hundred bytes) and keeps a
 * mirror of the recorded anchors that the worker sends change by change, so evidence
 * bundles, /anchors.json and the metrics read them without waiting for the worker.
 *
 * The semantics are the Anchorer's (anchorer.ts), which runs unchanged in the worker: the
 * same state files, backoff, resume after a restart and reorganisation re-sends. Should the
 * worker itself die, it is counted as a WORKER_ERROR failure and started again with the
 * same backoff; the state on disk is what it resumes from.
 */
import { Worker } from 'node:worker_threads';
import type { Checkpoint } from '../ledger/verifier.js';
import { normaliseAnchorerOptions, type AnchorerOptions, type AnchorHooks } from './anchorer.js';
import { AnchorError, type AnchorErrorCode } from './errors.js';
import { withEntry, withoutTx, type AnchoredEntry, type PendingAnchor, type StateChange } from './state.js';
import type { AnchorRecord, Hex } from './types.js';

/** What the worker is given: the Anchorer's options that can cross a thread (no functions). */
export type AnchorerWorkerData = Omit<AnchorerOptions, 'latestCheckpoint' | 'clock' | 'hooks'>;

/** Main → worker. */
export type ToWorker = { type: 'checkpoint'; checkpoint: Checkpoint } | { type: 'stop' };

/** Worker → main. */
export type FromWorker =
  | { type: 'ready'; address: Hex; anchors: AnchoredEntry[]; pending: PendingAnchor | undefined }
  | { type: 'start-failed'; code: AnchorErrorCode; message: string }
  | { type: 'stopped' }
  | { type: 'sent'; checkpoint: Checkpoint; txHash: Hex }
  | { type: 'mined'; entry: AnchoredEntry }
  | { type: 'failed'; code: AnchorErrorCode; message: string; failures: number }
  | { type: 'dropped'; anchor: AnchorRecord }
  | { type: 'recovered' }
  | { type: 'changed'; change: StateChange }
  | { type: 'warn'; message: string };

/** How often the ledger's latest checkpoint is looked at, milliseconds (a property read). */
const OBSERVE_MS = 100;

export type ThreadedAnchorerOptions = Omit<AnchorerOptions, 'clock'>;

export class ThreadedAnchorer {
  readonly #data: AnchorerWorkerData;
  readonly #latest: () => Checkpoint | undefined;
  readonly #hooks: AnchorHooks;
  #worker: Worker | undefined;
  #address: Hex = '0x';
  #anchors: AnchoredEntry[] = [];
  #pending: PendingAnchor | undefined;
  #failures = 0;
  #posted: Checkpoint | undefined;
  #watch: NodeJS.Timeout | undefined;
  #restart: NodeJS.Timeout | undefined;
  #stopping = false;
  #stopped: (() => void) | undefined;

  constructor(options: ThreadedAnchorerOptions) {
    // Checked here, so a wrong option fails at start on the caller's thread.
    normaliseAnchorerOptions(options);
    const { latestCheckpoint, hooks, ...data } = options;
    this.#data = data;
    this.#latest = latestCheckpoint;
    this.#hooks = hooks ?? {};
  }

  /** The node's account (the contract's registered `node`). */
  get address(): Hex {
    return this.#address;
  }

  /** Anchors recorded as on chain, by size (the worker's state, mirrored). */
  get anchors(): readonly AnchoredEntry[] {
    return this.#anchors;
  }

  get pending(): PendingAnchor | undefined {
    return this.#pending;
  }

  /** Consecutive failures since the last success (0 when healthy). */
  get failures(): number {
    return this.#failures;
  }

  /** Starts the worker and waits until it has opened the state; the chain need not be reachable. */
  async start(): Promise<void> {
    await this.#spawn();
    this.#watch = setInterval(() => this.#observe(), OBSERVE_MS);
    this.#watch.unref();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#watch) clearInterval(this.#watch);
    if (this.#restart) clearTimeout(this.#restart);
    const worker = this.#worker;
    if (!worker) return;
    const done = new Promise<void>((resolve) => {
      this.#stopped = resolve;
      worker.once('exit', () => resolve());
    });
    worker.postMessage({ type: 'stop' } satisfies ToWorker);
    await done;
    await worker.terminate();
    this.#worker = undefined;
  }

  #observe(): void {
    const cp = this.#latest();
    if (!cp || cp.size === this.#posted?.size || !this.#worker) return;
    this.#posted = cp;
    this.#worker.postMessage({ type: 'checkpoint', checkpoint: cp } satisfies ToWorker);
  }

  #spawn(): Promise<void> {
    const worker = new Worker(new URL('./anchorer-worker.js', import.meta.url), { workerData: this.#data });
    // Like the Anchorer's own timers: anchoring never keeps a stopping process alive.
    worker.unref();
    this.#worker = worker;
    this.#posted = undefined;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          ready = true;
          this.#address = m.address;
          this.#anchors = m.anchors;
          this.#pending = m.pending;
          this.#observe();
          resolve();
        } else if (m.type === 'start-failed') {
          reject(new AnchorError(m.code, m.message));
        } else this.#onMessage(m);
      });
      worker.on('error', (err) => {
        if (!ready) reject(new AnchorError('WORKER_ERROR', `anchorer thread failed to start: ${err.message}`, { cause: err }));
        else this.#fail(new AnchorError('WORKER_ERROR', `anchorer thread failed: ${err.message}`, { cause: err }));
      });
      worker.on('exit', (code) => {
        if (this.#worker === worker) this.#worker = undefined;
        if (!ready) return reject(new AnchorError('WORKER_ERROR', `anchorer thread exited with code ${code} before it started`));
        if (!this.#stopping) this.#respawnLater(code);
      });
    });
  }

  #respawnLater(code: number): void {
    this.#fail(new AnchorError('WORKER_ERROR', `anchorer thread exited with code ${code}; starting it again`));
    const base = Math.min(this.#data.retryMaxMs ?? 60_000, (this.#data.retryBaseMs ?? 1000) * 2 ** Math.min(this.#failures - 1, 30));
    this.#restart = setTimeout(() => {
      this.#spawn().catch((err: unknown) => this.#respawnAfter(err));
    }, base);
    this.#restart.unref();
  }

  #respawnAfter(err: unknown): void {
    if (this.#stopping) return;
    this.#fail(err instanceof AnchorError ? err : new AnchorError('WORKER_ERROR', String(err)));
    this.#respawnLater(1);
  }

  #fail(err: AnchorError): void {
    this.#failures++;
    this.#hooks.failed?.(err);
  }

  #onMessage(m: Exclude<FromWorker, { type: 'ready' | 'start-failed' }>): void {
    const h = this.#hooks;
    switch (m.type) {
      case 'changed':
        this.#apply(m.change);
        h.changed?.(m.change);
        return;
      case 'sent':
        return h.sent?.(m.checkpoint, m.txHash);
      case 'mined':
        return h.mined?.(m.entry);
      case 'failed':
        this.#failures = m.failures;
        return h.failed?.(new AnchorError(m.code, m.message));
      case 'recovered':
        this.#failures = 0;
        return h.recovered?.();
      case 'dropped':
        return h.dropped?.(m.anchor);
      case 'warn':
        return h.warn?.(m.message);
      case 'stopped':
        return this.#stopped?.();
    }
  }

  #apply(c: StateChange): void {
    if (c.op === 'record') this.#anchors = withEntry(this.#anchors, c.entry);
    else if (c.op === 'drop') this.#anchors = withoutTx(this.#anchors, c.txHash);
    else this.#pending = c.pending;
  }
}
