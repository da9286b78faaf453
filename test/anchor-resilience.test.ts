/**
 * Anchoring never stops ingest and loses nothing: the RPC endpoint down for a while
 * (events keep being stored, anchors catch up after), and the node SIGKILLed between
 * broadcasting an anchor and its mining (it resumes with the same transaction: no anchor
 * lost, none doubled). VIGIL_ANCHOR_OUTAGE_MS sets the outage (default 5000; the issue's
 * 30 s case: VIGIL_ANCHOR_OUTAGE_MS=30000) — with retryMaxMs below it, a longer outage
 * only adds retries of the same kind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anvilCall, createChainReader, fetchAnchors } from '../anchor/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { anchorConfig, startChain, telemetry } from './anchor-fixtures.js';
import { exited, freePort, metricValue, tempDir, vigilBin, waitFor } from './helpers.js';

const OUTAGE_MS = Number(process.env['VIGIL_ANCHOR_OUTAGE_MS'] ?? 5000);

/** A JSON-RPC pass-through that can be taken down: while down, every connection is cut. */
async function switchableProxy(target: string): Promise<{ url: string; setDown(d: boolean): void; close(): Promise<void> }> {
  let down = false;
  const server: Server = createServer((req, res) => {
    if (down) return void req.socket.destroy();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
        .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()))
        .catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    setDown: (d) => (down = d),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('when the RPC endpoint is down', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it(`keeps storing events for ${OUTAGE_MS} ms, counts the failures, and the anchors catch up after`, async () => {
    const chain = await startChain(tmp.dir);
    const proxy = await switchableProxy(chain.anvil.url);
    const node = await VigilNode.start(
      resolveConfig({ dataDir: join(tmp.dir, 'node'), api: { port: 0 }, detector: { enabled: false }, ledger: { checkpointIntervalMs: 200 }, anchor: { ...anchorConfig(chain), rpcUrl: proxy.url, retryMaxMs: Math.min(2000, OUTAGE_MS / 2) } }),
      { logger: silentLogger() },
    );
    try {
      const anchorer = node.anchoring!.anchorer;
      let sent = 0;
      const post = async (n: number) => {
        const r = await fetch(`${node.url}/ingest`, { method: 'POST', body: telemetry(n, 'D-out', sent), headers: { 'content-type': 'application/x-ndjson' } });
        expect(r.status).toBeLessThan(300);
        sent += n;
      };
      await post(20);
      await waitFor(() => (anchorer.anchors.length > 0 ? true : undefined), 30_000, 'a first anchor');
      const before = anchorer.anchors.at(-1)!.anchor.size;

      proxy.setDown(true);
      const until = Date.now() + OUTAGE_MS;
      while (Date.now() < until) {
        await post(25);
        await new Promise((r) => setTimeout(r, 250));
      }
      const stored = (await (await fetch(`${node.url}/healthz`)).json()) as { events: number };
      expect(stored.events).toBe(sent); // nothing waited for the chain
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      expect(metricValue(metrics, 'vigil_anchor_failures_total', { code: 'RPC_ERROR' })).toBeGreaterThan(0);
      expect(anchorer.anchors.at(-1)!.anchor.size).toBe(before); // really nothing got through

      proxy.setDown(false);
      const latest = node.analysis!.ledger.latestCheckpoint!.size;
      await waitFor(() => ((anchorer.anchors.at(-1)?.anchor.size ?? 0) >= latest ? true : undefined), 60_000, `anchors to catch up to ${latest}`);
      expect(anchorer.failures).toBe(0);
    } finally {
      await node.stop();
      await proxy.close();
      await chain.anvil.stop();
    }
  }, 180_000);
});

