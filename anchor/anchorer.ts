/**
 * The node's anchoring loop (node-only). Every `everyCheckpoints` checkpoints or
 * `intervalMs`, whichever comes first (and at once for the first one), the latest durable
 * checkpoint is anchored in the VigilAnchor contract. It never blocks the ledger or ingest:
 * it only reads the latest checkpoint, and every chain failure is retried with exponential
 * backoff (counted through `hooks`). A signed transaction is saved before it is broadcast
 * (state.ts), so a crash between sending and mining resumes with the same transaction; a
 * reorganisation that drops a mined anchor is noticed (its receipt is gone or moved) and
 * the latest checkpoint is anchored again.
 */
import { createWalletClient, defineChain, encodeFunctionData, http, keccak256, TransactionNotFoundError, TransactionReceiptNotFoundError, type TransactionReceipt } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { checkpointHash, type Checkpoint } from '../ledger/verifier.js';
import { createChainReader, fetchAnchors, rpc, type ChainReader } from './chain.js';
import { ANCHOR_ABI } from './contract.js';
import { AnchorError } from './errors.js';
import { AnchorState, type AnchoredEntry, type PendingAnchor, type StateChange } from './state.js';
import type { AnchorRecord, Hex } from './types.js';

export interface AnchorerOptions {
  /** Where the anchorer keeps its state (anchors.ndjson, pending.json). */
  stateDir: string;
  rpcUrl: string;
  /** The chain the contract is on; a node serving another chain is refused. */
  chainId: number;
  contract: Hex;
  /** The node's account key, 0x-hex (the contract's registered `node`). */
  privateKey: Hex;
  /** The ledger's latest durable checkpoint, read without waiting. */
  latestCheckpoint: () => Checkpoint | undefined;
  /** Anchor after this many new checkpoints… @default 60 */
  everyCheckpoints?: number;
  /** …or once this many milliseconds passed since the last anchor. @default 60000 */
  intervalMs?: number;
  /** How often the chain is polled for receipts and reorganisations, milliseconds. @default 1000 */
  pollMs?: number;
  /** First retry delay after a failure, milliseconds; doubles per failure. @default 1000 */
  retryBaseMs?: number;
  /** Longest retry delay, milliseconds. @default 60000 */
  retryMaxMs?: number;
  /** Anchors in the last this-many blocks are re-checked for reorganisations. @default 64 */
  reorgDepth?: number;
  /** A pending transaction is broadcast again after this many milliseconds unmined. @default 30000 */
  rebroadcastMs?: number;
  /** Per-request timeout, milliseconds. @default 10000 */
  timeoutMs?: number;
  clock?: () => number;
  hooks?: AnchorHooks;
}

export interface AnchorHooks {
  sent?(cp: Checkpoint, txHash: Hex): void;
  mined?(entry: AnchoredEntry): void;
  failed?(err: AnchorError): void;
  dropped?(anchor: AnchorRecord): void;
  /** The first success after one or more failures. */
  recovered?(): void;
  /** Every durable change of the recorded state (a mirror on another thread applies them). */
  changed?(change: StateChange): void;
  warn?(message: string, err?: unknown): void;
}

type Resolved = Required<Omit<AnchorerOptions, 'hooks'>> & { hooks: AnchorHooks };

