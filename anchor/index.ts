/**
 * Anchoring on chain: ledger checkpoints anchored in a small contract on an
 * Ethereum-compatible chain (viem as the client), and their verification.
 *
 * Node-side: `Anchorer` (the node's loop) and `ThreadedAnchorer` (the same loop on a worker
 * thread, what a node runs), `deployAnchorContract`, `startAnvil` (a local
 * chain), account keys, the recorded state. Browser-safe: everything `./verifier.js`
 * exports, which a dashboard imports alone.
 */
export { Anchorer } from './anchorer.js';
export type { AnchorerOptions, AnchorHooks } from './anchorer.js';
export { ThreadedAnchorer } from './anchorer-thread.js';
export type { ThreadedAnchorerOptions } from './anchorer-thread.js';
export { deployAnchorContract } from './deploy.js';
export type { Deployment } from './deploy.js';
export { startAnvil, anvilCall, anvilBinary, ANVIL_DEV_KEY } from './anvil.js';
export type { Anvil, AnvilOptions } from './anvil.js';
export { readAccountKey, createAccountKey } from './keys.js';
export { AnchorState, readRecordedAnchors } from './state.js';
export type { AnchoredEntry, PendingAnchor } from './state.js';
export { ANCHOR_ABI, ANCHOR_BYTECODE, ANCHOR_COMPILER } from './contract.js';
export { anchorProofFor } from './proof.js';

export * from './verifier.js';
