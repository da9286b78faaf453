/**
 * The anchor and witness wiring of a node (config sections `anchor` and `witnesses`): the
 * chain to anchor to (an RPC endpoint, or a local anvil with the contract deployed on first
 * start), the Anchorer over the ledger's latest checkpoint, its metrics, the witnesses run
 * beside the node, and what the auditor's page and evidence bundles are given.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Counter, Gauge } from 'prom-client';
import {
  anchorProofFor,
  anvilCall,
  createAccountKey,
  createChainReader,
  deployAnchorContract,
  readAccountKey,
  startAnvil,
  type AnchorProof,
  type Anvil,
  type Hex,
  ThreadedAnchorer,
} from '../anchor/index.js';
import { Witness, type Ledger, type WitnessPolicy, type WitnessServer } from '../ledger/index.js';
import { ConfigError, type VigilConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Where a node writes which contract it anchors to, for `vigil verify --rpc` and `vigil prove`. */
export const DEPLOYMENT_FILE = join('anchor', 'deployment.json');
/** The anchorer's state inside the data directory. */
export const ANCHOR_STATE_DIR = join('anchor', 'state');

export interface ChainSetup {
  rpcUrl: string;
  browserRpcUrl: string;
  chainId: number;
  contract: Hex;
  privateKey: Hex;
  address: Hex;
  anvil?: Anvil;
}

export interface DeploymentFile {
  chainId: number;
  contract: Hex;
  node: Hex;
  rpcUrl?: string;
}

export async function readDeployment(dataDir: string): Promise<DeploymentFile | undefined> {
  const text = await readFile(join(dataDir, DEPLOYMENT_FILE), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as DeploymentFile);
}

const ledgerDirOf = (config: VigilConfig): string => join(config.dataDir, 'ledger');