/** The options complete and checked (CONFIG_ERROR naming the first wrong one). */
export function normaliseAnchorerOptions(o: AnchorerOptions): Resolved {
  const bad = (name: string, want: string): never => {
    throw new AnchorError('CONFIG_ERROR', `anchor option ${name} must be ${want}`);
  };
  const int = (name: string, v: number | undefined, d: number, min: number): number => {
    const x = v ?? d;
    if (!Number.isSafeInteger(x) || x < min) bad(name, `an integer >= ${min}`);
    return x;
  };
  if (!/^0x[0-9a-fA-F]{40}$/.test(o.contract)) bad('contract', 'a 0x address');
  if (!Number.isSafeInteger(o.chainId) || o.chainId < 1) bad('chainId', 'a positive integer');
  return {
    ...o,
    contract: o.contract.toLowerCase() as Hex,
    everyCheckpoints: int('everyCheckpoints', o.everyCheckpoints, 60, 1),
    intervalMs: int('intervalMs', o.intervalMs, 60_000, 1),
    pollMs: int('pollMs', o.pollMs, 1000, 10),
    retryBaseMs: int('retryBaseMs', o.retryBaseMs, 1000, 1),
    retryMaxMs: int('retryMaxMs', o.retryMaxMs, 60_000, 1),
    reorgDepth: int('reorgDepth', o.reorgDepth, 64, 0),
    rebroadcastMs: int('rebroadcastMs', o.rebroadcastMs, 30_000, 1),
    timeoutMs: int('timeoutMs', o.timeoutMs, 10_000, 1),
    clock: o.clock ?? Date.now,
    hooks: o.hooks ?? {},
  };
}

const asAnchorError = (err: unknown): AnchorError =>
  err instanceof AnchorError ? err : new AnchorError('RPC_ERROR', err instanceof Error ? err.message.split('\n')[0]! : String(err), { cause: err });

export class Anchorer {
  readonly #o: Resolved;
  readonly #client: ChainReader;
  readonly #wallet;
  readonly #account;
  #state!: AnchorState;
  #failures = 0;
  #seen: Checkpoint | undefined;
  #seenSince = 0;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #watch: NodeJS.Timeout | undefined;
  #lastBroadcast = 0;
  /** The head at the last reorganisation check: nothing can have changed without a new block. */
  #checkedHead: string | null = null;

