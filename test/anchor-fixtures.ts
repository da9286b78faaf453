/** Shared set-up of the anchor tests: a real anvil, a funded node account, the contract, the CLI. */
import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { anvilCall, deployAnchorContract, startAnvil, type Anvil, type Hex } from '../anchor/index.js';
import { vigilBin } from './helpers.js';

export interface Chain {
  anvil: Anvil;
  contract: Hex;
  keyFile: string;
  key: Hex;
  address: Hex;
}

/** anvil on a free port, a fresh funded account (key file mode 0600 in `keyDir`) and the contract deployed by it. */
export async function startChain(keyDir: string, options: { blockTime?: number } = {}): Promise<Chain> {
  const anvil = await startAnvil({ blockTime: options.blockTime ?? 0 });
  const key = generatePrivateKey();
  const address = privateKeyToAccount(key).address.toLowerCase() as Hex;
  const keyFile = join(keyDir, 'node-account.key');
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  await anvilCall(anvil.url, 'anvil_setBalance', [address, '0x56bc75e2d63100000']);
  const d = await deployAnchorContract({ rpcUrl: anvil.url, privateKey: key });
  return { anvil, contract: d.contract, keyFile, key, address };
}

export function anchorConfig(chain: Chain, extra: Record<string, unknown> = {}) {
  return { mode: 'rpc' as const, rpcUrl: chain.anvil.url, chainId: chain.anvil.chainId, contract: chain.contract, keyFile: chain.keyFile, everyCheckpoints: 1, intervalMs: 100, pollMs: 100, retryBaseMs: 100, retryMaxMs: 1000, ...extra };
}

/** Runs `vigil …` and resolves with its exit code and output (never rejects on a non-zero exit). */
export function vigil(args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [vigilBin, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** `n` telemetry events as NDJSON. */
export function telemetry(n: number, device = 'D-1', from = 0): string {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ kind: 'telemetry', device, ts: Date.now(), metrics: { temperature: 20 + ((from + i) % 10), n: from + i } })).join('\n');
}

/** Twelve failed logins on one device within a minute: the starter rules' password guessing. */
export function passwordGuessing(device: string): string {
  return Array.from({ length: 12 }, (_, i) => JSON.stringify({ kind: 'auth', device, ts: Date.now() + i, user: `user${i}`, outcome: 'failure' })).join('\n');
}
