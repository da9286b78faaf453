/**
 * Checkpoints — the chain's blocks — and witness cosignatures, in the C2SP formats used by
 * Go's sumdb, Sigstore and the transparency-dev witnesses, so existing tooling can read them:
 *
 * Checkpoint body (C2SP tlog-checkpoint; the Ed25519 signature is over these exact bytes):
 *
 *     <origin>\n
 *     <size, decimal>\n
 *     <root hash, base64>\n
 *     prev <hex SHA-256 of the previous checkpoint's body, 64 zeros for the first>\n
 *     time <epoch milliseconds, decimal>\n
 *
 * The last two are extension lines: `prev` chains each checkpoint to the one before, so the
 * checkpoints form a hash chain as well as a sequence of consistent tree heads.
 *
 * Cosignature (C2SP tlog-cosignature, cosignature/v1): a witness signs
 *
 *     cosignature/v1\n
 *     time <epoch seconds>\n
 *     <checkpoint body>
 *
 * Key ids are C2SP signed-note key hashes: SHA-256(name || 0x0A || alg || public key)[:4],
 * alg 0x01 for a log's Ed25519 key (name = origin), 0x04 for a cosignature/v1 witness key.
 * Browser-safe.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, fromBase64, fromHex, toBase64, toHex, utf8 } from './encoding.js';
import { LedgerError } from './errors.js';

export interface Checkpoint {
  /** The log's name (the C2SP origin line), e.g. `vigil/3f2a9c01d4e5b6a7`. */
  origin: string;
  /** Number of entries covered. */
  size: number;
  /** RFC 9162 root hash of the first `size` entries, hex. */
  root: string;
  /** SHA-256 of the previous checkpoint's body, hex; 64 zeros for the first. */
  prev: string;
  /** When the checkpoint was cut, epoch milliseconds. */
  ts: number;
  /** C2SP key hash of the signing key, 8 hex digits. */
  keyId: string;
  /** Ed25519 signature over `checkpointBody(this)`, hex. */
  signature: string;
}

export interface Cosignature {
  /** The witness's name (its C2SP key name). */
  witness: string;
  /** C2SP key hash of the witness key (alg 0x04), 8 hex digits. */
  keyId: string;
  /** The witness's Ed25519 public key, hex. Informational: verifiers pin their own copy. */
  publicKey: string;
  /** When the witness co-signed, epoch seconds (as cosignature/v1 defines it). */
  time: number;
  /** Ed25519 signature over `cosignatureMessage(checkpoint, time)`, hex. */
  signature: string;
}

export type CheckpointFields = Omit<Checkpoint, 'keyId' | 'signature'>;

export const GENESIS_PREV = '0'.repeat(64);
const ALG_ED25519 = 0x01;
const ALG_COSIGNATURE_V1 = 0x04;

const ORIGIN = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;
const HEX32 = /^[0-9a-f]{64}$/;
const HEX4 = /^[0-9a-f]{8}$/;
const HEX64 = /^[0-9a-f]{128}$/;

/** The exact bytes a log signs (see the module comment). */
export function checkpointBody(cp: CheckpointFields): string {
  const root = fromHex(cp.root, 32);
  if (!root) throw new LedgerError('INVALID_BUNDLE', 'checkpoint root must be 64 hex digits');
  return `${cp.origin}\n${cp.size}\n${toBase64(root)}\nprev ${cp.prev}\ntime ${cp.ts}\n`;
}

/** The hash that the next checkpoint's `prev` must hold, hex. */
export function checkpointHash(cp: CheckpointFields): string {
  return toHex(sha256(utf8(checkpointBody(cp))));
}

export function cosignatureMessage(cp: CheckpointFields, timeSeconds: number): string {
  return `cosignature/v1\ntime ${timeSeconds}\n${checkpointBody(cp)}`;
}

function keyHash(name: string, alg: number, publicKey: Uint8Array): string {
  const n = utf8(name);
  const buf = new Uint8Array(n.length + 2 + publicKey.length);
  buf.set(n, 0);
  buf[n.length] = 0x0a;
  buf[n.length + 1] = alg;
  buf.set(publicKey, n.length + 2);
  return toHex(sha256(buf).subarray(0, 4));
}

