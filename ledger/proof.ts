/**
 * Verification of RFC 9162 inclusion and consistency proofs (sections 2.1.3.2 and
 * 2.1.4.2), ported from transparency-dev/merkle `proof/verify.go` and keeping its names so
 * the two can be read side by side. Browser-safe: plain JS plus the hasher given.
 *
 * Sizes and indexes are JS numbers, exact up to 2^53; the bit arithmetic below therefore
 * avoids 32-bit operators (`>>`, `&`) on them.
 */
import { bytesEqual, toHex } from './encoding.js';
import { LedgerError } from './errors.js';
import type { LogHasher } from './hasher.js';

/** Number of significant bits (Go `bits.Len64`). */
function bitLength(x: number): number {
  let n = 0;
  while (x >= 1) {
    x = Math.floor(x / 2);
    n++;
  }
  return n;
}

function onesCount(x: number): number {
  let n = 0;
  while (x >= 1) {
    if (x % 2 === 1) n++;
    x = Math.floor(x / 2);
  }
  return n;
}

function trailingZeros(x: number): number {
  let n = 0;
  while (x > 0 && x % 2 === 0) {
    x /= 2;
    n++;
  }
  return n;
}

const shiftRight = (x: number, n: number): number => Math.floor(x / 2 ** n);
const bitAt = (x: number, i: number): number => (x < 2 ** 31 && i < 31 ? (x >>> i) & 1 : shiftRight(x, i) % 2);
const xor = (a: number, b: number): number => {
  // Exact XOR for non-negative integers below 2^53.
  const hi = Math.floor(a / 2 ** 32) ^ Math.floor(b / 2 ** 32);
  const lo = (a >>> 0) ^ (b >>> 0);
  return (hi >>> 0) * 2 ** 32 + (lo >>> 0);
};

/** Sizes and indexes come from untrusted proofs: one out of range is a failed proof. */
function checkSize(code: 'INCLUSION_PROOF_ERROR' | 'CONSISTENCY_PROOF_ERROR', name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new LedgerError(code, `${name} must be a non-negative integer below 2^53, got ${String(n)}`);
  }
}

/** The proof's split into the part inside the leaf's perfect subtree and the right border. */
function decompInclProof(index: number, size: number): [inner: number, border: number] {
  const inner = innerProofSize(index, size);
  const border = onesCount(shiftRight(index, inner));
  return [inner, border];
}

function innerProofSize(index: number, size: number): number {
  return bitLength(xor(index, size - 1));
}

// The chain functions walk proof[from..to) in place: verification is on an auditor's hot
// path (a dashboard may check thousands of bundles), so no slices or closures.
function chainInner(hasher: LogHasher, seed: Uint8Array, proof: readonly Uint8Array[], from: number, to: number, index: number): Uint8Array {
  for (let i = from; i < to; i++) {
    const h = proof[i]!;
    seed = bitAt(index, i - from) === 0 ? hasher.hashChildren(seed, h) : hasher.hashChildren(h, seed);
  }
  return seed;
}

function chainInnerRight(hasher: LogHasher, seed: Uint8Array, proof: readonly Uint8Array[], from: number, to: number, index: number): Uint8Array {
  for (let i = from; i < to; i++) {
    if (bitAt(index, i - from) === 1) seed = hasher.hashChildren(proof[i]!, seed);
  }
  return seed;
}

function chainBorderRight(hasher: LogHasher, seed: Uint8Array, proof: readonly Uint8Array[], from: number): Uint8Array {
  for (let i = from; i < proof.length; i++) seed = hasher.hashChildren(proof[i]!, seed);
  return seed;
}

/**
 * The root implied by `leafHash` at `index` in a tree of `size` and its audit path.
 * Throws INCLUSION_PROOF_ERROR when the proof has the wrong shape.
 */
