/**
 * A local Ethereum chain for the demo, tests and benchmarks (node-only): Foundry's anvil, a
 * real JSON-RPC node in its own process, from the npm platform package that ships its
 * binary (so it installs offline from the registry). The binary is started directly, not
 * through the `anvil` wrapper script, so that stopping or killing it reaches the chain
 * itself and never leaves an orphan.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { AnchorError } from './errors.js';

export interface AnvilOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** Seconds between blocks; 0 mines each transaction at once. @default 1 */
  blockTime?: number;
  /** Keep the chain in this file across restarts (anvil --state), written every few seconds and on exit. */
  statePath?: string;
  /** @default 31337 */
  chainId?: number;
  /** Lines anvil writes (stdout and stderr), for a log. */
  onOutput?: (line: string) => void;
}

export interface Anvil {
  url: string;
  port: number;
  chainId: number;
  process: ChildProcess;
  /** SIGTERM (anvil writes its state file) and wait for it to exit. */
  stop(): Promise<void>;
}

/** The first of anvil's well-known development accounts (mnemonic "test test … junk"): funded on every anvil chain, never on a real one. */
export const ANVIL_DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const;

export function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const os = process.platform === 'win32' ? 'win32' : process.platform;
  const pkg = `@foundry-rs/anvil-${os}-${arch}`;
  try {
    const dir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
    return join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  } catch (err) {
    throw new AnchorError('CONFIG_ERROR', `anvil is not installed for ${process.platform}/${process.arch} (npm package ${pkg})`, { cause: err });
  }
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const port = options.port || (await freeLoopbackPort());
  const chainId = options.chainId ?? 31337;
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--silent'];
  const blockTime = options.blockTime ?? 1;
  if (blockTime > 0) args.push('--block-time', String(blockTime));
  if (options.statePath) args.push('--state', options.statePath, '--state-interval', '5');
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') options.onOutput?.(line);
  };
  child.stdout?.on('data', out);
  child.stderr?.on('data', out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new AnchorError('RPC_ERROR', `anvil exited with code ${child.exitCode} before it listened on ${url}`);
    const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new AnchorError('RPC_ERROR', `anvil did not answer on ${url} within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    chainId,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A JSON-RPC call anvil answers (its test methods: anvil_setBalance, evm_setIntervalMining, evm_snapshot, …). */
export async function anvilCall<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new AnchorError('RPC_ERROR', `${method}: ${body.error.message}`);
  return body.result as T;
}
