/**
 * full_node_http_events_per_s: HTTP NDJSON → validated → durably stored → scored by the
 * detector with a trained model, measured end to end against a real `vigil start` child
 * process, with the client here; ingest_events_per_s the same with the detector off.
 * *_loss: events sent minus events found in the store afterwards (must be 0).
 */
import { SqliteStore } from '../store/index.js';
import type { BenchContext, Figures } from './main.js';
import { benchBsm, benchDataDir, childCpuMs, cpuSince, cpuText, freePort, fullAndOffRounds, median, postIngestBodies, spawnBenchNode, waitHealthy } from './util.js';
import { prepareAuth } from './credentials.js';

const TOTAL = Number(process.env.BENCH_INGEST_EVENTS ?? 300_000);
const BATCH = 1_000;
const CONCURRENCY = Number(process.env.BENCH_INGEST_CONNECTIONS ?? 32);

/**
 * Two nodes, interleaved over BENCH_ROUNDS rounds (medians reported): the full node, as
 * `vigil start` runs with a trained model (every event also a ledger leaf and scored by the
 * detector on the same two cores), and one with the detector off (VIGIL_DETECTOR=false):
 * validated, stored and logged in the ledger, which is what "ingest" alone costs.
 * `*_cpu_us_per_event` is the node's CPU (all threads, /proc) per event: on a shared
 * machine, where wall-clock rates are noisy, the figure to compare. BENCH_INGEST_ONLY=1 runs
 * only the detector-off node, BENCH_FULL_NODE_ONLY=1 only the full one.
 */
export async function run(ctx: BenchContext): Promise<Figures> {
  const { full, off } = await fullAndOffRounds((label, env, model) => measure(ctx, label, env, false, { model }));
  return {
    ...(full.length > 0
      ? {
          full_node_http_events_per_s: median(full.map((m) => m.perSecond)),
          full_node_http_cpu_us_per_event: median(full.map((m) => m.cpuUs)),
          full_node_http_loss: full.reduce((n, m) => n + m.loss, 0),
        }
      : {}),
    ...(off.length > 0
      ? {
          ingest_events_per_s: median(off.map((m) => m.perSecond)),
          ingest_cpu_us_per_event: median(off.map((m) => m.cpuUs)),
          ingest_loss: off.reduce((n, m) => n + m.loss, 0),
        }
      : {}),
  };
}

export interface Measured {
  perSecond: number;
  loss: number;
  /** The node's CPU (all its threads) per event, microseconds. */
  cpuUs: number;
}

/** One node under the HTTP load; `auth`: sensor keys required and every post carrying one (bench/auth.ts). */
export async function measure(ctx: BenchContext, label: string, env: Record<string, string>, auth = false, opts: { model?: boolean } = {}): Promise<Measured> {
  const dataDir = await benchDataDir(ctx, 'ingest', opts.model);
  const port = await freePort();
  const credentials = auth ? await prepareAuth(dataDir) : undefined;
  const headers: Record<string, string> = { 'Content-Type': 'application/x-ndjson', ...(credentials ? { Authorization: `Bearer ${credentials.key}` } : {}) };
  const { child, stop } = spawnBenchNode(dataDir, port, ['--no-mqtt-broker', '--no-syslog', ...(credentials ? ['--config', credentials.configFile] : [])], env);
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
    const cpu0 = childCpuMs(child.pid!);
    const t0 = performance.now();
    const { stored, retries } = await postIngestBodies(port, bodies, CONCURRENCY, headers);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSince(child.pid!, cpu0);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const store = SqliteStore.open({ dataDir });
    const count = store.countEvents();
    store.close();
    ctx.progress(`ingest (${label}): ${TOTAL} sent, ${stored} acknowledged, ${count} in the store, ${retries} retries after 429, ${seconds.toFixed(2)} s; ${cpuText(cpu)}`);
    return { perSecond: Math.round(TOTAL / seconds), loss: TOTAL - count, cpuUs: Math.round((cpu.all * 1000) / TOTAL) };
  } finally {
    await stop();
  }
}


