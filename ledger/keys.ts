/**
 * Key files (node-only). The private key is created with mode 0600 before any byte of it is
 * written, so it is never readable by others, even briefly.
 */
import { constants } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { parsePublicKey, parseSecretKeyPem, publicKeyToPem, secretKeyToPem } from './checkpoint.js';
import { LedgerError } from './errors.js';

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Loads `<dir>/<base>.pem` and `<dir>/<base>.pub.pem`, or makes them on first start. */
export async function loadOrCreateKeyPair(dir: string, privateName: string, publicName: string): Promise<KeyPair> {
  const privatePath = join(dir, privateName);
  const publicPath = join(dir, publicName);
  let text: string | undefined;
  try {
    text = await readFile(privatePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LedgerError('IO_ERROR', `cannot read ${privatePath}`, { cause: err });
    }
  }
  if (text === undefined) {
    const secretKey = ed25519.utils.randomSecretKey();
    const publicKey = ed25519.getPublicKey(secretKey);
    // O_EXCL: two processes starting at once must not each write a different key.
    const fh = await open(privatePath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await fh.writeFile(secretKeyToPem(secretKey));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await writeFile(publicPath, publicKeyToPem(publicKey), { mode: 0o644 });
    return { secretKey, publicKey };
  }
  const secretKey = parseSecretKeyPem(text);
  const publicKey = ed25519.getPublicKey(secretKey);
  // Re-export if the public file is missing or stale: it is derived data.
  const exported = await readFile(publicPath, 'utf8').catch(() => undefined);
  let same = false;
  try {
    same = exported !== undefined && Buffer.from(parsePublicKey(exported)).equals(publicKey);
  } catch {
    same = false;
  }
  if (!same) await writeFile(publicPath, publicKeyToPem(publicKey), { mode: 0o644 });
  return { secretKey, publicKey };
}

/** Reads a public key from a file (PEM, hex or base64) or takes the string itself as the key. */
export async function readPublicKey(fileOrKey: string): Promise<Uint8Array> {
  let text: string;
  try {
    text = await readFile(fileOrKey, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENAMETOOLONG') {
      throw new LedgerError('KEY_ERROR', `cannot read key file ${fileOrKey}`, { cause: err });
    }
    text = fileOrKey;
  }
  return parsePublicKey(text);
}
