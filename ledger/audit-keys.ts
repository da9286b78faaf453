/**
 * Which key the audit checks the checkpoints against, and whether the key files in the
 * directory are intact (audit.ts, step 1).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { parsePublicKey, parseSecretKeyPem, publicKeyToPem, secretKeyToPem } from './checkpoint.js';
import { toHex } from './encoding.js';
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, scanCheckpoints } from './files.js';
import { nodeCheckpointVerifier } from './node-crypto.js';
import { message } from './audit-files.js';
import type { AuditFailure } from './audit-types.js';

/**
 * Which key the checkpoints are checked against, and whether the key files are intact.
 * The files must be byte for byte what the ledger wrote; when public.pem and private.pem
 * disagree, the one whose key signed the first checkpoint is right and the other is named.
 */
export async function checkKeys(
  dir: string,
  pinned: string | Uint8Array | undefined,
  checkpoints: Buffer,
): Promise<{ publicKey: Uint8Array } | { failure: AuditFailure }> {
  const keyFailure = (file: string, reason: string): { failure: AuditFailure } => ({
    failure: { code: 'KEY_ERROR', file, offset: 0, reason },
  });
  const read = async (file: string): Promise<string | undefined> => readFile(join(dir, file), 'utf8').catch(() => undefined);
  let fromPublic: Uint8Array | undefined;
  let fromPrivate: Uint8Array | undefined;
  const publicText = await read(PUBLIC_KEY_FILE);
  if (publicText !== undefined) {
    try {
      fromPublic = parsePublicKey(publicText);
      if (publicKeyToPem(fromPublic) !== publicText) throw new Error('it is not in the form the ledger wrote');
    } catch (err) {
      return keyFailure(PUBLIC_KEY_FILE, `${PUBLIC_KEY_FILE} is damaged: ${message(err)}`);
    }
  }
  // On the log's own machine the private key is there too: it must be the public key's twin.
  const privateText = await read(PRIVATE_KEY_FILE);
  if (privateText !== undefined) {
    try {
      const secret = parseSecretKeyPem(privateText);
      if (secretKeyToPem(secret) !== privateText) throw new Error('it is not in the form the ledger wrote');
      fromPrivate = ed25519.getPublicKey(secret);
    } catch (err) {
      return keyFailure(PRIVATE_KEY_FILE, `${PRIVATE_KEY_FILE} is damaged: ${message(err)}`);
    }
  }
  let publicKey: Uint8Array;
  try {
    publicKey = pinned !== undefined ? parsePublicKey(pinned) : fromPublic ?? fromPrivate ?? parsePublicKey('');
  } catch (err) {
    return keyFailure(PUBLIC_KEY_FILE, pinned !== undefined ? message(err) : `${PUBLIC_KEY_FILE} is missing`);
  }
  const signsFirst = (key: Uint8Array): boolean => {
    try {
      const first = scanCheckpoints(checkpoints.subarray(0, checkpoints.indexOf(0x0a) + 1), nodeCheckpointVerifier(key), 'all');
      return first.records.length === 1;
    } catch {
      return false;
    }
  };
  for (const [file, key] of [[PUBLIC_KEY_FILE, fromPublic], [PRIVATE_KEY_FILE, fromPrivate]] as const) {
    if (!key || toHex(key) === toHex(publicKey)) continue;
    if (pinned !== undefined) return keyFailure(file, `${file} holds a different key from the one given`);
    const other = file === PUBLIC_KEY_FILE ? fromPrivate : fromPublic;
    if (other && signsFirst(other) && !signsFirst(key)) return keyFailure(file, `${file} does not match the key that signed the checkpoints`);
    if (other) {
      const otherFile = file === PUBLIC_KEY_FILE ? PRIVATE_KEY_FILE : PUBLIC_KEY_FILE;
      return keyFailure(signsFirst(key) ? otherFile : file, `${PUBLIC_KEY_FILE} and ${PRIVATE_KEY_FILE} hold different keys`);
    }
  }
  return { publicKey };
}
