/**
 * The append-only RFC 9162 Merkle tree, with every perfect subtree's hash kept, so the
 * root of any earlier size and any inclusion or consistency proof cost O(log n) lookups and
 * at most O(log n) hashes, never a recomputation (cf. transparency-dev/merkle `compact`
 * ranges and `proof/proof.go`). Browser-safe: plain JS plus the hasher given.
 */
import { LedgerError } from './errors.js';
import type { LogHasher } from './hasher.js';

/** 2^15 nodes (1 MiB of SHA-256 hashes) per storage chunk: growth never copies old nodes. */
const CHUNK_SHIFT = 15;
/** Node indexes are kept below 2^32 so the chunk arithmetic can use 32-bit operators. */
const MAX_LEAVES = 2 ** 32 - 1;
/**
 * With a leaf source, levels below this one keep only their two newest chunks in memory;
 * an older node there covers at most 2^(SPILL_LEVELS-1) leaves and is recomputed from them.
 * Memory is then about one byte per leaf (the levels above) instead of 64.
 */
const SPILL_LEVELS = 6;

/** Where a tree that does not keep every node finds old leaf hashes (the writer: entries.idx). */
export interface LeafSource {
  /** Copies the hashes of leaves [start, start + count) into `into`, back to back. */
  readLeaves(start: number, count: number, into: Uint8Array): void;
}

export interface MerkleTreeOptions {
  /** Keep only recent low-level nodes in memory and read old leaves from here. */
  leaves?: LeafSource;
  /** log2 of nodes per storage chunk (tests use small chunks). @default 15 */
  chunkShift?: number;
}

/** The hashes of one level of the tree, in index order. */
class NodeLevel {
  private readonly chunks: (Uint8Array | undefined)[] = [];
  length = 0;
  private readonly mask: number;

  constructor(
    private readonly hashSize: number,
    private readonly shift: number,
    /** Drop chunks older than the newest two (their nodes can be recomputed). */
    private readonly evict: boolean,
  ) {
    this.mask = (1 << shift) - 1;
  }

  push(hash: Uint8Array): void {
    this.reserve().set(hash, ((this.length - 1) & this.mask) * this.hashSize);
  }

  /** Reserves slot `length` and returns its chunk; its byte offset is `(i & mask) * hashSize`. */
  reserve(): Uint8Array {
    const i = this.length;
    const c = i >>> this.shift;
    let chunk = this.chunks[c];
    if (!chunk) {
      chunk = new Uint8Array((this.mask + 1) * this.hashSize);
      this.chunks[c] = chunk;
      if (this.evict && c >= 2) this.chunks[c - 2] = undefined;
    }
    this.length = i + 1;
    return chunk;
  }

  chunk(i: number): Uint8Array {
    return this.chunks[i >>> this.shift]!;
  }

  offset(i: number): number {
    return (i & this.mask) * this.hashSize;
  }

  /** A view, not a copy: callers must not write to it. Undefined when evicted. */
  get(i: number): Uint8Array | undefined {
    const chunk = this.chunks[i >>> this.shift];
    if (!chunk) return undefined;
    const at = (i & this.mask) * this.hashSize;
    return chunk.subarray(at, at + this.hashSize);
  }
}

const highestBit = (n: number): number => 31 - Math.clz32(n);

/** Largest power of two strictly below n (n > 1): RFC 9162's split point k. */
const splitPoint = (n: number): number => 2 ** highestBit(n - 1);

export class MerkleTree {
  private readonly levels: NodeLevel[] = [];
  private readonly shift: number;
  private readonly source: LeafSource | undefined;

  constructor(
    readonly hasher: LogHasher,
    options: MerkleTreeOptions = {},
  ) {
    this.shift = options.chunkShift ?? CHUNK_SHIFT;
    this.source = options.leaves;
    this.levels.push(this.newLevel(0));
  }

  private newLevel(level: number): NodeLevel {
    return new NodeLevel(this.hasher.size, this.shift, this.source !== undefined && level < SPILL_LEVELS);
  }

