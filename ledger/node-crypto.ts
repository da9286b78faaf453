/**
 * Node-only fast paths on node:crypto: the writer's RFC 9162 hasher (native SHA-256, about
 * twice as fast as @noble/hashes on 65-byte node inputs) and an Ed25519 checkpoint check.
 * `test/ledger-tree.test.ts` checks they agree with the browser-safe ones.
 */
import { createPublicKey, hash, verify, type KeyObject } from 'node:crypto';
import {
  checkpointBody,
  cosignatureMessage,
  logKeyId,
  witnessKeyId,
  type Checkpoint,
  type Cosignature,
} from './checkpoint.js';
import { LedgerError } from './errors.js';
import { HASH_SIZE, LEAF_HASH_PREFIX, NODE_HASH_PREFIX, type LogHasher } from './hasher.js';

const node = Buffer.alloc(1 + 2 * HASH_SIZE);
node[0] = NODE_HASH_PREFIX;
const EMPTY_ROOT = hash('sha256', Buffer.alloc(0), 'buffer');

export const nodeHasher: LogHasher = {
  size: HASH_SIZE,
  hashChildrenInto(a, ai, b, bi, out, oi) {
    for (let k = 0; k < HASH_SIZE; k++) {
      node[1 + k] = a[ai + k]!;
      node[1 + HASH_SIZE + k] = b[bi + k]!;
    }
    // A latin1 string result lives on the V8 heap; a Buffer result would be a fresh
    // ArrayBuffer per hash, and their garbage collection costs more than the hashing.
    const h = hash('sha256', node, 'binary');
    for (let k = 0; k < HASH_SIZE; k++) out[oi + k] = h.charCodeAt(k);
  },
  hashLeaf(leaf) {
    const buf = Buffer.allocUnsafe(leaf.length + 1);
    buf[0] = LEAF_HASH_PREFIX;
    buf.set(leaf, 1);
    return hash('sha256', buf, 'buffer');
  },
  hashChildren(left, right) {
    if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
      // One reused scratch buffer: the call is synchronous, so no one else can see it.
      node.set(left, 1);
      node.set(right, 1 + HASH_SIZE);
      return hash('sha256', node, 'buffer');
    }
    return hash('sha256', Buffer.concat([Buffer.of(NODE_HASH_PREFIX), left, right]), 'buffer');
  },
  emptyRoot: () => Buffer.from(EMPTY_ROOT),
};

/**
 * Leaf hash, hex, of a canonical entry line given as a JS string, without first
 * materialising its UTF-8 bytes: node:crypto encodes the string natively. "\u0000" is the
 * RFC 9162 leaf prefix byte 0x00 in UTF-8.
 */
export function hashLeafString(line: string): string {
  return hash('sha256', `\u0000${line}`, 'hex');
}

/**
 * Leaf hash of `buf[start..end]` as a 32-character latin1 string (no ArrayBuffer
 * allocated), using the byte before it (`start` >= 1) for the 0x00 prefix and restoring
 * it after, so the leaf is never copied.
 */
export function hashLeafInPlaceLatin1(buf: Buffer, start: number, end: number): string {
  const before = buf[start - 1]!;
  buf[start - 1] = LEAF_HASH_PREFIX;
  const h = hash('sha256', buf.subarray(start - 1, end), 'binary');
  buf[start - 1] = before;
  return h;
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * A checkpoint signature check on node:crypto's native Ed25519 (about twenty times faster
 * than @noble/curves), for audits over many checkpoints. Same rules as
 * `verifyCheckpointSignature`; a test checks the two agree.
 */
export function nodeCheckpointVerifier(publicKey: Uint8Array): (cp: Checkpoint) => void {
  const key = nodeEd25519Key(publicKey);
  return (cp) => {
    const want = logKeyId(cp.origin, publicKey);
    if (cp.keyId !== want) {
      throw new LedgerError(
        'SIGNATURE_ERROR',
        `checkpoint is signed by key ${cp.keyId}, but the key given is ${want} for origin ${cp.origin}`,
      );
    }
    const ok = verify(null, Buffer.from(checkpointBody(cp)), key, Buffer.from(cp.signature, 'hex'));
    if (!ok) throw new LedgerError('SIGNATURE_ERROR', `checkpoint signature does not verify (size ${cp.size})`);
  };
}

function nodeEd25519Key(publicKey: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  } catch (err) {
    throw new LedgerError('KEY_ERROR', 'not a usable Ed25519 public key', { cause: err });
  }
}

/** `verifyCosignature` on node:crypto. */
export function nodeVerifyCosignature(cp: Checkpoint, c: Cosignature, publicKey: Uint8Array): void {
  if (c.keyId !== witnessKeyId(c.witness, publicKey)) {
    throw new LedgerError('SIGNATURE_ERROR', `cosignature by ${c.witness} is not from the key given`);
  }
  const ok = verify(null, Buffer.from(cosignatureMessage(cp, c.time)), nodeEd25519Key(publicKey), Buffer.from(c.signature, 'hex'));
  if (!ok) throw new LedgerError('SIGNATURE_ERROR', `cosignature by ${c.witness} does not verify`);
}
