/**
 * The Merkle tree and its proofs against RFC 9162: the transparency-dev/merkle test vectors
 * (run as data from ../shared/vectors/rfc6962), a naive recursive reference implementation
 * of the RFC's definitions, and agreement between the browser and node hashers.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import canonicalize from 'canonicalize';
import {
  canonicalJson,
  CompactRange,
  LEAF_HASH_PREFIX,
  MerkleTree,
  NODE_HASH_PREFIX,
  nodeHasher,
  rfc9162Hasher,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
  type LogHasher,
} from '../ledger/index.js';
import { repoRoot, seededRandom } from './helpers.js';

const vectorsDir = join(repoRoot, '../shared/vectors/rfc6962');
const haveVectors = existsSync(vectorsDir);
if (!haveVectors) console.warn(`skipping RFC 6962 vector tests: ${vectorsDir} is absent`);

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

function vectorFiles(kind: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.json')) out.push(path);
    }
  };
  if (haveVectors) walk(join(vectorsDir, kind));
  return out;
}

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe.skipIf(!haveVectors)('RFC 6962 inclusion vectors', () => {
  const files = vectorFiles('inclusion');
  it('are present', () => {
    expect(files.length).toBeGreaterThan(50);
  });
  for (const hasher of [rfc9162Hasher, nodeHasher]) {
    const label = hasher === nodeHasher ? 'node:crypto' : '@noble/hashes';
    describe(`with the ${label} hasher`, () => {
      for (const file of files) {
        const v = JSON.parse(readFileSync(file, 'utf8')) as InclusionVector;
        const name = `${relative(vectorsDir, file)}: ${v.desc}`;
        it(v.wantErr ? `refuses ${name}` : `accepts ${name}`, () => {
          const run = (): void =>
            verifyInclusion(hasher, v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root));
          if (v.wantErr) expect(run).toThrow(expect.objectContaining({ code: 'INCLUSION_PROOF_ERROR' }) as Error);
          else expect(run).not.toThrow();
        });
      }
    });
  }
});

describe.skipIf(!haveVectors)('RFC 6962 consistency vectors', () => {
  const files = vectorFiles('consistency');
  it('are present', () => {
    expect(files.length).toBeGreaterThan(50);
  });
  for (const file of files) {
    const v = JSON.parse(readFileSync(file, 'utf8')) as ConsistencyVector;
    const name = `${relative(vectorsDir, file)}: ${v.desc}`;
    it(v.wantErr ? `refuses ${name}` : `accepts ${name}`, () => {
      const run = (): void =>
        verifyConsistency(rfc9162Hasher, v.size1, v.size2, (v.proof ?? []).map(b64), b64(v.root1), b64(v.root2));
      if (v.wantErr) expect(run).toThrow(expect.objectContaining({ code: 'CONSISTENCY_PROOF_ERROR' }) as Error);
      else expect(run).not.toThrow();
    });
  }
});

// --- A naive reference: RFC 9162 section 2.1 written out recursively, nothing cached. ---

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function naiveRoot(h: LogHasher, leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return h.emptyRoot();
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerOfTwoBelow(leaves.length);
  return h.hashChildren(naiveRoot(h, leaves.slice(0, k)), naiveRoot(h, leaves.slice(k)));
}

function naivePath(h: LogHasher, m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return m < k
    ? [...naivePath(h, m, leaves.slice(0, k)), naiveRoot(h, leaves.slice(k))]
    : [...naivePath(h, m - k, leaves.slice(k)), naiveRoot(h, leaves.slice(0, k))];
}

function naiveSubproof(h: LogHasher, m: number, leaves: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === leaves.length) return b ? [] : [naiveRoot(h, leaves)];
  const k = largestPowerOfTwoBelow(leaves.length);
  return m <= k
    ? [...naiveSubproof(h, m, leaves.slice(0, k), b), naiveRoot(h, leaves.slice(k))]
    : [...naiveSubproof(h, m - k, leaves.slice(k), false), naiveRoot(h, leaves.slice(0, k))];
}


function leafHashes(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => rfc9162Hasher.hashLeaf(new TextEncoder().encode(`leaf ${i}`)));
}

describe('the fast tree, against the naive reference', () => {
  const MAX = 10_000;
  const leaves = leafHashes(MAX);
  const tree = new MerkleTree(nodeHasher);
  for (const l of leaves) tree.append(l);

  it('has the root of every size from 0 to 300', () => {
    for (let n = 0; n <= 300; n++) {
      expect(hex(tree.root(n)), `size ${n}`).toBe(hex(naiveRoot(rfc9162Hasher, leaves.slice(0, n))));
    }
  });

  it('gives every inclusion and consistency proof of every tree up to 40 leaves', () => {
    for (let n = 1; n <= 40; n++) {
      const part = leaves.slice(0, n);
      const root = tree.root(n);
      for (let m = 0; m < n; m++) {
        const proof = tree.inclusionProof(m, n);
        expect(proof.map(hex), `PATH(${m}, ${n})`).toEqual(naivePath(rfc9162Hasher, m, part).map(hex));
        verifyInclusion(rfc9162Hasher, m, n, leaves[m]!, proof, root);
      }
      for (let m = 1; m <= n; m++) {
        const proof = tree.consistencyProof(m, n);
        expect(proof.map(hex), `PROOF(${m}, ${n})`).toEqual(naiveSubproof(rfc9162Hasher, m, part, true).map(hex));
        verifyConsistency(rfc9162Hasher, m, n, proof, tree.root(m), root);
      }
    }
  });

  const random = seededRandom(9162);
  const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 1023, 1024, 1025, 4097, MAX - 1, MAX];
  for (let i = 0; i < 8; i++) sizes.push(1 + Math.floor(random() * MAX));

  for (const n of sizes) {
    it(`agrees on a tree of ${n} leaves: root, inclusion and consistency proofs`, () => {
      const part = leaves.slice(0, n);
      const root = naiveRoot(rfc9162Hasher, part);
      expect(hex(tree.root(n))).toBe(hex(root));
      for (let t = 0; t < 3; t++) {
        const m = Math.floor(random() * n);
        const proof = tree.inclusionProof(m, n);
        expect(proof.map(hex)).toEqual(naivePath(rfc9162Hasher, m, part).map(hex));
        expect(hex(rootFromInclusionProof(rfc9162Hasher, m, n, leaves[m]!, proof))).toBe(hex(root));
        const m1 = 1 + Math.floor(random() * n);
        const cproof = tree.consistencyProof(m1, n);
        expect(cproof.map(hex)).toEqual(naiveSubproof(rfc9162Hasher, m1, part, true).map(hex));
        verifyConsistency(rfc9162Hasher, m1, n, cproof, tree.root(m1), root);
      }
    });
  }

  it('keeps a compact range whose root matches at every size', () => {
    const range = new CompactRange(rfc9162Hasher);
    for (let n = 0; n < 1100; n++) {
      expect(hex(range.root())).toBe(hex(tree.root(n)));
      range.append(leaves[n]!);
    }
  });
});

describe('a tree that keeps only recent low-level nodes (the writer, over entries.idx)', () => {
  const N = 3000;
  const leaves = leafHashes(N);
  let reads = 0;
  const source = {
    readLeaves(start: number, count: number, into: Uint8Array): void {
      reads++;
      if (start + count > leaves.length) throw new Error(`read past the leaves: ${start}+${count}`);
      for (let k = 0; k < count; k++) into.set(leaves[start + k]!, 32 * k);
    },
  };
  // Chunks of 8 nodes: levels 0-5 drop all but their newest 16 nodes many times over.
  const spilling = new MerkleTree(nodeHasher, { leaves: source, chunkShift: 3 });
  const full = new MerkleTree(nodeHasher);
  for (const l of leaves) {
    spilling.append(l);
    full.append(l);
  }

  it('gives the same roots, leaves, frontier and proofs as a tree that keeps every node', () => {
    const random = seededRandom(64);
    for (let n = 0; n <= N; n += 1 + Math.floor(random() * 40)) expect(hex(spilling.root(n)), `root ${n}`).toBe(hex(full.root(n)));
    expect(hex(spilling.frontier())).toBe(hex(full.frontier()));
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(random() * N);
      const m = Math.floor(random() * n);
      expect(hex(spilling.leafHash(m))).toBe(hex(leaves[m]!));
      expect(spilling.inclusionProof(m, n).map(hex), `PATH(${m}, ${n})`).toEqual(full.inclusionProof(m, n).map(hex));
      const m1 = 1 + Math.floor(random() * n);
      expect(spilling.consistencyProof(m1, n).map(hex), `PROOF(${m1}, ${n})`).toEqual(full.consistencyProof(m1, n).map(hex));
    }
    expect(reads).toBeGreaterThan(0); // old nodes really were recomputed from the source
  });

  it('keeps appending after old nodes were dropped (computed parents and appendComputed)', () => {
    const more = leafHashes(N + 40).slice(N);
    const other = new MerkleTree(nodeHasher);
    for (const l of leaves) other.append(l);
    for (const l of more) {
      spilling.append(l);
      other.append(l);
    }
    leaves.push(...more);
    expect(hex(spilling.root())).toBe(hex(other.root()));
    expect(spilling.inclusionProof(5, N + 40).map(hex)).toEqual(other.inclusionProof(5, N + 40).map(hex));
  });
});

describe('when a proof is tampered with', () => {
  const leaves = leafHashes(1000);
  const tree = new MerkleTree(nodeHasher);
  for (const l of leaves) tree.append(l);
  const root = tree.root();
  const proof = tree.inclusionProof(617, 1000);

  it('verifies untouched', () => {
    expect(() => verifyInclusion(rfc9162Hasher, 617, 1000, leaves[617]!, proof, root)).not.toThrow();
  });
  it('fails when the proof is one hash short', () => {
    expect(() => verifyInclusion(rfc9162Hasher, 617, 1000, leaves[617]!, proof.slice(1), root)).toThrow(/wrong proof size/);
  });
  it('fails when one bit of one proof hash is flipped', () => {
    for (let i = 0; i < proof.length; i++) {
      const bad = proof.map((h) => h.slice());
      bad[i]![7]! ^= 0x10;
      expect(() => verifyInclusion(rfc9162Hasher, 617, 1000, leaves[617]!, bad, root)).toThrow(/does not match/);
    }
  });
  it('fails for the neighbouring leaf', () => {
    expect(() => verifyInclusion(rfc9162Hasher, 618, 1000, leaves[617]!, proof, root)).toThrow();
  });
  it('fails when two hashes are swapped', () => {
    const bad = [...proof];
    [bad[0], bad[1]] = [bad[1]!, bad[0]!];
    expect(() => verifyInclusion(rfc9162Hasher, 617, 1000, leaves[617]!, bad, root)).toThrow();
  });
  it('fails a consistency proof to a different tree', () => {
    const other = new MerkleTree(nodeHasher);
    for (const l of leafHashes(1000).reverse()) other.append(l);
    expect(() => verifyConsistency(rfc9162Hasher, 300, 1000, tree.consistencyProof(300), tree.root(300), other.root())).toThrow(
      expect.objectContaining({ code: 'CONSISTENCY_PROOF_ERROR' }) as Error,
    );
  });
});

describe('the two hashers', () => {
  it('use the RFC 9162 prefixes 0x00 for leaves and 0x01 for nodes', () => {
    expect([LEAF_HASH_PREFIX, NODE_HASH_PREFIX]).toEqual([0x00, 0x01]);
    // SHA-256 of the single byte 0x00: the leaf hash of empty data, from RFC 6962's test data.
    expect(hex(rfc9162Hasher.hashLeaf(new Uint8Array(0)))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  });
  it('agree on random leaves and node pairs', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 500; i++) {
      const data = new Uint8Array(Math.floor(random() * 300)).map(() => Math.floor(random() * 256));
      expect(hex(nodeHasher.hashLeaf(data))).toBe(hex(rfc9162Hasher.hashLeaf(data)));
      const l = rfc9162Hasher.hashLeaf(data);
      const r = rfc9162Hasher.hashLeaf(data.reverse());
      expect(hex(nodeHasher.hashChildren(l, r))).toBe(hex(rfc9162Hasher.hashChildren(l, r)));
    }
    expect(hex(nodeHasher.emptyRoot())).toBe(hex(rfc9162Hasher.emptyRoot()));
  });
});

describe('the canonical entry encoding', () => {
  function randomJson(random: () => number, depth: number): unknown {
    const pick = Math.floor(random() * (depth > 3 ? 4 : 6));
    const strings = ['', 'a', 'é', '€', '\u2028', 'line\nbreak', '"quoted"', '\\', '😀', 'ﬀ', '\u0000', 'z'];
    switch (pick) {
      case 0:
        return null;
      case 1:
        return random() < 0.5;
      case 2: {
        const numbers = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789012, 5e-324, 1.7976931348623157e308, random() * 1e6 - 5e5];
        return numbers[Math.floor(random() * numbers.length)];
      }
      case 3:
        return strings[Math.floor(random() * strings.length)]! + String(Math.floor(random() * 100));
      case 4:
        return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = Math.floor(random() * 5); i > 0; i--) o[strings[Math.floor(random() * strings.length)]! + String(i)] = randomJson(random, depth + 1);
        return o;
      }
    }
  }

  it('agrees with the canonicalize package (RFC 8785) on random JSON', () => {
    const random = seededRandom(8785);
    for (let i = 0; i < 3000; i++) {
      const value = randomJson(random, 0);
      expect(canonicalJson(value)).toBe(canonicalize(value));
    }
  });
  it('sorts member names by UTF-16 code units, as RFC 8785 3.2.3 requires', () => {
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '\ufb33': 4, '1': 5, '\u0080': 6, 'ö': 7 })).toBe(
      '{"\\r":2,"1":5,"\u0080":6,"ö":7,"\u20ac":1,"\ud83d\ude00":3,"\ufb33":4}',
    );
  });
  it('refuses what JSON cannot carry', () => {
    for (const bad of [NaN, Infinity, '\ud800', { a: () => 1 }, new Date(0), [undefined], 10n]) {
      expect(() => canonicalJson(bad), String(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ENTRY' }) as Error);
    }
  });
});
