/**
 * The API's p99 while the node ingests at full speed (#20: GraphQL incidents and search
 * p99 ≤ 100 ms while the node ingests), against the same node idle, in one interleaved run:
 * `npm run bench -- --only api-load [--json]`.
 *
 * A real node (`VigilNode`, detector off so ingest runs at its fastest) over the API
 * bench's store (bench/api.ts `fillStore`: VIGIL_BENCH_API_EVENTS events, 10,000 incidents),
 * its API asked over HTTP by a client on another thread, once with its reads on the read
 * thread (the default) and once through a second API on the same store reading on the main
 * thread. The
 * ingest load is BSM bodies posted to /ingest from a worker thread (its own event loop) over
 * 8 keep-alive connections. BENCH_API_ROUNDS rounds (default 3) alternate the order of
 * idle/ingesting and threads/inline, so a shared machine's drift hits all four alike; the
 * figures are medians over the rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { createApi, createToken, type VigilApi } from '../api/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { SqliteStore } from '../store/index.js';
import { fillStore, percentile, queryPlan } from './api.js';
import type { BenchContext, Figures } from './main.js';
import { freePort } from './util.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number): number => Math.round(x * 100) / 100;

type Mode = 'threads' | 'inline';
type Load = 'idle' | 'ingesting';

export async function run(ctx: BenchContext): Promise<Figures> {
  const rounds = Number(process.env.BENCH_API_ROUNDS ?? 3);
  const queries = Number(process.env.BENCH_API_LOAD_QUERIES ?? 300);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-api-load-'));
  let node: VigilNode | undefined;
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const seed = SqliteStore.open({ dataDir: dir });
    fillStore(seed, ctx);
    const { token } = createToken(seed, { name: 'bench', role: 'analyst', createdBy: 'bench', lifetimeMs: null });
    seed.close();
    const port = await freePort();
    const limits = { rateLimit: Number.MAX_SAFE_INTEGER };
    ctx.progress('api-load: starting the node (its ledger takes in the stored events first)');
    node = await VigilNode.start(resolveConfig({ dataDir: dir, api: { port, limits }, detector: { enabled: false } }), { logger: silentLogger() });
    const apis: Record<Mode, VigilApi> = { threads: node.analysis!.api, inline: createApi({ store: node.store, tokens: node.store, limits, readThreads: 0 }) };
    await apis.threads.readPool?.start();
    // Each API on a port of its own, asked over HTTP by a client on another thread: a query
    // then waits for the node's event loop as a real client's does (in process, a chain of
    // queries would run back to back in microtasks and never queue behind ingest).
    const servers = { threads: createServer(apis.threads.handler), inline: createServer(apis.inline.handler) };
    const ports = {} as Record<Mode, number>;
    for (const mode of ['threads', 'inline'] as const) {
      await new Promise<void>((res) => servers[mode].listen(0, '127.0.0.1', res));
      ports[mode] = (servers[mode].address() as AddressInfo).port;
    }
    cleanup.push(() => Promise.all(Object.values(servers).map((srv) => new Promise<void>((res) => { srv.closeAllConnections(); srv.close(() => res()); }))).then(() => {}));
    const plans = queryPlan();
    // Warm both: the first queries read pages cold.
    for (const mode of ['threads', 'inline'] as const) await timedOverHttp(ports[mode], token, plans, 20);
    const p99: Record<string, number[]> = {};
    const rates: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      for (const load of r % 2 === 1 ? (['idle', 'ingesting'] as const) : (['ingesting', 'idle'] as const)) {
        const gen = load === 'ingesting' ? startIngestLoad(port) : undefined;
        if (gen) await new Promise((res) => setTimeout(res, 1_000)); // at full speed before measuring
        for (const mode of r % 2 === 1 ? (['threads', 'inline'] as const) : (['inline', 'threads'] as const)) {
          const t = await timedOverHttp(ports[mode], token, plans, queries);
          (p99[`${mode}_${load}_incidents`] ??= []).push(percentile(t.incidents, 99));
          (p99[`${mode}_${load}_search`] ??= []).push(percentile(t.search, 99));
        }
        if (gen) rates.push(await gen.stop());
      }
      ctx.progress(`api-load: round ${r}: ${Object.entries(p99).map(([k, v]) => `${k} ${v[r - 1]!.toFixed(1)}`).join(', ')} ms; ingest ${Math.round(rates[r - 1]!)} events/s`);
    }
    const figures: Figures = { api_load_events_stored: node.store.countEvents() };
    for (const mode of ['threads', 'inline'] as const) {
      for (const load of ['idle', 'ingesting'] as Load[]) {
        figures[`api_load_${mode}_${load}_incidents_p99_ms`] = round(median(p99[`${mode}_${load}_incidents`]!));
        figures[`api_load_${mode}_${load}_search_p99_ms`] = round(median(p99[`${mode}_${load}_search`]!));
      }
    }
    figures['api_load_ingest_events_per_s'] = Math.round(median(rates));
    return figures;
  } finally {
    for (const c of cleanup) await c();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `n` incident pages and `n` searches, one at a time over one keep-alive connection from a worker thread; sorted milliseconds. */
