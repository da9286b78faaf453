/**
 * The node's chain account key (node-only): a file holding one 0x-hex secp256k1 secret key.
 * Threat: whoever reads it can anchor in the node's name (the contract accepts that account
 * only), so it must be private to its owner (mode 0600) and must not live in the ledger
 * directory, which is copied to auditors and backups as a whole.
 */
import { realpath, stat, writeFile, readFile } from 'node:fs/promises';
import { dirname, relative, isAbsolute } from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { AnchorError } from './errors.js';
import type { Hex } from './types.js';

export interface AccountKeyOptions {
  /** The ledger's directory: a key inside it is refused. */
  ledgerDir?: string;
}

async function insideDir(file: string, dir: string): Promise<boolean> {
  const [f, d] = await Promise.all([realpath(file), realpath(dir).catch(() => dir)]);
  const rel = relative(d, f);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export async function readAccountKey(path: string, options: AccountKeyOptions = {}): Promise<{ key: Hex; address: Hex }> {
  const s = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new AnchorError('KEY_ERROR', `anchor key file ${path}: cannot read it (${err.code ?? err.message})`);
  });
  if (!s.isFile()) throw new AnchorError('KEY_ERROR', `anchor key file ${path} is not a file`);
  if ((s.mode & 0o077) !== 0) throw new AnchorError('KEY_ERROR', `anchor key file ${path} has mode ${(s.mode & 0o777).toString(8)}; it must be readable by its owner only (chmod 600)`);
  if (options.ledgerDir !== undefined && (await insideDir(path, options.ledgerDir))) {
    throw new AnchorError('KEY_ERROR', `anchor key file ${path} is inside the ledger directory ${options.ledgerDir}; keep it outside (the ledger is handed to auditors whole)`);
  }
  const text = (await readFile(path, 'utf8')).trim();
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) throw new AnchorError('KEY_ERROR', `anchor key file ${path}: expected one secp256k1 secret key as 64 hex digits`);
  const key = (text.startsWith('0x') ? text.toLowerCase() : `0x${text.toLowerCase()}`) as Hex;
  return { key, address: privateKeyToAccount(key).address.toLowerCase() as Hex };
}

/** Makes a new key file (mode 0600), refusing to overwrite one. For the demo's local chain. */
export async function createAccountKey(path: string): Promise<{ key: Hex; address: Hex }> {
  const key = generatePrivateKey();
  await stat(dirname(path));
  await writeFile(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return { key, address: privateKeyToAccount(key).address.toLowerCase() as Hex };
}
