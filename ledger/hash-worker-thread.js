// @ts-check
/**
 * The hashing thread's code (node-only; started by hash-worker.ts). JavaScript that Node
 * runs as it is, so the thread starts in milliseconds with no TypeScript loader, and
 * `@ts-check` so the compiler checks it like the rest (types from hash-worker.ts).
 *
 * It keeps only the tree's right border (a compact range, O(log n) hashes) and, for each
 * batch of newline-terminated entry lines, returns every leaf hash and the hash of every
 * tree node the batch completes, in order.
 *
 * @import { HashReply, HashRequest, HashWorkerData } from './hash-worker.js'
 */
import { hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

// RFC 9162 section 2.1.1: leaf SHA-256(0x00 || d), node SHA-256(0x01 || left || right).
// The same constants as hasher.ts, which this thread cannot import without a loader.
const LEAF_HASH_PREFIX = 0x00;
const NODE_HASH_PREFIX = 0x01;
const H = 32;
/** A tree of up to 2^64 leaves has at most 64 subtrees in its range, plus room for two. */
const MAX_RANGE = 66;

const port = parentPort;
if (!port) throw new Error('hash-worker-thread.js runs as a worker thread');
const init = /** @type {HashWorkerData} */ (workerData);
const stack = new Uint8Array(MAX_RANGE * H);
stack.set(init.frontier);
let depth = init.frontier.length / H;
let size = init.size;
const node = Buffer.alloc(1 + 2 * H);
node[0] = NODE_HASH_PREFIX;
let scratch = Buffer.alloc(1 << 16);

/**
 * A 'binary' (latin1) string result avoids one ArrayBuffer per hash.
 * @param {Uint8Array} out
 * @param {number} at
 * @param {string} s
 */
function put(out, at, s) {
  for (let k = 0; k < H; k++) out[at + k] = s.charCodeAt(k);
}

port.on('message', (/** @type {HashRequest} */ m) => {
  const buf = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  const out = new Uint8Array((2 * m.count + MAX_RANGE) * H);
  let o = 0;
  let at = 0;
  for (let i = 0; i < m.count; i++) {
    const e = buf.indexOf(10, at);
    const len = e - at;
    if (scratch.length < len + 1) scratch = Buffer.alloc(2 * (len + 1));
    scratch[0] = LEAF_HASH_PREFIX;
    buf.copy(scratch, 1, at, e);
    const leaf = hash('sha256', scratch.subarray(0, len + 1), 'binary');
    put(out, o, leaf);
    o += H;
    put(stack, depth * H, leaf);
    depth++;
    // One interior node per trailing 1 bit of the new leaf's index.
    for (let n = size; n % 2 === 1; n = (n - 1) / 2) {
      const l = (depth - 2) * H;
      for (let k = 0; k < 2 * H; k++) node[1 + k] = /** @type {number} */ (stack[l + k]);
      const p = hash('sha256', node, 'binary');
      put(stack, l, p);
      depth--;
      put(out, o, p);
      o += H;
    }
    size++;
    at = e + 1;
  }
  /** @type {HashReply} */
  const reply = { seq: m.seq, out, bytes: o };
  port.postMessage(reply, [out.buffer]);
});