  /** Number of leaves. */
  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends one leaf hash (already HASH(0x00 || data)). */
  append(leafHash: Uint8Array): void {
    if (leafHash.length !== this.hasher.size) {
      throw new LedgerError('INVALID_ARGUMENT', `leaf hash has ${leafHash.length} bytes, want ${this.hasher.size}`);
    }
    this.checkRoom();
    this.levels[0]!.push(leafHash);
    this.completeParents();
  }

  /**
   * Appends one leaf whose hashes were computed elsewhere (the writer's hashing thread):
   * `hashes[at..]` holds the leaf hash, then the hash of each node it completes, lowest
   * first. Returns the offset after what it took. Trusted input: the audit recomputes
   * everything independently.
   */
  appendComputed(hashes: Uint8Array, at: number): number {
    this.checkRoom();
    const size = this.hasher.size;
    let i = this.size;
    this.levels[0]!.push(hashes.subarray(at, at + size));
    at += size;
    for (let level = 1; (i & 1) === 1; level++) {
      let up = this.levels[level];
      if (!up) {
        up = this.newLevel(level);
        this.levels.push(up);
      }
      up.push(hashes.subarray(at, at + size));
      at += size;
      i >>>= 1;
    }
    return at;
  }

  /** The compact range of the whole tree: its perfect subtree roots, largest first, concatenated. */
  frontier(): Uint8Array {
    const size = this.hasher.size;
    const parts: Uint8Array[] = [];
    let begin = 0;
    for (let level = 31; level >= 0; level--) {
      const width = 2 ** level;
      if (Math.floor(this.size / width) % 2 === 1) {
        parts.push(this.node(level, begin / width));
        begin += width;
      }
    }
    const out = new Uint8Array(parts.length * size);
    parts.forEach((p, k) => out.set(p, k * size));
    return out;
  }

  private checkRoom(): void {
    if (this.size >= MAX_LEAVES) throw new LedgerError('INVALID_ARGUMENT', `the tree is full (${MAX_LEAVES} leaves)`);
  }

  /** Each completed pair completes its parent: amortised one hashChildren per leaf. */
  private completeParents(): void {
    let i = this.size - 1;
    let level = 0;
    const into = this.hasher.hashChildrenInto;
    while ((i & 1) === 1) {
      const cur = this.levels[level]!;
      let up = this.levels[level + 1];
      if (!up) {
        up = this.newLevel(level + 1);
        this.levels.push(up);
      }
      if (into) {
        const j = up.length;
        const out = up.reserve();
        into.call(this.hasher, cur.chunk(i - 1), cur.offset(i - 1), cur.chunk(i), cur.offset(i), out, up.offset(j));
      } else {
        up.push(this.hasher.hashChildren(cur.get(i - 1)!, cur.get(i)!));
      }
      level++;
      i >>>= 1;
    }
  }

  leafHash(index: number): Uint8Array {
    this.checkIndex(index, this.size);
    return this.node(0, index).slice();
  }

  /** The hash of node `index` at `level` (a perfect subtree of 2^level leaves): kept, or recomputed. */
  private node(level: number, index: number): Uint8Array {
    const kept = this.levels[level]!.get(index);
    if (kept) return kept;
    const hs = this.hasher.size;
    const count = 2 ** level;
    const buf = new Uint8Array(count * hs);
    this.source!.readLeaves(index * count, count, buf);
    for (let width = count; width > 1; width /= 2) {
      for (let k = 0; k < width / 2; k++) {
        buf.set(this.hasher.hashChildren(buf.subarray(2 * k * hs, (2 * k + 1) * hs), buf.subarray((2 * k + 1) * hs, (2 * k + 2) * hs)), k * hs);
      }
    }
    return buf.subarray(0, hs);
  }

  /** MTH(D[0:size]) for any size up to the current one. */
  root(size: number = this.size): Uint8Array {
    this.checkSize(size);
    return size === 0 ? this.hasher.emptyRoot() : this.hashRange(0, size);
  }