async function keyFor(config: VigilConfig, path: string) {
  try {
    return await readAccountKey(path, { ledgerDir: ledgerDirOf(config) });
  } catch (err) {
    throw new ConfigError('anchor.keyFile', `configuration anchor.keyFile: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The chain per `config.anchor`; undefined when anchoring is off. */
export async function prepareChain(config: VigilConfig, logger: Logger): Promise<ChainSetup | undefined> {
  const a = config.anchor;
  if (a.mode === 'off') return undefined;
  await mkdir(join(config.dataDir, 'anchor'), { recursive: true, mode: 0o700 });
  if (a.mode === 'rpc') {
    const { key, address } = await keyFor(config, resolve(a.keyFile!));
    const deployment: DeploymentFile = { chainId: a.chainId!, contract: a.contract!.toLowerCase() as Hex, node: address, rpcUrl: a.browserRpcUrl ?? a.rpcUrl! };
    await writeFile(join(config.dataDir, DEPLOYMENT_FILE), `${JSON.stringify(deployment, null, 2)}\n`);
    return { rpcUrl: a.rpcUrl!, browserRpcUrl: a.browserRpcUrl ?? a.rpcUrl!, chainId: a.chainId!, contract: deployment.contract, privateKey: key, address };
  }
  // Local mode: anvil in its own process, its chain kept in the data directory across restarts.
  const anvilDir = join(config.dataDir, 'anvil');
  await mkdir(anvilDir, { recursive: true });
  const anvil = await startAnvil({ port: a.localPort, blockTime: a.localBlockTime, statePath: join(anvilDir, 'state.json'), onOutput: (line) => logger.debug({ anvil: line }, 'anvil') });
  try {
    const keyPath = resolve(a.keyFile ?? join(config.dataDir, 'anchor-account.key'));
    const { key, address } = existsSync(keyPath) ? await keyFor(config, keyPath) : await createAccountKey(keyPath);
    // A development chain: its test method funds the node's own account (no shared dev key signs anchors).
    await anvilCall(anvil.url, 'anvil_setBalance', [address, '0x56bc75e2d63100000']);
    let deployment = await readDeployment(config.dataDir);
    const client = createChainReader(anvil.url);
    const code = deployment ? await client.getCode({ address: deployment.contract }).catch(() => undefined) : undefined;
    if (!deployment || deployment.node !== address || deployment.chainId !== anvil.chainId || !code || code === '0x') {
      const d = await deployAnchorContract({ rpcUrl: anvil.url, privateKey: key });
      deployment = { chainId: d.chainId, contract: d.contract, node: d.node, rpcUrl: anvil.url };
      logger.info({ contract: d.contract, chainId: d.chainId, block: d.blockNumber }, 'anchor contract deployed on the local anvil chain');
    }
    deployment.rpcUrl = anvil.url;
    await writeFile(join(config.dataDir, DEPLOYMENT_FILE), `${JSON.stringify(deployment, null, 2)}\n`);
    return { rpcUrl: anvil.url, browserRpcUrl: a.browserRpcUrl ?? anvil.url, chainId: deployment.chainId, contract: deployment.contract, privateKey: key, address, anvil };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}

export interface LocalWitnesses {
  servers: WitnessServer[];
  witnesses: Witness[];
  stop(): Promise<void>;
}

/** `witnesses.local` witnesses in this process (each with its own key and state), listening on loopback. */
export async function startLocalWitnesses(config: VigilConfig, logger: Logger): Promise<LocalWitnesses> {
  const witnesses: Witness[] = [];
  const servers: WitnessServer[] = [];
  for (let i = 1; i <= config.witnesses.local; i++) {
    const w = await Witness.open({ dataDir: join(config.dataDir, 'witnesses', `w${i}`), name: `vigil-demo-witness-${i}`, logger: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) } });
    witnesses.push(w);
    servers.push(await w.listen(0, '127.0.0.1'));
  }
  return { servers, witnesses, stop: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}

/** The ledger's witness policy: configured URLs and the local witnesses (pinned by their keys). */
export function witnessPolicy(config: VigilConfig, local: LocalWitnesses): WitnessPolicy | undefined {
  const urls = [...config.witnesses.urls, ...local.servers.map((s) => s.url)];
  if (urls.length === 0) return undefined;
  const keys: Record<string, string> = { ...config.witnesses.keys };
  local.servers.forEach((s, i) => (keys[s.url] = Buffer.from(local.witnesses[i]!.publicKey).toString('hex')));
  return { urls, keys, timeoutMs: config.witnesses.timeoutMs, ...(config.witnesses.required !== undefined ? { required: config.witnesses.required } : {}) };
}

/** The Anchorer over a ledger, with its Prometheus metrics on the node's registry. */
export class AnchorWiring {
  /** On a worker thread of its own: signing, encoding and RPC cost ingest's thread nothing. */
  readonly anchorer: ThreadedAnchorer;

  constructor(
    readonly chain: ChainSetup,
    private readonly ledger: Ledger,
    config: VigilConfig,
    metrics: Metrics,
    logger: Logger,
  ) {
    const registers = [metrics.registry];
    const sent = new Counter({ name: 'vigil_anchor_sent_total', help: 'Anchor transactions signed and broadcast', registers });
    const mined = new Counter({ name: 'vigil_anchor_mined_total', help: 'Anchors mined and recorded', registers });
    const failures = new Counter({ name: 'vigil_anchor_failures_total', help: 'Anchoring attempts that failed (retried with backoff), by code', labelNames: ['code'], registers });
    const dropped = new Counter({ name: 'vigil_anchor_reorg_dropped_total', help: 'Mined anchors a chain reorganisation dropped (anchored again)', registers });
    for (const c of [sent, mined, dropped]) c.inc(0);
    for (const code of ['RPC_ERROR', 'TX_REVERTED', 'CHAIN_MISMATCH']) failures.inc({ code }, 0);
    const self = this;
    new Gauge({
      name: 'vigil_anchor_size',
      help: 'Tree size of the latest anchor recorded on chain',
      registers,
      collect() {
        this.set(self.anchorer.anchors.at(-1)?.anchor.size ?? 0);
      },
    });
    new Gauge({
      name: 'vigil_anchor_behind_entries',
      help: 'Entries under the latest checkpoint that no anchor covers yet',
      registers,
      collect() {
        this.set(Math.max(0, (ledger.latestCheckpoint?.size ?? 0) - (self.anchorer.anchors.at(-1)?.anchor.size ?? 0)));
      },
    });
    new Gauge({
      name: 'vigil_anchor_consecutive_failures',
      help: 'Anchoring failures since the last success',
      registers,
      collect() {
        this.set(self.anchorer.failures);
      },
    });
    const a = config.anchor;
    let lastLogged = 0;
    this.anchorer = new ThreadedAnchorer({
      stateDir: join(config.dataDir, ANCHOR_STATE_DIR),
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      contract: chain.contract,
      privateKey: chain.privateKey,
      latestCheckpoint: () => ledger.latestCheckpoint,
      everyCheckpoints: a.everyCheckpoints,
      intervalMs: a.intervalMs,
      pollMs: a.pollMs,
      retryBaseMs: a.retryBaseMs,
      retryMaxMs: a.retryMaxMs,
      reorgDepth: a.reorgDepth,
      hooks: {
        sent: (cp, txHash) => {
          sent.inc();
          logger.debug({ size: cp.size, txHash }, 'anchor sent');
        },
        mined: (e) => {
          mined.inc();
          logger.info({ size: e.anchor.size, block: e.anchor.blockNumber, txHash: e.anchor.txHash }, 'checkpoint anchored on chain');
        },
        failed: (err) => {
          failures.inc({ code: err.code });
          // One line per failure streak and then every minute: an endpoint down for an hour must not flood the log.
          if (this.anchorer.failures === 1 || Date.now() - lastLogged > 60_000) {
            lastLogged = Date.now();
            logger.warn({ code: err.code, err: err.message, failures: this.anchorer.failures }, 'anchoring failed; retrying with backoff (ingest is not affected)');
          }
        },
        dropped: (anchor) => {
          dropped.inc();
          logger.warn({ size: anchor.size, txHash: anchor.txHash }, 'a reorganisation dropped an anchor; anchoring again');
        },
        warn: (message) => logger.warn(message),
      },
    });
  }

  start(): Promise<void> {
    return this.anchorer.start();
  }

  async stop(): Promise<void> {
    await this.anchorer.stop();
    await this.chain.anvil?.stop();
  }

  /** The anchor an evidence bundle from this node's ledger carries (undefined when none covers it yet). */
  proofFor(bundle: { checkpoint: { origin: string; size: number; root: string; prev: string; ts: number; keyId: string; signature: string }; leafIndex: number }): AnchorProof | undefined {
    return anchorProofFor(this.anchorer.anchors, bundle.checkpoint, bundle.leafIndex, (m, n) => this.ledger.consistencyProof(m, n), this.ledger.latestCheckpoint?.size ?? bundle.checkpoint.size);
  }

  /** What /anchors.json shows (public: roots and chain locations only, never the key). */
  info() {
    const recent = this.anchorer.anchors.slice(-50).reverse();
    return {
      enabled: true,
      chainId: this.chain.chainId,
      contract: this.chain.contract,
      account: this.anchorer.address,
      rpcUrl: this.chain.browserRpcUrl,
      origin: this.ledger.origin,
      latestCheckpointSize: this.ledger.latestCheckpoint?.size ?? 0,
      anchoredSize: recent[0]?.anchor.size ?? 0,
      pending: this.anchorer.pending ? { txHash: this.anchorer.pending.txHash, size: this.anchorer.pending.checkpoint.size } : null,
      consecutiveFailures: this.anchorer.failures,
      anchors: recent.map((e) => ({ ...e.anchor, at: e.at, checkpointTs: e.checkpoint.ts })),
    };
  }
}