/** C2SP key hash of a log key for `origin`. */
export const logKeyId = (origin: string, publicKey: Uint8Array): string => keyHash(origin, ALG_ED25519, publicKey);
/** C2SP key hash of a witness key (cosignature/v1). */
export const witnessKeyId = (name: string, publicKey: Uint8Array): string =>
  keyHash(name, ALG_COSIGNATURE_V1, publicKey);

/** Signs checkpoint fields with a 32-byte Ed25519 secret key. */
export function signCheckpoint(fields: CheckpointFields, secretKey: Uint8Array): Checkpoint {
  const checked = parseCheckpoint({ ...fields, keyId: '00000000', signature: '0'.repeat(128) });
  const publicKey = ed25519.getPublicKey(secretKey);
  const signature = ed25519.sign(utf8(checkpointBody(checked)), secretKey);
  return {
    origin: checked.origin,
    size: checked.size,
    root: checked.root,
    prev: checked.prev,
    ts: checked.ts,
    keyId: logKeyId(checked.origin, publicKey),
    signature: toHex(signature),
  };
}

/** Throws SIGNATURE_ERROR unless `cp` is signed by `publicKey` (32 raw bytes). */
export function verifyCheckpointSignature(cp: Checkpoint, publicKey: Uint8Array): void {
  const want = logKeyId(cp.origin, publicKey);
  if (cp.keyId !== want) {
    throw new LedgerError(
      'SIGNATURE_ERROR',
      `checkpoint is signed by key ${cp.keyId}, but the key given is ${want} for origin ${cp.origin}`,
    );
  }
  const sig = fromHex(cp.signature, 64);
  let ok = false;
  try {
    ok = sig !== undefined && ed25519.verify(sig, utf8(checkpointBody(cp)), publicKey);
  } catch (err) {
    throw new LedgerError('SIGNATURE_ERROR', 'checkpoint signature is malformed', { cause: err });
  }
  if (!ok) throw new LedgerError('SIGNATURE_ERROR', `checkpoint signature does not verify (size ${cp.size})`);
}

export function cosign(cp: Checkpoint, name: string, secretKey: Uint8Array, timeSeconds: number): Cosignature {
  const publicKey = ed25519.getPublicKey(secretKey);
  return {
    witness: name,
    keyId: witnessKeyId(name, publicKey),
    publicKey: toHex(publicKey),
    time: timeSeconds,
    signature: toHex(ed25519.sign(utf8(cosignatureMessage(cp, timeSeconds)), secretKey)),
  };
}

/** Throws SIGNATURE_ERROR unless `cosig` is a valid cosignature of `cp` by `publicKey`. */
export function verifyCosignature(cp: Checkpoint, cosig: Cosignature, publicKey: Uint8Array): void {
  if (cosig.keyId !== witnessKeyId(cosig.witness, publicKey)) {
    throw new LedgerError('SIGNATURE_ERROR', `cosignature by ${cosig.witness} is not from the key given`);
  }
  const sig = fromHex(cosig.signature, 64);
  let ok = false;
  try {
    ok = sig !== undefined && ed25519.verify(sig, utf8(cosignatureMessage(cp, cosig.time)), publicKey);
  } catch (err) {
    throw new LedgerError('SIGNATURE_ERROR', 'cosignature is malformed', { cause: err });
  }
  if (!ok) throw new LedgerError('SIGNATURE_ERROR', `cosignature by ${cosig.witness} does not verify`);
}

function bad(what: string): never {
  throw new LedgerError('INVALID_BUNDLE', what);
}

const isSafeNat = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Validates an untrusted checkpoint object field by field; INVALID_BUNDLE names the field. */
export function parseCheckpoint(value: unknown): Checkpoint {
  if (typeof value !== 'object' || value === null) bad('checkpoint must be an object');
  const v = value as Record<string, unknown>;
  if (typeof v['origin'] !== 'string' || !ORIGIN.test(v['origin'])) bad('checkpoint origin must be 1-255 printable ASCII characters');
  if (!isSafeNat(v['size'])) bad('checkpoint size must be a non-negative integer');
  if (typeof v['root'] !== 'string' || !HEX32.test(v['root'])) bad('checkpoint root must be 64 lower-case hex digits');
  if (typeof v['prev'] !== 'string' || !HEX32.test(v['prev'])) bad('checkpoint prev must be 64 lower-case hex digits');
  if (!isSafeNat(v['ts'])) bad('checkpoint ts must be epoch milliseconds');
  if (typeof v['keyId'] !== 'string' || !HEX4.test(v['keyId'])) bad('checkpoint keyId must be 8 lower-case hex digits');
  if (typeof v['signature'] !== 'string' || !HEX64.test(v['signature'])) bad('checkpoint signature must be 128 lower-case hex digits');
  return {
    origin: v['origin'],
    size: v['size'],
    root: v['root'],
    prev: v['prev'],
    ts: v['ts'],
    keyId: v['keyId'],
    signature: v['signature'],
  };
}