describe('when the node is SIGKILLed between sending an anchor and its mining', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('resumes with the same transaction after a restart: no anchor lost, none doubled', async () => {
    const chain = await startChain(tmp.dir);
    const dataDir = join(tmp.dir, 'node');
    const configFile = join(tmp.dir, 'vigil.config.json');
    writeFileSync(configFile, JSON.stringify({ detector: { enabled: false }, ledger: { checkpointIntervalMs: 200 }, anchor: anchorConfig(chain) }));
    const port = await freePort();
    const start = (): ChildProcess =>
      spawn(process.execPath, [vigilBin, 'start', '--config', configFile, '--data-dir', dataDir, '--port', String(port), '--no-mqtt-broker', '--no-syslog'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' } });
    const pendingFile = join(dataDir, 'anchor', 'state', 'pending.json');
    const anchorsFile = join(dataDir, 'anchor', 'state', 'anchors.ndjson');
    let child = start();
    try {
      await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => (r.ok ? true : undefined), () => undefined), 60_000, 'vigil to start');
      await fetch(`http://127.0.0.1:${port}/ingest`, { method: 'POST', body: telemetry(30), headers: { 'content-type': 'application/x-ndjson' } });
      await waitFor(() => (existsSync(anchorsFile) && readFileSync(anchorsFile, 'utf8').length > 0 ? true : undefined), 30_000, 'a first anchor');
      // The chain stops mining: the next anchor stays between sent and mined.
      await anvilCall(chain.anvil.url, 'evm_setAutomine', [false]);
      await fetch(`http://127.0.0.1:${port}/ingest`, { method: 'POST', body: telemetry(30, 'D-2'), headers: { 'content-type': 'application/x-ndjson' } });
      const pending = await waitFor(() => (existsSync(pendingFile) ? (JSON.parse(readFileSync(pendingFile, 'utf8')) as { txHash: string }) : undefined), 30_000, 'a pending anchor');
      await waitFor(async () => ((await anvilCall<{ blockNumber: string | null } | null>(chain.anvil.url, 'eth_getTransactionByHash', [pending.txHash])) ? true : undefined), 10_000, 'the anchor in the mempool');
      child.kill('SIGKILL');
      await exited(child);

      child = start();
      await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => (r.ok ? true : undefined), () => undefined), 60_000, 'vigil to restart');
      await anvilCall(chain.anvil.url, 'evm_setAutomine', [true]);
      await anvilCall(chain.anvil.url, 'evm_mine', []);
      await waitFor(() => (readFileSync(anchorsFile, 'utf8').includes(pending.txHash) && !existsSync(pendingFile) ? true : undefined), 30_000, 'the resumed anchor recorded');
      child.kill('SIGTERM');
      await exited(child);

      const onChain = await fetchAnchors(createChainReader(chain.anvil.url), chain.contract, JSON.parse(readFileSync(anchorsFile, 'utf8').split('\n')[0]!).anchor.origin as string);
      expect(onChain.filter((a) => a.txHash === pending.txHash)).toHaveLength(1);
      for (let i = 1; i < onChain.length; i++) expect(onChain[i]!.size).toBeGreaterThan(onChain[i - 1]!.size);
      const recorded = readFileSync(anchorsFile, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { anchor: { txHash: string } }).anchor.txHash);
      expect(new Set(recorded).size).toBe(recorded.length); // none recorded twice
      expect(onChain.map((a) => a.txHash)).toEqual(recorded); // every anchor on chain is recorded, in order
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await chain.anvil.stop();
    }
  }, 240_000);
});

describe('when a chain reorganisation drops a mined anchor', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('notices the receipt is gone, counts it, and anchors the latest checkpoint again', async () => {
    const chain = await startChain(tmp.dir);
    const node = await VigilNode.start(
      resolveConfig({ dataDir: join(tmp.dir, 'node'), api: { port: 0 }, detector: { enabled: false }, anchor: anchorConfig(chain) }),
      { logger: silentLogger() },
    );
    try {
      const anchorer = node.anchoring!.anchorer;
      const ledger = node.analysis!.ledger;
      const anchoredUpTo = (size: number) => waitFor(() => ((anchorer.anchors.at(-1)?.anchor.size ?? 0) >= size ? anchorer.anchors.at(-1)! : undefined), 30_000, `an anchor of size ${size}`);
      await fetch(`${node.url}/ingest`, { method: 'POST', body: telemetry(10, 'D-r1'), headers: { 'content-type': 'application/x-ndjson' } });
      await anchoredUpTo((await ledger.checkpoint()).size);
      const snapshot = await anvilCall<string>(chain.anvil.url, 'evm_snapshot');
      await fetch(`${node.url}/ingest`, { method: 'POST', body: telemetry(10, 'D-r2'), headers: { 'content-type': 'application/x-ndjson' } });
      const doomed = await anchoredUpTo((await ledger.checkpoint()).size);

      // The chain goes back to before that anchor's block: its transaction is no longer on chain.
      expect(await anvilCall<boolean>(chain.anvil.url, 'evm_revert', [snapshot])).toBe(true);
      await waitFor(() => (!anchorer.anchors.some((e) => e.anchor.txHash === doomed.anchor.txHash) ? true : undefined), 30_000, 'the dropped anchor noticed');
      const again = await anchoredUpTo(doomed.anchor.size);
      expect(again.anchor.txHash).not.toBe(doomed.anchor.txHash);
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      expect(metricValue(metrics, 'vigil_anchor_reorg_dropped_total')).toBeGreaterThanOrEqual(1);
      const onChain = await fetchAnchors(createChainReader(chain.anvil.url), chain.contract, ledger.origin);
      expect(onChain.map((a) => a.txHash)).toEqual(anchorer.anchors.map((e) => e.anchor.txHash));
      expect(onChain.at(-1)!.size).toBeGreaterThanOrEqual(doomed.anchor.size);
    } finally {
      await node.stop();
      await chain.anvil.stop();
    }
  }, 120_000);
});
