/**
 * Anchoring against a real chain (anvil in its own process, JSON-RPC on a free port): a
 * node anchors its checkpoints; an alert's bundle carries its anchor and verifies with the
 * anchor checked through JSON-RPC; then the ledger is rolled back by 100 checkpoints, and
 * separately rewritten and re-signed with the node's own key — `vigil verify --rpc` names
 * the anchor each contradicts.
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainReader, fetchAnchors, type AnchorRecord } from '../anchor/index.js';
import { auditLedger, Ledger, parseEntry, type LedgerEntry } from '../ledger/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { anchorConfig, passwordGuessing, startChain, telemetry, vigil, type Chain } from './anchor-fixtures.js';
import { tempDir, waitFor } from './helpers.js';

const CHECKPOINTS = 130;

describe('a node anchoring to a real chain', () => {
  const tmp = tempDir('vigil-anchor-');
  const dataDir = join(tmp.dir, 'node');
  let chain: Chain;
  let anchors: AnchorRecord[] = [];
  let origin = '';
  let alertId = '';

  beforeAll(async () => {
    chain = await startChain(tmp.dir);
    const node = await VigilNode.start(
      resolveConfig({ dataDir, api: { port: 0 }, anchor: anchorConfig(chain), ledger: { checkpointIntervalMs: 60_000 } }),
      { logger: silentLogger() },
    );
    try {
      const ledger = node.analysis!.ledger;
      origin = ledger.origin;
      const post = (body: string) => fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' } }).then((r) => expect(r.status).toBeLessThan(300));
      await post(passwordGuessing('D-GUESSED'));
      for (let i = 0; i < CHECKPOINTS; i++) {
        await post(telemetry(3, `D-${i % 7}`, i));
        await ledger.checkpoint();
        // Every checkpoint anchored before the next is cut, so there are anchors to roll back past.
        const size = ledger.latestCheckpoint!.size;
        await waitFor(() => ((node.anchoring!.anchorer.anchors.at(-1)?.anchor.size ?? 0) >= size ? true : undefined), 30_000, `anchor of size ${size}`);
      }
    } finally {
      await node.stop();
    }
    anchors = await fetchAnchors(createChainReader(chain.anvil.url), chain.contract, origin);
    const lines = readFileSync(join(dataDir, 'ledger', 'entries.log'), 'utf8').split('\n').filter(Boolean);
    alertId = String(lines.map((l) => parseEntry(l)).find((e) => e.type === 'alert')?.body['id'] ?? '');
  }, 600_000);
  afterAll(async () => {
    await chain?.anvil.stop();
    tmp.cleanup();
  });

  it('anchors its checkpoints on chain, one per checkpoint here, sizes strictly rising', () => {
    expect(anchors.length).toBeGreaterThanOrEqual(CHECKPOINTS);
    for (let i = 1; i < anchors.length; i++) expect(anchors[i]!.size).toBeGreaterThan(anchors[i - 1]!.size);
  });

  it("proves an alert with its anchor, and verify-proof checks that anchor through JSON-RPC", async () => {
    expect(alertId).not.toBe('');
    const bundlePath = join(tmp.dir, 'alert.json');
    const proved = await vigil(['prove', '--data-dir', dataDir, '--id', alertId, '--out', bundlePath]);
    expect(proved.code, proved.stderr).toBe(0);
    const bundle = JSON.parse(readFileSync(bundlePath, 'utf8')) as { anchor?: { anchor: AnchorRecord } };
    expect(bundle.anchor?.anchor.chainId).toBe(chain.anvil.chainId);
    expect(anchors.some((a) => a.txHash === bundle.anchor!.anchor.txHash && a.blockHash === bundle.anchor!.anchor.blockHash)).toBe(true);

    const key = join(dataDir, 'ledger', 'public.pem');
    const offline = await vigil(['verify-proof', bundlePath, '--key', key]);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(/NOT checked against a chain/);

    const online = await vigil(['verify-proof', bundlePath, '--key', key, '--rpc', chain.anvil.url, '--contract', chain.contract]);
    expect(online.code, online.stdout).toBe(0);
    expect(online.stdout).toMatch(/ok +chain: chain 31337, block \d+/);
    expect(online.stdout).toMatch(/anchor checked on chain/);

    // The same bundle claiming another root for its anchor fails on chain, not offline only.
    const forged = JSON.parse(readFileSync(bundlePath, 'utf8')) as { anchor: { anchor: AnchorRecord } };
    forged.anchor.anchor.blockHash = `0x${'11'.repeat(32)}`;
    writeFileSync(join(tmp.dir, 'forged.json'), JSON.stringify(forged));
    const bad = await vigil(['verify-proof', join(tmp.dir, 'forged.json'), '--key', key, '--rpc', chain.anvil.url]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL chain: transaction 0x[0-9a-f]+ is in block/);
  }, 300_000);

  it('vigil verify --rpc holds the untouched log against every anchor', async () => {
    const r = await vigil(['verify', '--data-dir', dataDir, '--rpc', chain.anvil.url]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`anchors hold: ${anchors.length} anchor\\(s\\)`));
  }, 120_000);

  it('a ledger rolled back by 100 checkpoints passes alone, and fails against the chain naming the anchor', async () => {
    const dir = join(tmp.dir, 'rolled-back');
    cpSync(dataDir, dir, { recursive: true });
    const ledgerDir = join(dir, 'ledger');
    const records = readFileSync(join(ledgerDir, 'checkpoints.log'), 'utf8').split('\n').filter(Boolean);
    const kept = records.slice(0, records.length - 100);
    const last = JSON.parse(kept.at(-1)!) as { size: number; offset: number };
    writeFileSync(join(ledgerDir, 'checkpoints.log'), `${kept.join('\n')}\n`);
    truncateSync(join(ledgerDir, 'entries.log'), last.offset);
    truncateSync(join(ledgerDir, 'entries.idx'), last.size * 40);

    const alone = await vigil(['verify', '--data-dir', dir]);
    expect(alone.code, alone.stdout).toBe(0);
    expect(alone.stdout).toMatch(/a rollback .* cannot be detected/);

    const r = await vigil(['verify', '--data-dir', dir, '--rpc', chain.anvil.url, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; anchors: { audit: { contradictions: Array<{ kind: string; anchor: AnchorRecord; reason: string }> } } };
    expect(report.ok).toBe(false);
    const newest = anchors.at(-1)!;
    const named = report.anchors.audit.contradictions.find((c) => c.anchor.txHash === newest.txHash);
    expect(named?.kind).toBe('rolled-back');
    expect(named?.reason).toContain(`holds only ${last.size}`);
    const text = await vigil(['verify', '--data-dir', dir, '--rpc', chain.anvil.url]);
    expect(text.stdout).toContain(newest.txHash);
  }, 120_000);

  it('one entry rewritten and every later checkpoint re-signed with the node key is still caught', async () => {
    const dir = join(tmp.dir, 'rewritten');
    mkdirSync(join(dir, 'ledger'), { recursive: true });
    const src = join(dataDir, 'ledger');
    for (const f of ['private.pem', 'public.pem']) copyFileSync(join(src, f), join(dir, 'ledger', f));
    const entries: LedgerEntry[] = readFileSync(join(src, 'entries.log'), 'utf8').split('\n').filter(Boolean).map((l) => parseEntry(l));
    const sizes = readFileSync(join(src, 'checkpoints.log'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { size: number }).size);
    const victim = entries.findIndex((e) => e.type === 'alert');
    entries[victim] = { ...entries[victim]!, body: { ...entries[victim]!.body, severity: 'low', title: 'nothing happened' } };
    const forger = await Ledger.open({ dir: join(dir, 'ledger'), origin, checkpointEvery: 1 << 30, checkpointIntervalMs: 2 ** 31 - 1 });
    let at = 0;
    for (const size of sizes) {
      forger.appendMany(entries.slice(at, size));
      at = size;
      await forger.checkpoint();
    }
    await forger.close();

    const alone = await auditLedger(join(dir, 'ledger'));
    expect(alone.ok).toBe(true); // a perfect forgery, as far as the files go
    // The forger left no record of the contract: the auditor pins the one they trust.
    const r = await vigil(['verify', '--data-dir', dir, '--rpc', chain.anvil.url, '--contract', chain.contract, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { anchors: { audit: { contradictions: Array<{ kind: string; anchor: AnchorRecord }> } } };
    const rewritten = report.anchors.audit.contradictions.filter((c) => c.kind === 'rewritten');
    // Every anchor of a tree that holds the rewritten entry contradicts the forgery, and none before it.
    expect(rewritten.length).toBe(anchors.filter((a) => a.size > victim).length);
    expect(rewritten.every((c) => c.anchor.size > victim)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