  /** RFC 9162 2.1.3.1 PATH(index, D[0:size]), leaf to root. */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    this.checkSize(size);
    this.checkIndex(index, size);
    const path: Uint8Array[] = [];
    let begin = 0;
    let end = size;
    while (end - begin > 1) {
      const k = splitPoint(end - begin);
      if (index < begin + k) {
        path.push(this.hashRange(begin + k, end));
        end = begin + k;
      } else {
        path.push(this.hashRange(begin, begin + k));
        begin += k;
      }
    }
    return path.reverse();
  }

  /** RFC 9162 2.1.4.1 PROOF(size1, D[0:size2]), for 0 < size1 <= size2. */
  consistencyProof(size1: number, size2: number = this.size): Uint8Array[] {
    this.checkSize(size2);
    if (!Number.isSafeInteger(size1) || size1 < 1 || size1 > size2) {
      throw new LedgerError('INVALID_ARGUMENT', `consistency proofs need 0 < size1 <= size2, got ${size1} and ${size2}`);
    }
    const proof: Uint8Array[] = [];
    let begin = 0;
    let end = size2;
    // RFC 9162's SUBPROOF flag b: true while the range still starts at 0, where the
    // verifier already knows the old root.
    let knownToVerifier = true;
    for (;;) {
      if (size1 === end) {
        if (!knownToVerifier) proof.push(this.hashRange(begin, end));
        break;
      }
      const k = splitPoint(end - begin);
      if (size1 <= begin + k) {
        proof.push(this.hashRange(begin + k, end));
        end = begin + k;
      } else {
        proof.push(this.hashRange(begin, begin + k));
        begin += k;
        knownToVerifier = false;
      }
    }
    return proof.reverse();
  }

  /**
   * MTH(D[begin:end]) for a range RFC 9162's recursion can produce (begin aligned to the
   * range's size rounded up to a power of two): the right fold of its perfect subtrees.
   */
  private hashRange(begin: number, end: number): Uint8Array {
    const nodes: Uint8Array[] = [];
    let at = begin;
    while (at < end) {
      const level = highestBit(end - at);
      const width = 2 ** level;
      nodes.push(this.node(level, at / width));
      at += width;
    }
    let acc = nodes[nodes.length - 1]!;
    for (let j = nodes.length - 2; j >= 0; j--) acc = this.hasher.hashChildren(nodes[j]!, acc);
    return acc.slice();
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new LedgerError('INVALID_ARGUMENT', `tree size ${size} is not between 0 and ${this.size}`);
    }
  }

  private checkIndex(index: number, size: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new LedgerError('NOT_FOUND', `leaf index ${index} is not below tree size ${size}`);
    }
  }
}

/**
 * The right border of a tree being rebuilt leaf by leaf — O(log n) memory — for audits that
 * need roots at chosen sizes but no proofs (transparency-dev/merkle `compact.Range` from 0).
 */
export class CompactRange {
  /** Perfect subtree roots, largest (leftmost) first; their sizes are the bits of `size`. */
  private readonly stack: Uint8Array;
  private depth = 0;
  size = 0;

  constructor(private readonly hasher: LogHasher) {
    this.stack = new Uint8Array(64 * hasher.size);
  }

  append(leafHash: Uint8Array): void {
    this.appendFrom(leafHash, 0);
  }

  /** Appends the leaf hash held at `src[at..at+hash size]`. */
  appendFrom(src: Uint8Array, at: number): void {
    const hs = this.hasher.size;
    const base = this.depth * hs;
    for (let k = 0; k < hs; k++) this.stack[base + k] = src[at + k]!;
    this.depth++;
    let n = this.size;
    while (n % 2 === 1) {
      const left = (this.depth - 2) * hs;
      const right = left + hs;
      if (this.hasher.hashChildrenInto) {
        this.hasher.hashChildrenInto(this.stack, left, this.stack, right, this.stack, left);
      } else {
        this.stack.set(this.hasher.hashChildren(this.stack.slice(left, right), this.stack.slice(right, right + hs)), left);
      }
      this.depth--;
      n = (n - 1) / 2;
    }
    this.size++;
  }

  root(): Uint8Array {
    const hs = this.hasher.size;
    if (this.depth === 0) return this.hasher.emptyRoot();
    let acc: Uint8Array = this.stack.slice((this.depth - 1) * hs, this.depth * hs);
    for (let j = this.depth - 2; j >= 0; j--) acc = this.hasher.hashChildren(this.stack.slice(j * hs, (j + 1) * hs), acc);
    return acc;
  }
}
