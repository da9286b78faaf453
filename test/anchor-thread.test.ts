/**
 * The node's anchorer on its worker thread (ThreadedAnchorer) against a real anvil: what
 * the main thread mirrors is what the worker recorded on disk and what the chain holds, a
 * restart resumes from that state, and a wrong option fails on the caller's thread.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AnchorError, createChainReader, fetchAnchors, readRecordedAnchors, ThreadedAnchorer } from '../anchor/index.js';
import { Ledger } from '../ledger/index.js';
import { startChain } from './anchor-fixtures.js';
import { tempDir, waitFor } from './helpers.js';

describe('the anchorer on its own thread', () => {
  const tmp = tempDir('vigil-anchor-thread-');
  afterAll(() => tmp.cleanup());

  it('mirrors every anchor it records, and resumes from its state after a restart', async () => {
    const chain = await startChain(tmp.dir);
    const ledger = await Ledger.open({ dir: join(tmp.dir, 'ledger'), checkpointEvery: 1 << 30, checkpointIntervalMs: 2 ** 31 - 1 });
    const stateDir = join(tmp.dir, 'anchor');
    const sent: number[] = [];
    const make = () =>
      new ThreadedAnchorer({
        stateDir,
        rpcUrl: chain.anvil.url,
        chainId: chain.anvil.chainId,
        contract: chain.contract,
        privateKey: chain.key,
        latestCheckpoint: () => ledger.latestCheckpoint,
        everyCheckpoints: 1,
        intervalMs: 1,
        pollMs: 50,
        hooks: { sent: (cp) => sent.push(cp.size) },
      });
    const cut = async (n: number) => {
      ledger.appendMany(Array.from({ length: n }, (_, i) => ({ type: 'event' as const, ts: Date.now(), body: { id: `e-${ledger.size + i}` } })));
      return (await ledger.checkpoint()).size;
    };
    try {
      let anchorer = make();
      await anchorer.start();
      expect(anchorer.address).toBe(chain.address);
      for (const n of [3, 4]) {
        const size = await cut(n);
        await waitFor(() => ((anchorer.anchors.at(-1)?.anchor.size ?? 0) >= size ? true : undefined), 30_000, `an anchor of size ${size}`);
      }
      await anchorer.stop();
      const recorded = await readRecordedAnchors(stateDir);
      expect(anchorer.anchors.map((e) => e.anchor.txHash)).toEqual(recorded.map((e) => e.anchor.txHash));
      const onChain = await fetchAnchors(createChainReader(chain.anvil.url), chain.contract, ledger.origin);
      expect(onChain.map((a) => a.txHash)).toEqual(recorded.map((e) => e.anchor.txHash));
      expect(sent).toEqual([3, 7]); // the hooks ran on this thread, once per anchor

      // A new thread starts from the recorded anchors and anchors only what is new.
      anchorer = make();
      await anchorer.start();
      expect(anchorer.anchors.map((e) => e.anchor.size)).toEqual([3, 7]);
      const size = await cut(5);
      await waitFor(() => ((anchorer.anchors.at(-1)?.anchor.size ?? 0) >= size ? true : undefined), 30_000, `an anchor of size ${size}`);
      await anchorer.stop();
      expect(anchorer.anchors.map((e) => e.anchor.size)).toEqual([3, 7, 12]);
      expect(sent).toEqual([3, 7, 12]);
    } finally {
      await ledger.close();
      await chain.anvil.stop();
    }
  }, 120_000);

  it('refuses a wrong option on the caller thread, naming it', () => {
    const make = () =>
      new ThreadedAnchorer({ stateDir: join(tmp.dir, 'x'), rpcUrl: 'http://127.0.0.1:1', chainId: 1, contract: '0x1234', privateKey: `0x${'11'.repeat(32)}`, latestCheckpoint: () => undefined });
    expect(make).toThrow(AnchorError);
    expect(make).toThrow(/contract/);
  });
});
