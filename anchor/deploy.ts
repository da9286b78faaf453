/** Deploying the VigilAnchor contract with the node's account as its `node` (node-only). */
import { createWalletClient, defineChain, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createChainReader, rpc } from './chain.js';
import { ANCHOR_ABI, ANCHOR_BYTECODE } from './contract.js';
import { AnchorError } from './errors.js';
import type { Hex } from './types.js';

export interface Deployment {
  chainId: number;
  contract: Hex;
  txHash: Hex;
  blockNumber: number;
  /** The account the contract accepts anchors from. */
  node: Hex;
}

export async function deployAnchorContract(options: { rpcUrl: string; privateKey: Hex; timeoutMs?: number }): Promise<Deployment> {
  const client = createChainReader(options.rpcUrl, { timeoutMs: options.timeoutMs ?? 10_000 });
  const chainId = await rpc('eth_chainId', () => client.getChainId());
  const account = privateKeyToAccount(options.privateKey);
  const chain = defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [options.rpcUrl] } } });
  const wallet = createWalletClient({ account, chain, transport: http(options.rpcUrl, { timeout: options.timeoutMs ?? 10_000, retryCount: 0 }) });
  const txHash = await rpc('deploy', () => wallet.deployContract({ abi: ANCHOR_ABI, bytecode: ANCHOR_BYTECODE, args: [account.address] }));
  const receipt = await rpc('deploy receipt', () => client.waitForTransactionReceipt({ hash: txHash, timeout: 60_000 }));
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new AnchorError('TX_REVERTED', `deploying the anchor contract failed in tx ${txHash}`);
  return { chainId, contract: receipt.contractAddress.toLowerCase() as Hex, txHash, blockNumber: Number(receipt.blockNumber), node: account.address.toLowerCase() as Hex };
}