export function rootFromInclusionProof(
  hasher: LogHasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkSize('INCLUSION_PROOF_ERROR', 'index', index);
  checkSize('INCLUSION_PROOF_ERROR', 'size', size);
  if (index >= size) {
    throw new LedgerError('INCLUSION_PROOF_ERROR', `index is beyond size: ${index} >= ${size}`);
  }
  if (leafHash.length !== hasher.size) {
    throw new LedgerError('INCLUSION_PROOF_ERROR', `leaf hash has ${leafHash.length} bytes, want ${hasher.size}`);
  }
  const [inner, border] = decompInclProof(index, size);
  if (proof.length !== inner + border) {
    throw new LedgerError('INCLUSION_PROOF_ERROR', `wrong proof size ${proof.length}, want ${inner + border}`);
  }
  for (const h of proof) {
    if (h.length !== hasher.size) {
      throw new LedgerError('INCLUSION_PROOF_ERROR', `proof hash has ${h.length} bytes, want ${hasher.size}`);
    }
  }
  const res = chainInner(hasher, leafHash, proof, 0, inner, index);
  return chainBorderRight(hasher, res, proof, inner);
}

/** RFC 9162 2.1.3.2. Throws INCLUSION_PROOF_ERROR unless the proof leads to `root`. */
export function verifyInclusion(
  hasher: LogHasher,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const calc = rootFromInclusionProof(hasher, index, size, leafHash, proof);
  if (!bytesEqual(calc, root)) {
    throw new LedgerError(
      'INCLUSION_PROOF_ERROR',
      `calculated root ${toHex(calc)} does not match expected root ${toHex(root)}`,
    );
  }
}

/**
 * RFC 9162 2.1.4.2: the tree of `size1` with `root1` is a prefix of the tree of `size2`
 * with `root2`. Throws CONSISTENCY_PROOF_ERROR otherwise.
 *
 * Unlike merkle's Go code, a proof from the empty tree is refused: RFC 9162 defines
 * consistency proofs only for 0 < m, and a witness must never be persuaded that "anything
 * follows from nothing" — it records the first checkpoint it sees instead.
 */
export function verifyConsistency(
  hasher: LogHasher,
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  checkSize('CONSISTENCY_PROOF_ERROR', 'size1', size1);
  checkSize('CONSISTENCY_PROOF_ERROR', 'size2', size2);
  const fail = (message: string): never => {
    throw new LedgerError('CONSISTENCY_PROOF_ERROR', message);
  };
  if (size2 < size1) fail(`size2 (${size2}) < size1 (${size1})`);
  if (size1 === 0) fail('a consistency proof from the empty tree proves nothing (RFC 9162 needs 0 < size1)');
  if (size1 === size2) {
    if (proof.length > 0) fail('size1 = size2, but the proof is not empty');
    if (!bytesEqual(root1, root2)) fail('size1 = size2, but the roots differ');
    return;
  }
  if (proof.length === 0) fail('empty proof');
  for (const h of proof) {
    if (h.length !== hasher.size) fail(`proof hash has ${h.length} bytes, want ${hasher.size}`);
  }

  let [inner, border] = decompInclProof(size1 - 1, size2);
  const shift = trailingZeros(size1);
  inner -= shift; // shift < inner when size1 < size2

  // The proof starts with the root of the subtree of size 2^shift ending at size1, unless
  // size1 is that very 2^shift, in which case the verifier already knows it as root1.
  let seed = proof[0]!;
  let start = 1;
  if (size1 === 2 ** shift) {
    seed = root1;
    start = 0;
  }
  if (proof.length !== start + inner + border) {
    fail(`wrong proof size ${proof.length}, want ${start + inner + border}`);
  }
  // proof[start..] is now a suffix of the inclusion proof for leaf size1-1 in the tree of size2.
  const mask = shiftRight(size1 - 1, shift);

  let hash1 = chainInnerRight(hasher, seed, proof, start, start + inner, mask);
  hash1 = chainBorderRight(hasher, hash1, proof, start + inner);
  if (!bytesEqual(hash1, root1)) fail(`calculated root1 ${toHex(hash1)} does not match root1 ${toHex(root1)}`);

  let hash2 = chainInner(hasher, seed, proof, start, start + inner, mask);
  hash2 = chainBorderRight(hasher, hash2, proof, start + inner);
  if (!bytesEqual(hash2, root2)) fail(`calculated root2 ${toHex(hash2)} does not match root2 ${toHex(root2)}`);
}
