/**
 * ingest_events_per_s: HTTP NDJSON → validated → durably stored, measured end to end
 * against a real `vigil start` child process (its own core), with the client here.
 * ingest_loss: events sent minus events found in the store afterwards (must be 0).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteStore } from '../store/index.js';
import type { BenchContext, Figures } from './main.js';
import { benchBsm, freePort, postIngestBodies, waitHealthy } from './util.js';
import { prepareAuth } from './credentials.js';

const TOTAL = Number(process.env.BENCH_INGEST_EVENTS ?? 300_000);
const BATCH = 1_000;
const CONCURRENCY = Number(process.env.BENCH_INGEST_CONNECTIONS ?? 32);

/**
 * Two nodes: one as `vigil start` runs (every event also a ledger leaf and scored by the
 * detector on the same two cores), and one with the detector off (VIGIL_DETECTOR=false):
 * validated, stored and logged in the ledger, which is what "ingest" alone costs.
 */
export async function run(ctx: BenchContext): Promise<Figures> {
  const full = await measure(ctx, 'full node', {});
  const ingestOnly = await measure(ctx, 'detector off', { VIGIL_DETECTOR: 'false' });
  return {
    ingest_events_per_s: ingestOnly.perSecond,
    ingest_loss: ingestOnly.loss + full.loss,
    ingest_full_node_events_per_s: full.perSecond,
  };
}

/** One node under the HTTP load; `auth`: sensor keys required and every post carrying one (bench/auth.ts). */
export async function measure(ctx: BenchContext, label: string, env: Record<string, string>, auth = false): Promise<{ perSecond: number; loss: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-ingest-'));
  const port = await freePort();
  const credentials = auth ? await prepareAuth(dataDir) : undefined;
  const headers: Record<string, string> = { 'Content-Type': 'application/x-ndjson', ...(credentials ? { Authorization: `Bearer ${credentials.key}` } : {}) };
  const bin = resolve(import.meta.dirname, '../bin/vigil.js');
  // BENCH_PROFILE=dir writes a CPU profile per thread of the node (--cpu-prof is refused in NODE_OPTIONS).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, bin, 'start', '--data-dir', dataDir, '--port', String(port), '--no-mqtt-broker', '--no-syslog', ...(credentials ? ['--config', credentials.configFile] : [])], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, VIGIL_LOG_LEVEL: 'warn', ...env },
  });
  try {
    await waitHealthy(port, 120_000);
    const now = Date.now();
    const bodies: string[] = [];
    for (let b = 0; b < TOTAL / BATCH; b++) {
      const lines: string[] = new Array(BATCH);
      for (let i = 0; i < BATCH; i++) {
        const n = b * BATCH + i;
        lines[i] = benchBsm(n, now);
      }
      bodies.push(lines.join('\n'));
    }
    ctx.progress(`ingest (${label}): sending ${TOTAL} events in batches of ${BATCH} over ${CONCURRENCY} connections`);
    const t0 = performance.now();
    const { stored, retries } = await postIngestBodies(port, bodies, CONCURRENCY, headers);
    const seconds = (performance.now() - t0) / 1000;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const store = SqliteStore.open({ dataDir });
    const count = store.countEvents();
    store.close();
    ctx.progress(`ingest (${label}): ${TOTAL} sent, ${stored} acknowledged, ${count} in the store, ${retries} retries after 429, ${seconds.toFixed(2)} s`);
    return { perSecond: Math.round(TOTAL / seconds), loss: TOTAL - count };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}