  constructor(options: AnchorerOptions) {
    this.#o = normaliseAnchorerOptions(options);
    this.#account = privateKeyToAccount(this.#o.privateKey);
    const chain = defineChain({ id: this.#o.chainId, name: `chain ${this.#o.chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [this.#o.rpcUrl] } } });
    const transport = http(this.#o.rpcUrl, { timeout: this.#o.timeoutMs, retryCount: 0 });
    this.#client = createChainReader(this.#o.rpcUrl, { timeoutMs: this.#o.timeoutMs });
    this.#wallet = createWalletClient({ account: this.#account, chain, transport });
  }

  get address(): Hex {
    return this.#account.address.toLowerCase() as Hex;
  }

  /** Anchors recorded as on chain, by size. */
  get anchors(): readonly AnchoredEntry[] {
    return this.#state.anchors;
  }

  get pending(): PendingAnchor | undefined {
    return this.#state.pending;
  }

  /** Consecutive failures since the last success (0 when healthy). */
  get failures(): number {
    return this.#failures;
  }

  /** Opens the state and starts the loop; the chain need not be reachable. */
  async start(): Promise<void> {
    this.#state = await AnchorState.open(this.#o.stateDir);
    const changed = this.#o.hooks.changed;
    if (changed) this.#state.onChange = changed;
    // Checkpoints are counted as they are seen: a cheap read of the ledger's latest, often
    // enough that a due anchor is sent within ~100 ms of its checkpoint.
    this.#watch = setInterval(() => this.#observe(), 100);
    this.#watch.unref();
    this.#loop = this.#run();
  }

  /** Looks at the latest checkpoint now rather than at the next 100 ms tick (a new one was cut). */
  notify(): void {
    if (this.#state) this.#observe();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#watch) clearInterval(this.#watch);
    this.#wake?.();
    await this.#loop;
    await this.#state?.close();
  }

  #observe(): void {
    const cp = this.#o.latestCheckpoint();
    if (cp && cp.size !== this.#seen?.size) {
      this.#seen = cp;
      this.#seenSince++;
      if (this.#failures === 0 && this.#due(cp)) this.#wake?.();
    }
  }

  #due(cp: Checkpoint): boolean {
    if (this.#state.pending) return false;
    const last = this.#state.last;
    if (last && cp.size <= last.anchor.size) return false;
    if (!last) return true;
    return this.#seenSince >= this.#o.everyCheckpoints || this.#o.clock() - last.at >= this.#o.intervalMs;
  }

  async #run(): Promise<void> {
    let reconciled = false;
    while (!this.#stopped) {
      let wait = this.#o.pollMs;
      try {
        if (!reconciled) {
          await this.#checkChain();
          await this.#reconcile();
          reconciled = true;
        }
        await this.#step();
        if (this.#failures > 0) {
          this.#failures = 0;
          this.#o.hooks.recovered?.();
        }
      } catch (err) {
        const e = asAnchorError(err);
        this.#failures++;
        this.#o.hooks.failed?.(e);
        if (e.code !== 'RPC_ERROR') reconciled = false;
        // Exponential backoff with jitter, so many nodes do not retry a recovering endpoint in step.
        const base = Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** Math.min(this.#failures - 1, 30));
        wait = Math.round(base / 2 + (Math.random() * base) / 2);
      }
      if (this.#stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        t.unref();
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #checkChain(): Promise<void> {
    const id = await rpc('eth_chainId', () => this.#client.getChainId());
    if (id !== this.#o.chainId) throw new AnchorError('CHAIN_MISMATCH', `${this.#o.rpcUrl} serves chain ${id}, the configuration says ${this.#o.chainId}`);
    const code = await rpc('eth_getCode', () => this.#client.getCode({ address: this.#o.contract }));
    if (!code || code === '0x') throw new AnchorError('CHAIN_MISMATCH', `no contract at ${this.#o.contract} on chain ${id}`);
  }

  async #step(): Promise<void> {
    if (this.#state.pending && !(await this.#settlePending(this.#state.pending))) return;
    await this.#checkReorgs();
    this.#observe();
    const cp = this.#seen;
    if (cp && this.#due(cp)) await this.#send(cp);
  }

  /** Records every anchor of this origin on chain that the state lacks (after a crash, a revert, a reorg). */
  async #reconcile(): Promise<void> {
    const cp = this.#o.latestCheckpoint() ?? this.#state.last?.checkpoint ?? this.#state.pending?.checkpoint;
    if (!cp) return;
    const last = this.#state.last;
    const from = last ? BigInt(Math.max(0, last.anchor.blockNumber - this.#o.reorgDepth)) : 0n;
    const onChain = await fetchAnchors(this.#client, this.#o.contract, cp.origin, from);
    for (const a of onChain) {
      if (this.#state.has(a.txHash)) continue;
      const checkpoint = this.#state.pending?.txHash === a.txHash ? this.#state.pending.checkpoint : undefined;
      if (!checkpoint) {
        this.#o.hooks.warn?.(`anchor of size ${a.size} in tx ${a.txHash} is on chain but its checkpoint is not known here; it is not recorded`);
        continue;
      }
      const entry = { anchor: a, checkpoint, at: this.#o.clock() };
      await this.#state.record(entry);
      this.#o.hooks.mined?.(entry);
    }
    if (this.#state.pending && this.#state.has(this.#state.pending.txHash)) await this.#state.setPending(undefined);
  }

  async #receipt(hash: Hex): Promise<TransactionReceipt | undefined> {
    try {
      return await this.#client.getTransactionReceipt({ hash });
    } catch (err) {
      if (err instanceof TransactionReceiptNotFoundError) return undefined;
      throw asAnchorError(err);
    }
  }

  /** True once the pending transaction is settled (mined, reverted or replaced). */
  async #settlePending(p: PendingAnchor): Promise<boolean> {
    const receipt = await this.#receipt(p.txHash);
    if (receipt) {
      if (receipt.status === 'success') {
        await this.#reconcile();
        if (!this.#state.has(p.txHash)) throw new AnchorError('RPC_ERROR', `tx ${p.txHash} mined, but its Anchored log is not visible yet`);
        this.#seenSince = 0;
        return true;
      }
      await this.#state.setPending(undefined);
      throw new AnchorError('TX_REVERTED', `anchor tx ${p.txHash} for size ${p.checkpoint.size} reverted in block ${receipt.blockNumber}`);
    }
    let known = true;
    try {
      await this.#client.getTransaction({ hash: p.txHash });
    } catch (err) {
      if (!(err instanceof TransactionNotFoundError)) throw asAnchorError(err);
      known = false;
    }
    if (known && this.#o.clock() - this.#lastBroadcast < this.#o.rebroadcastMs) return false;
    // Unknown to the endpoint (a crash before the broadcast, a restarted or reorganised
    // chain) or long unmined: the same signed bytes again, never a second transaction.
    try {
      await this.#client.sendRawTransaction({ serializedTransaction: p.raw });
      this.#lastBroadcast = this.#o.clock();
      return false;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/already known|known transaction/i.test(msg)) return false;
      if (/nonce too low|nonce.*(used|low)/i.test(msg)) {
        // The nonce went to another transaction: if it was this one, the chain has its log.
        await this.#reconcile();
        if (!this.#state.has(p.txHash)) await this.#state.setPending(undefined);
        return true;
      }
      throw asAnchorError(err);
    }
  }

  /**
   * From the newest anchor back, while the chain no longer has an anchor where it was
   * recorded. A block hash commits to all its ancestors, so the first anchor found intact
   * vouches for every older one: in the usual case this is one receipt per new block.
   */
  async #checkReorgs(): Promise<void> {
    const newest = this.#state.last;
    if (!newest) return;
    const block = await rpc('eth_getBlockByNumber', () => this.#client.getBlock({ blockTag: 'latest' }));
    const head = Number(block.number);
    // The head's hash, not its number: a reorganisation can replace blocks at the same height.
    if (block.hash === this.#checkedHead) return;
    for (let e = this.#state.last; e && e.anchor.blockNumber >= head - this.#o.reorgDepth; e = this.#state.last) {
      const receipt = await this.#receipt(e.anchor.txHash);
      if (receipt && receipt.status === 'success' && receipt.blockHash.toLowerCase() === e.anchor.blockHash) break;
      await this.#state.drop(e.anchor.txHash, this.#o.clock());
      if (receipt && receipt.status === 'success') {
        // Re-included in another block: the same anchor, located anew.
        await this.#reconcile();
        if (this.#state.has(e.anchor.txHash)) break;
        continue;
      }
      this.#o.hooks.dropped?.(e.anchor);
      this.#o.hooks.warn?.(`anchor of size ${e.anchor.size} (tx ${e.anchor.txHash}, block ${e.anchor.blockNumber}) is no longer on chain: a reorganisation dropped it; anchoring again`);
    }
    this.#checkedHead = block.hash;
  }

  async #send(cp: Checkpoint): Promise<void> {
    const data = encodeFunctionData({ abi: ANCHOR_ABI, functionName: 'anchor', args: [cp.origin, BigInt(cp.size), `0x${cp.root}`, `0x${checkpointHash(cp)}`] });
    let request;
    try {
      request = await this.#wallet.prepareTransactionRequest({ to: this.#o.contract, data, account: this.#account, chain: this.#wallet.chain });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // Gas estimation runs the call: a refusal by the contract shows here, before any gas is spent.
      if (/revert|NotNewer|NotTheNode|EmptyRoot/i.test(msg)) throw new AnchorError('TX_REVERTED', `the contract refuses the anchor of size ${cp.size}: ${msg.split('\n')[0]}`, { cause: err });
      throw asAnchorError(err);
    }
    const raw = (await this.#wallet.signTransaction(request as never)) as Hex;
    const txHash = keccak256(raw);
    await this.#state.setPending({ txHash, raw, nonce: Number(request.nonce), checkpoint: cp, sentAt: this.#o.clock() });
    this.#o.hooks.sent?.(cp, txHash);
    await this.#client.sendRawTransaction({ serializedTransaction: raw }).catch((err: unknown) => {
      throw asAnchorError(err);
    });
    this.#lastBroadcast = this.#o.clock();
  }
}
