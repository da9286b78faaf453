/**
 * The writer's hashing thread (node-only). The append path only encodes entries into a
 * buffer; each full buffer goes to this worker, which computes the leaf hashes and every
 * tree node they complete — the second core does the SHA-256 work while the first keeps
 * appending. Results come back in order and the writer's MerkleTree takes them as they are.
 *
 * The thread's code is hash-worker-thread.js. It keeps only the tree's right border (a
 * compact range, O(log n) hashes); the tree itself, and every proof, stay in the writer's
 * thread.
 */
import { Worker } from 'node:worker_threads';
import { LedgerError } from './errors.js';

/** The thread's code: JavaScript Node runs as it is (no loader), checked by the compiler (`@ts-check`). */
const THREAD = new URL('./hash-worker-thread.js', import.meta.url);

/** What the writer sends: a batch of `count` newline-terminated lines in `data`, numbered `seq`. */
export interface HashRequest {
  seq: number;
  data: Uint8Array;
  count: number;
}

/** What comes back: `bytes` bytes of hashes at the start of `out`, 32 per hash. */
export interface HashReply {
  seq: number;
  out: Uint8Array;
  bytes: number;
}

/** The tree so far: `size` leaves, whose compact range is `frontier`, largest subtree first. */
export interface HashWorkerData {
  size: number;
  frontier: Uint8Array;
}

interface Job {
  resolve: (hashes: Uint8Array) => void;
  reject: (err: unknown) => void;
}

export class HashWorker {
  readonly #worker: Worker;
  readonly #jobs = new Map<number, Job>();
  #seq = 0;
  #failure: LedgerError | undefined;

  /** `size` leaves are already in the tree; `frontier` is its compact range, largest subtree first. */
  constructor(size: number, frontier: Uint8Array) {
    const workerData: HashWorkerData = { size, frontier };
    this.#worker = new Worker(THREAD, { workerData });
    // The writer's timers and waiters decide the process's life, not this thread.
    this.#worker.unref();
    this.#worker.on('message', (m: HashReply) => {
      const job = this.#jobs.get(m.seq);
      this.#jobs.delete(m.seq);
      job?.resolve(m.out.subarray(0, m.bytes));
    });
    const fail = (err: unknown): void => {
      this.#failure ??= new LedgerError('IO_ERROR', `the hashing thread stopped: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      for (const job of this.#jobs.values()) job.reject(this.#failure);
      this.#jobs.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  /**
   * Hashes `count` newline-terminated entry lines in `data`. Resolves with, per line in
   * order, its leaf hash followed by the hash of each tree node it completes (one per
   * trailing 1 bit of its leaf index), 32 bytes each.
   */
  hash(data: Uint8Array, count: number): Promise<Uint8Array> {
    if (this.#failure) return Promise.reject(this.#failure);
    const seq = this.#seq++;
    return new Promise((resolve, reject) => {
      this.#jobs.set(seq, { resolve, reject });
      const request: HashRequest = { seq, data, count };
      this.#worker.postMessage(request);
    });
  }

  async terminate(): Promise<void> {
    this.#failure ??= new LedgerError('CLOSED', 'the ledger is closed');
    await this.#worker.terminate();
  }
}