export function parseCosignature(value: unknown): Cosignature {
  if (typeof value !== 'object' || value === null) bad('cosignature must be an object');
  const v = value as Record<string, unknown>;
  if (typeof v['witness'] !== 'string' || !ORIGIN.test(v['witness'])) bad('cosignature witness must be a printable name');
  if (typeof v['keyId'] !== 'string' || !HEX4.test(v['keyId'])) bad('cosignature keyId must be 8 lower-case hex digits');
  if (typeof v['publicKey'] !== 'string' || !HEX32.test(v['publicKey'])) bad('cosignature publicKey must be 64 hex digits');
  if (!isSafeNat(v['time'])) bad('cosignature time must be epoch seconds');
  if (typeof v['signature'] !== 'string' || !HEX64.test(v['signature'])) bad('cosignature signature must be 128 hex digits');
  return {
    witness: v['witness'],
    keyId: v['keyId'],
    publicKey: v['publicKey'],
    time: v['time'],
    signature: v['signature'],
  };
}

/**
 * The checkpoint as a C2SP signed note with its cosignatures, for tools that speak the
 * note format (e.g. a transparency-dev witness or `sumdb/note`).
 */
export function formatCheckpointNote(cp: Checkpoint, cosignatures: readonly Cosignature[] = []): string {
  const lines = [`— ${cp.origin} ${toBase64(concat(fromHex(cp.keyId)!, fromHex(cp.signature)!))}`];
  for (const c of cosignatures) {
    const time = new Uint8Array(8);
    new DataView(time.buffer).setBigUint64(0, BigInt(c.time));
    lines.push(`— ${c.witness} ${toBase64(concat(fromHex(c.keyId)!, time, fromHex(c.signature)!))}`);
  }
  return `${checkpointBody(cp)}\n${lines.join('\n')}\n`;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// --- Ed25519 keys as PEM (what OpenSSL and node:crypto read) or raw hex ---

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes. */
const SPKI_PREFIX = fromHex('302a300506032b6570032100')!;
/** DER prefix of an Ed25519 PKCS #8 PrivateKeyInfo (RFC 8410), before the 32-byte seed. */
const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420')!;

function pem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

function unpem(text: string, label: string, prefix: Uint8Array): Uint8Array | undefined {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(text);
  if (!m) return undefined;
  const der = fromBase64(m[1]!.replace(/\s+/g, ''));
  if (!der || der.length !== prefix.length + 32 || !bytesEqual(der.subarray(0, prefix.length), prefix)) return undefined;
  return der.slice(prefix.length);
}

export const publicKeyToPem = (publicKey: Uint8Array): string => pem('PUBLIC KEY', concat(SPKI_PREFIX, publicKey));
export const secretKeyToPem = (secretKey: Uint8Array): string => pem('PRIVATE KEY', concat(PKCS8_PREFIX, secretKey));

/**
 * An Ed25519 public key from PEM (SPKI), 64 hex digits, base64 of the 32 raw bytes, or the
 * raw bytes. KEY_ERROR on anything else.
 */
export function parsePublicKey(key: string | Uint8Array): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw new LedgerError('KEY_ERROR', `an Ed25519 public key has 32 bytes, got ${key.length}`);
    return key;
  }
  const text = key.trim();
  const raw = text.includes('-----BEGIN')
    ? unpem(text, 'PUBLIC KEY', SPKI_PREFIX)
    : (fromHex(text.toLowerCase(), 32) ?? (text.length === 44 ? fromBase64(text) : undefined));
  if (!raw || raw.length !== 32) {
    throw new LedgerError('KEY_ERROR', 'expected an Ed25519 public key as PEM (SPKI), 64 hex digits or base64');
  }
  return raw;
}

export function parseSecretKeyPem(text: string): Uint8Array {
  const raw = unpem(text, 'PRIVATE KEY', PKCS8_PREFIX);
  if (!raw) throw new LedgerError('KEY_ERROR', 'expected an Ed25519 private key as PEM (PKCS #8)');
  return raw;
}
