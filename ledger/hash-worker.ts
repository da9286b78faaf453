/**
 * The writer's hashing thread (node-only). The append path only encodes entries into a
 * buffer; each full buffer goes to this worker, which computes the leaf hashes and every
 * tree node they complete — the second core does the SHA-256 work while the first keeps
 * appending. Results come back in order and the writer's MerkleTree takes them as they are.
 *
 * The worker is plain JavaScript evaluated from a string, so it needs no TypeScript loader.
 * It keeps only the tree's right border (a compact range, O(log n) hashes); the tree
 * itself, and every proof, stay in the writer's thread.
 */
import { Worker } from 'node:worker_threads';
import { LedgerError } from './errors.js';

const SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { hash } = require('node:crypto');
const H = 32;
const stack = new Uint8Array(66 * H);
stack.set(workerData.frontier);
let depth = workerData.frontier.length / H;
let size = workerData.size;
const node = Buffer.alloc(1 + 2 * H);
node[0] = 0x01; // RFC 9162 interior node prefix
let scratch = Buffer.alloc(1 << 16);
// A latin1 string result avoids one ArrayBuffer per hash.
function put(out, at, s) {
  for (let k = 0; k < H; k++) out[at + k] = s.charCodeAt(k);
}
parentPort.on('message', (m) => {
  const buf = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  const out = new Uint8Array((2 * m.count + 66) * H);
  let o = 0;
  let at = 0;
  for (let i = 0; i < m.count; i++) {
    const e = buf.indexOf(10, at);
    const len = e - at;
    if (scratch.length < len + 1) scratch = Buffer.alloc(2 * (len + 1));
    scratch[0] = 0x00; // RFC 9162 leaf prefix
    buf.copy(scratch, 1, at, e);
    const leaf = hash('sha256', scratch.subarray(0, len + 1), 'latin1');
    put(out, o, leaf);
    o += H;
    put(stack, depth * H, leaf);
    depth++;
    for (let n = size; n % 2 === 1; n = (n - 1) / 2) {
      const l = (depth - 2) * H;
      for (let k = 0; k < 2 * H; k++) node[1 + k] = stack[l + k];
      const p = hash('sha256', node, 'latin1');
      put(stack, l, p);
      depth--;
      put(out, o, p);
      o += H;
    }
    size++;
    at = e + 1;
  }
  parentPort.postMessage({ seq: m.seq, out, bytes: o }, [out.buffer]);
});
`;

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
    this.#worker = new Worker(SOURCE, { eval: true, workerData: { size, frontier } });
    // The writer's timers and waiters decide the process's life, not this thread.
    this.#worker.unref();
    this.#worker.on('message', (m: { seq: number; out: Uint8Array; bytes: number }) => {
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
      this.#worker.postMessage({ seq, data, count });
    });
  }

  async terminate(): Promise<void> {
    this.#failure ??= new LedgerError('CLOSED', 'the ledger is closed');
    await this.#worker.terminate();
  }
}
