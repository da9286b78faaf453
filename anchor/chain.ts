/**
 * Reading anchors from a chain over JSON-RPC (viem). Browser-safe: the auditor's page runs
 * the same checks as `vigil verify-proof --rpc` and `vigil verify --rpc`.
 */
import { createPublicClient, decodeEventLog, http, keccak256, stringToBytes, TransactionReceiptNotFoundError, type PublicClient } from 'viem';
import { ANCHOR_ABI } from './contract.js';
import { AnchorError } from './errors.js';
import type { AnchorRecord, Hex } from './types.js';

export type ChainReader = PublicClient;

export interface ChainReaderOptions {
  /** Per-request timeout, milliseconds. @default 10000 */
  timeoutMs?: number;
  /** viem's own retries of a failed request (the anchorer retries with its own backoff). @default 0 */
  retryCount?: number;
}

export function createChainReader(rpcUrl: string, options: ChainReaderOptions = {}): ChainReader {
  return createPublicClient({ transport: http(rpcUrl, { timeout: options.timeoutMs ?? 10_000, retryCount: options.retryCount ?? 0 }) }) as ChainReader;
}

/** The first topic of an `Anchored` log, for any origin: keccak256 of the origin string. */
export const originHash = (origin: string): Hex => keccak256(stringToBytes(origin));

const strip0x = (h: string): string => h.slice(2).toLowerCase();

/** Wraps a transport failure as a retriable RPC_ERROR (a node down, a timeout, a 5xx). */
export async function rpc<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof AnchorError) throw err;
    throw new AnchorError('RPC_ERROR', `${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
}

interface RawLog {
  address: string;
  data: Hex;
  topics: readonly Hex[] | Hex[];
  transactionHash: Hex | null;
  blockNumber: bigint | null;
  blockHash: Hex | null;
  logIndex: number | null;
}

/** An `Anchored` log as an AnchorRecord; undefined when the log is not one. */
export function anchorFromLog(chainId: number, log: RawLog): AnchorRecord | undefined {
  let decoded;
  try {
    decoded = decodeEventLog({ abi: ANCHOR_ABI, data: log.data, topics: log.topics as [Hex, ...Hex[]] });
  } catch {
    return undefined;
  }
  if (decoded.eventName !== 'Anchored' || log.transactionHash === null || log.blockNumber === null || log.blockHash === null || log.logIndex === null) return undefined;
  const a = decoded.args;
  return {
    chainId,
    contract: log.address.toLowerCase() as Hex,
    txHash: log.transactionHash,
    blockNumber: Number(log.blockNumber),
    blockHash: log.blockHash,
    logIndex: log.logIndex,
    origin: a.origin,
    size: Number(a.size),
    root: strip0x(a.root),
    checkpointHash: strip0x(a.checkpointHash),
  };
}

/** Every anchor of `origin` the contract accepted, oldest first, as the chain holds them now. */
export async function fetchAnchors(client: ChainReader, contract: Hex, origin: string, fromBlock = 0n): Promise<AnchorRecord[]> {
  const chainId = await rpc('eth_chainId', () => client.getChainId());
  const logs = await rpc('eth_getLogs', () =>
    client.getLogs({ address: contract, event: ANCHOR_ABI.find((x) => x.type === 'event' && x.name === 'Anchored')!, args: { originHash: originHash(origin) }, fromBlock, toBlock: 'latest' }),
  );
  const out: AnchorRecord[] = [];
  for (const log of logs) {
    const a = anchorFromLog(chainId, log);
    // The origin topic is a hash: a log whose string does not match is some other origin's collision.
    if (a && a.origin === origin) out.push(a);
  }
  return out;
}

export interface OnChainCheck {
  ok: boolean;
  /** What was checked, or the first thing that did not hold. */
  detail: string;
  /** Blocks on top of the anchor's, itself included (when it holds). */
  confirmations?: number;
}

/**
 * Holds `anchor` against the chain: the chain id, the transaction's receipt (succeeded, in
 * the block named, still canonical), and its log at `logIndex` — emitted by the contract
 * named, decoding to exactly the anchored origin, size, root and checkpoint hash.
 * `expectedContract` pins the contract an auditor trusts (a bundle names its own).
 */
export async function checkAnchorOnChain(client: ChainReader, anchor: AnchorRecord, expectedContract?: string): Promise<OnChainCheck> {
  const no = (detail: string): OnChainCheck => ({ ok: false, detail });
  if (expectedContract !== undefined && expectedContract.toLowerCase() !== anchor.contract) {
    return no(`the anchor is in contract ${anchor.contract}, not the trusted ${expectedContract.toLowerCase()}`);
  }
  const chainId = await rpc('eth_chainId', () => client.getChainId());
  if (chainId !== anchor.chainId) return no(`the RPC endpoint serves chain ${chainId}; the anchor is on chain ${anchor.chainId}`);
  let receipt;
  try {
    receipt = await client.getTransactionReceipt({ hash: anchor.txHash });
  } catch (err) {
    if (err instanceof TransactionReceiptNotFoundError) return no(`transaction ${anchor.txHash} is not on this chain (dropped by a reorganisation, or never sent)`);
    throw new AnchorError('RPC_ERROR', `eth_getTransactionReceipt: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
  if (receipt.status !== 'success') return no(`transaction ${anchor.txHash} reverted`);
  if (receipt.blockHash.toLowerCase() !== anchor.blockHash || Number(receipt.blockNumber) !== anchor.blockNumber) {
    return no(`transaction ${anchor.txHash} is in block ${receipt.blockNumber} ${receipt.blockHash}, not ${anchor.blockNumber} ${anchor.blockHash}`);
  }
  const block = await rpc('eth_getBlockByNumber', () => client.getBlock({ blockNumber: BigInt(anchor.blockNumber) }));
  if (block.hash?.toLowerCase() !== anchor.blockHash) return no(`block ${anchor.blockNumber} is now ${block.hash ?? '?'}: the anchor's block is no longer canonical`);
  const log = receipt.logs.find((l) => l.logIndex === anchor.logIndex);
  if (!log) return no(`the receipt has no log ${anchor.logIndex}`);
  const found = anchorFromLog(chainId, log);
  if (!found || found.contract !== anchor.contract) return no(`log ${anchor.logIndex} is not an Anchored event of contract ${anchor.contract}`);
  for (const k of ['origin', 'size', 'root', 'checkpointHash'] as const) {
    if (found[k] !== anchor[k]) return no(`the chain's anchor has ${k} ${String(found[k])}, the bundle says ${String(anchor[k])}`);
  }
  const head = await rpc('eth_blockNumber', () => client.getBlockNumber());
  const confirmations = Number(head) - anchor.blockNumber + 1;
  return { ok: true, confirmations, detail: `chain ${chainId}, block ${anchor.blockNumber} (${confirmations} confirmation(s)), tx ${anchor.txHash}: ${anchor.origin} size ${anchor.size} root ${anchor.root}` };
}
