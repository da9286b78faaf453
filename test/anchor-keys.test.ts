/** The node's chain account key file: private to its owner and outside the ledger directory, or refused at start. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { readAccountKey } from '../anchor/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { tempDir } from './helpers.js';

describe('the anchor account key file', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const key = generatePrivateKey();
  const write = (path: string, mode: number, text = `${key}\n`): string => {
    writeFileSync(path, text, { mode });
    chmodSync(path, mode);
    return path;
  };

  it('is read when it is mode 0600 and outside the ledger directory', async () => {
    const got = await readAccountKey(write(join(tmp.dir, 'ok.key'), 0o600), { ledgerDir: join(tmp.dir, 'node', 'ledger') });
    expect(got.address).toBe(privateKeyToAccount(key).address.toLowerCase());
  });

  it('is refused when others can read it', async () => {
    await expect(readAccountKey(write(join(tmp.dir, 'open.key'), 0o644))).rejects.toThrow(/mode 644; it must be readable by its owner only/);
  });

  it('is refused inside the ledger directory', async () => {
    const ledgerDir = join(tmp.dir, 'node', 'ledger');
    mkdirSync(ledgerDir, { recursive: true });
    await expect(readAccountKey(write(join(ledgerDir, 'in.key'), 0o600), { ledgerDir })).rejects.toThrow(/inside the ledger directory/);
  });

  it('is refused when it holds anything but one key', async () => {
    await expect(readAccountKey(write(join(tmp.dir, 'bad.key'), 0o600, 'not a key\n'))).rejects.toThrow(/expected one secp256k1 secret key/);
  });

  it('fails the node at start with the option named', async () => {
    const config = resolveConfig({
      dataDir: join(tmp.dir, 'n2'),
      api: { port: 0 },
      anchor: { mode: 'rpc', rpcUrl: 'http://127.0.0.1:9', chainId: 31337, contract: `0x${'12'.repeat(20)}`, keyFile: write(join(tmp.dir, 'open2.key'), 0o640) },
    });
    await expect(VigilNode.start(config, { logger: silentLogger() })).rejects.toThrow(/configuration anchor\.keyFile: .*mode 640/);
  });

  it('is required, with the rest of the chain, in rpc mode', () => {
    expect(() => resolveConfig({ anchor: { mode: 'rpc', rpcUrl: 'http://127.0.0.1:8545' } })).toThrow(/anchor\.chainId/);
  });
});
