/**
 * Key files (node-only). The private key is created with mode 0600 before any byte of it is
 * written, so it is never readable by others, even briefly.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { parsePublicKey, parseSecretKeyPem, publicKeyToPem, secretKeyToPem } from './checkpoint.js';
import { LedgerError } from './errors.js';

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * Loads the private key `privateName` and its public twin `publicName`, or makes them on
 * first start. Either name may be a path of its own (absolute, or relative to `dir`): the
 * signing key can live outside the data folder, so a copy of the log is not a copy of the
 * key. `warn` hears of a private key others may read.
 */
export async function loadOrCreateKeyPair(dir: string, privateName: string, publicName: string, warn?: (message: string) => void): Promise<KeyPair> {
  const privatePath = resolve(dir, privateName);
  const publicPath = resolve(dir, publicName);
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
    await mkdir(dirname(privatePath), { recursive: true, mode: 0o700 });
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
  const mode = (await stat(privatePath)).mode & 0o777;
  if (warn && (mode & 0o077) !== 0) warn(`the signing key ${privatePath} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
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
