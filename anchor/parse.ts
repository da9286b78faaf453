/**
 * Defensive parsing of anchors and anchor proofs from untrusted JSON (a bundle, a state
 * file): every field checked, INVALID_ANCHOR naming the first bad one. Browser-safe.
 */
import { parseCheckpoint } from '../ledger/verifier.js';
import { AnchorError } from './errors.js';
import { ANCHOR_PROOF_FORMAT, type AnchorProof, type AnchorRecord, type Hex } from './types.js';

const bad = (what: string): never => {
  throw new AnchorError('INVALID_ANCHOR', what);
};
const isNat = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const HEX32 = /^[0-9a-f]{64}$/;
const hex0x = (v: unknown, bytes: number, what: string): Hex =>
  typeof v === 'string' && new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`).test(v) ? (v.toLowerCase() as Hex) : bad(`${what} must be 0x and ${bytes * 2} hex digits`);

export function parseAnchorRecord(value: unknown): AnchorRecord {
  if (typeof value !== 'object' || value === null) bad('anchor must be an object');
  const v = value as Record<string, unknown>;
  if (!isNat(v['chainId']) || v['chainId'] === 0) bad('anchor chainId must be a positive integer');
  if (!isNat(v['blockNumber'])) bad('anchor blockNumber must be a non-negative integer');
  if (!isNat(v['logIndex'])) bad('anchor logIndex must be a non-negative integer');
  if (!isNat(v['size']) || v['size'] === 0) bad('anchor size must be a positive integer');
  if (typeof v['origin'] !== 'string' || !/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(v['origin'])) bad('anchor origin must be 1-255 printable ASCII characters');
  if (typeof v['root'] !== 'string' || !HEX32.test(v['root'])) bad('anchor root must be 64 lower-case hex digits');
  if (typeof v['checkpointHash'] !== 'string' || !HEX32.test(v['checkpointHash'])) bad('anchor checkpointHash must be 64 lower-case hex digits');
  return {
    chainId: v['chainId'] as number,
    contract: hex0x(v['contract'], 20, 'anchor contract'),
    txHash: hex0x(v['txHash'], 32, 'anchor txHash'),
    blockNumber: v['blockNumber'] as number,
    blockHash: hex0x(v['blockHash'], 32, 'anchor blockHash'),
    logIndex: v['logIndex'] as number,
    origin: v['origin'] as string,
    size: v['size'] as number,
    root: v['root'] as string,
    checkpointHash: v['checkpointHash'] as string,
  };
}

export function parseAnchorProof(value: unknown): AnchorProof {
  if (typeof value !== 'object' || value === null) bad('the anchor proof must be an object');
  const v = value as Record<string, unknown>;
  if (v['format'] !== ANCHOR_PROOF_FORMAT) bad(`anchor proof format must be "${ANCHOR_PROOF_FORMAT}", got ${JSON.stringify(v['format'])}`);
  const raw = v['consistency'];
  if (typeof raw !== 'object' || raw === null) return bad('anchor consistency must be an object');
  const c = raw as Record<string, unknown>;
  const proof = c['proof'];
  if (!isNat(c['from']) || !isNat(c['to']) || (c['from'] as number) > (c['to'] as number)) bad('anchor consistency needs sizes from <= to');
  if (!Array.isArray(proof) || proof.length > 128 || !proof.every((h) => typeof h === 'string' && HEX32.test(h))) {
    bad('anchor consistency proof must be a list of at most 128 hashes of 64 hex digits');
  }
  let checkpoint;
  try {
    checkpoint = parseCheckpoint(v['checkpoint']);
  } catch (err) {
    return bad(`anchored ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    format: ANCHOR_PROOF_FORMAT,
    anchor: parseAnchorRecord(v['anchor']),
    checkpoint,
    consistency: { from: c['from'] as number, to: c['to'] as number, proof: proof as string[] },
  };
}