async function timedOverHttp(port: number, token: string, plan: ReturnType<typeof queryPlan>, n: number): Promise<{ incidents: number[]; search: number[] }> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) bodies.push(JSON.stringify({ query: plan.incidentsQuery, variables: { f: plan.filters[i % plan.filters.length] } }));
  for (let i = 0; i < n; i++) bodies.push(JSON.stringify({ query: plan.searchQuery, variables: { t: plan.terms() } }));
  const worker = new Worker(ASK, { eval: true, workerData: { port, token, bodies } });
  const r = await new Promise<{ times: number[]; failed: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  if (r.failed > 0) throw new Error(`${r.failed} API queries failed`);
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  return { incidents: sorted(r.times.slice(0, n)), search: sorted(r.times.slice(n)) };
}

const ASK = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const { port, token, bodies } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let failed = 0;
const one = (body) => new Promise((resolve) => {
  const t = performance.now();
  const req = http.request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: 'Bearer ' + token } }, (res) => {
    let text = '';
    res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => {
      if (res.statusCode !== 200 || text.includes('"errors"')) failed++;
      resolve(performance.now() - t);
    });
  });
  req.on('error', () => { failed++; resolve(0); });
  req.end(body);
});
(async () => {
  const times = [];
  for (const b of bodies) times.push(await one(b));
  parentPort.postMessage({ times, failed });
})();
`;

/** Posts BSM bodies to /ingest from a worker thread until stopped; resolves to the events per second it got stored. */
function startIngestLoad(port: number): { stop(): Promise<number> } {
  const worker = new Worker(LOAD, { eval: true, workerData: { port, connections: 8, lines: 1000 } });
  const done = new Promise<{ stored: number; seconds: number; failed: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const r = await done;
      await worker.terminate();
      if (r.failed > 0) throw new Error(`${r.failed} ingest posts failed during the load`);
      return r.stored / r.seconds;
    },
  };
}

const LOAD = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const { port, connections, lines } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
let n = 0, stored = 0, failed = 0, stopping = false;
parentPort.on('message', () => (stopping = true));
const now = Date.now();
const bsm = (i) => JSON.stringify({ kind: 'bsm', vehicle: 'L-' + (i % 1000), ts: now - 3600000 + (i % 3000000), lat: 1.3 + (i % 997) * 1e-5, lon: 103.8 + (i % 991) * 1e-5, speed: 10 + (i % 13), heading: i % 360, seq: i, rsu: 'RSU-' + (i % 40) });
const body = () => { const out = []; for (let k = 0; k < lines; k++) out.push(bsm(n++)); return out.join('\\n'); };
const one = () => new Promise((resolve) => {
  const b = body();
  const req = http.request({ host: '127.0.0.1', port, path: '/ingest', method: 'POST', agent, headers: { 'Content-Type': 'application/x-ndjson', 'Content-Length': Buffer.byteLength(b) } }, (res) => {
    let text = '';
    res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => {
      if (res.statusCode === 200) stored += JSON.parse(text).accepted;
      else if (res.statusCode === 429) setTimeout(resolve, 20);
      else failed++;
      if (res.statusCode !== 429) resolve();
    });
  });
  req.on('error', () => { failed++; resolve(); });
  req.end(b);
});
const start = performance.now();
Promise.all(Array.from({ length: connections }, async () => { while (!stopping) await one(); }))
  .then(() => parentPort.postMessage({ stored, failed, seconds: (performance.now() - start) / 1000 }));
`;
