/**
 * The `anchor` and `witnesses` sections of Vigil's configuration (pipeline/config.ts takes
 * them whole), kept apart so the anchor wiring's options live beside it (pipeline/anchor.ts).
 */
import { z } from 'zod';

const port = z.number().int().min(0).max(65_535);

export const anchorSection = z
  .strictObject({
    /**
     * `off`; `rpc`: anchor through `rpcUrl` to `contract` on `chainId` with the account in
     * `keyFile`; `local`: start a local anvil chain (state in DATA_DIR/anvil), make an
     * account key and deploy the contract there on first start — what `vigil start --demo` does.
     * `VIGIL_ANCHOR`. @default 'off' ('local' for `vigil start --demo`)
     */
    mode: z.enum(['off', 'rpc', 'local']).default('off'),
    /** An Ethereum JSON-RPC endpoint. `VIGIL_ANCHOR_RPC_URL`. */
    rpcUrl: z.string().url().optional(),
    /** EIP-155 chain id the endpoint must serve. `VIGIL_ANCHOR_CHAIN_ID`. */
    chainId: z.number().int().min(1).optional(),
    /** The VigilAnchor contract's address. `VIGIL_ANCHOR_CONTRACT`. */
    contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x address').optional(),
    /** File with the node's account key (0x-hex), mode 0600, outside the ledger directory. `VIGIL_ANCHOR_KEY_FILE`. @default DATA_DIR/anchor-account.key in local mode */
    keyFile: z.string().min(1).optional(),
    /** Anchor after this many new checkpoints… @default 60 */
    everyCheckpoints: z.number().int().min(1).default(60),
    /** …or this many milliseconds after the last anchor, whichever comes first. @default 60000 */
    intervalMs: z.number().int().min(100).default(60_000),
    /** How often receipts and reorganisations are checked, milliseconds. @default 1000 */
    pollMs: z.number().int().min(10).default(1_000),
    /** First retry delay after a chain failure, milliseconds (doubles per failure). @default 1000 */
    retryBaseMs: z.number().int().min(1).default(1_000),
    /** Longest retry delay, milliseconds. @default 60000 */
    retryMaxMs: z.number().int().min(1).default(60_000),
    /** Anchors in the last this-many blocks are re-checked for reorganisations. @default 64 */
    reorgDepth: z.number().int().min(0).default(64),
    /** The RPC URL the auditor's page is given (one without credentials). @default rpcUrl */
    browserRpcUrl: z.string().url().optional(),
    /** Local mode: anvil's port (0: a free one). @default 0 */
    localPort: port.default(0),
    /** Local mode: seconds between blocks. @default 1 */
    localBlockTime: z.number().int().min(0).max(60).default(1),
  })
  .prefault({});

export const witnessesSection = z
  .strictObject({
    /** Base URLs of `vigil witness` nodes that co-sign this node's checkpoints. `VIGIL_WITNESS_URLS=a,b`. @default [] */
    urls: z.array(z.string().url()).default([]),
    /** Witness public keys (PEM or hex) by URL; a witness without one is trusted on first use. @default {} */
    keys: z.record(z.string(), z.string()).default({}),
    /** Distinct witnesses that must co-sign before a checkpoint counts as published. @default all of them */
    required: z.number().int().min(1).optional(),
    /** Per-request timeout, milliseconds. @default 5000 */
    timeoutMs: z.number().int().min(1).default(5_000),
    /** Also run this many witnesses inside this node's process, each with its own key in DATA_DIR/witnesses (the demo: 2). @default 0 */
    local: z.number().int().min(0).max(8).default(0),
  })
  .prefault({});

/** Cross-field rules of the two sections, run by configSchema's superRefine. */
export function refineAnchorConfig(
  c: { anchor: z.infer<typeof anchorSection>; witnesses: z.infer<typeof witnessesSection> },
  ctx: z.RefinementCtx,
): void {
  if (c.anchor.mode === 'rpc') {
    for (const k of ['rpcUrl', 'chainId', 'contract', 'keyFile'] as const) {
      if (c.anchor[k] === undefined) ctx.addIssue({ code: 'custom', path: ['anchor', k], message: `anchor.mode rpc needs anchor.${k}` });
    }
  }
  const w = c.witnesses.urls.length + c.witnesses.local;
  if (c.witnesses.required !== undefined && c.witnesses.required > w) {
    ctx.addIssue({ code: 'custom', path: ['witnesses', 'required'], message: `${c.witnesses.required} cosignatures required of ${w} witness(es)` });
  }
}
