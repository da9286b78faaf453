/**
 * The committed contract.ts is what the pinned solc makes of VigilAnchor.sol, and the
 * contract on a real chain refuses what its comments say it refuses.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWalletClient, http, defineChain, encodeFunctionData, toFunctionSelector } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ANCHOR_ABI, ANCHOR_BYTECODE, ANCHOR_COMPILER, anvilCall, createChainReader, fetchAnchors } from '../anchor/index.js';
import { compileAnchorContract } from '../anchor/compile.js';
import { contractModule } from '../anchor/build-contract.js';
import { startChain, type Chain } from './anchor-fixtures.js';
import { tempDir } from './helpers.js';

describe('the committed contract', () => {
  it('is byte for byte what solc (the exact version package.json pins) compiles from the source', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };
    const compiled = compileAnchorContract();
    expect(compiled.compiler.startsWith(`${pkg.devDependencies['solc']}+`)).toBe(true);
    expect(compiled.bytecode).toBe(ANCHOR_BYTECODE);
    expect(compiled.abi).toEqual(ANCHOR_ABI);
    expect(compiled.compiler).toBe(ANCHOR_COMPILER);
    expect(readFileSync(new URL('../anchor/contract.ts', import.meta.url), 'utf8')).toBe(contractModule(compiled));
  }, 120_000);

  it('changes when the source does (the check can fail)', () => {
    const source = readFileSync(new URL('../anchor/VigilAnchor.sol', import.meta.url), 'utf8').replace('size <= last.size', 'size < last.size');
    expect(compileAnchorContract(source).bytecode).not.toBe(ANCHOR_BYTECODE);
  }, 120_000);
});

describe('the contract on a real chain', () => {
  const tmp = tempDir();
  let chain: Chain;
  const call = async (key: `0x${string}`, origin: string, size: number, root = `0x${'ab'.repeat(32)}`) => {
    const account = privateKeyToAccount(key);
    const c = defineChain({ id: chain.anvil.chainId, name: 'anvil', nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 }, rpcUrls: { default: { http: [chain.anvil.url] } } });
    const wallet = createWalletClient({ account, chain: c, transport: http(chain.anvil.url) });
    const data = encodeFunctionData({ abi: ANCHOR_ABI, functionName: 'anchor', args: [origin, BigInt(size), root as `0x${string}`, `0x${'cd'.repeat(32)}`] });
    return wallet.sendTransaction({ to: chain.contract, data }).then(
      () => 'accepted',
      (err: Error) => {
        // The custom error's selector, named from the ABI.
        const selector = /custom error (0x[0-9a-f]{8})/.exec(err.message)?.[1];
        const named = ANCHOR_ABI.filter((x) => x.type === 'error').find((x) => toFunctionSelector(`${x.name}(${x.inputs.map((i) => i.type).join(',')})`) === selector);
        return named?.name ?? err.message.split('\n')[0];
      },
    );
  };
  beforeAll(async () => {
    chain = await startChain(tmp.dir);
  }, 60_000);
  afterAll(async () => {
    await chain?.anvil.stop();
    tmp.cleanup();
  });

  it('takes growing sizes from the node and refuses a smaller or equal size, an empty root and any other account', async () => {
    expect(await call(chain.key, 'vigil/a', 10)).toBe('accepted');
    expect(await call(chain.key, 'vigil/a', 12)).toBe('accepted');
    expect(await call(chain.key, 'vigil/a', 11)).toBe('NotNewer');
    expect(await call(chain.key, 'vigil/a', 12)).toBe('NotNewer');
    expect(await call(chain.key, 'vigil/a', 13, `0x${'00'.repeat(32)}`)).toBe('EmptyRoot');
    expect(await call(chain.key, 'vigil/b', 1)).toBe('accepted'); // another origin has its own history
    const stranger = generatePrivateKey();
    await anvilCall(chain.anvil.url, 'anvil_setBalance', [privateKeyToAccount(stranger).address, '0x56bc75e2d63100000']);
    expect(await call(stranger, 'vigil/a', 99)).toBe('NotTheNode');
    const anchors = await fetchAnchors(createChainReader(chain.anvil.url), chain.contract, 'vigil/a');
    expect(anchors.map((a) => a.size)).toEqual([10, 12]);
  }, 60_000);
});
