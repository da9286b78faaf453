/**
 * The API's p99 while the node ingests at full speed (#20: GraphQL incidents and search
 * p99 ≤ 100 ms while the node ingests), against the same node idle, in one interleaved run:
 * `npm run bench -- --only api-load [--json]`.
 *
 * Two real nodes (`VigilNode`) in turn over the API bench's store (bench/api.ts `fillStore`:
 * VIGIL_BENCH_API_EVENTS events, 10,000 incidents): first the full node as users run it (the
 * detector on its own thread with a model trained on simulated normal traffic; keys
 * `full_node_api_*` and `api_load_full_node_*`), then one with the detector off (the older,
 * secondary keys `api_load_*`). Each node's API is asked over HTTP by a client on another
 * thread, once with its reads on the read thread (the default) and once through a second API
 * on the same store reading on the main thread. The ingest load is BSM bodies posted to
 * /ingest from a worker thread (its own event loop) over 8 keep-alive connections.
 * BENCH_API_ROUNDS rounds (default 3) alternate the order of idle/ingesting and
 * threads/inline, so a shared machine's drift hits all four alike; the figures are medians
 * over the rounds. The full node's rounds and the detector-off node's are not interleaved
 * (one node at a time on the store): compare those two by the ratios to their own idle
 * figures. BENCH_API_LOAD_NODES=full or =off runs one of them.
 *
 * Then, on the full node, `/healthz` latency (#16: heavy work must not block ingest) probed
 * every 20 ms from another thread, idle and while an abusive client on 4 connections sends
 * full-text searches of words in most events, counts over all events and documents the
 * limits refuse.
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
import { freePort, installTrainedModel } from './util.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number): number => Math.round(x * 100) / 100;

type Mode = 'threads' | 'inline';
type Load = 'idle' | 'ingesting';
type Variant = 'full' | 'off';

export async function run(ctx: BenchContext): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-api-load-'));
  const variants = (process.env.BENCH_API_LOAD_NODES ?? 'full,off').split(',') as Variant[];
  try {
    const seed = SqliteStore.open({ dataDir: dir });
    fillStore(seed, ctx);
    const { token } = createToken(seed, { name: 'bench', role: 'analyst', createdBy: 'bench', lifetimeMs: null });
    seed.close();
    const figures: Figures = {};
    if (variants.includes('full')) {
      await installTrainedModel(dir, (m) => ctx.progress(`api-load: ${m}`));
      Object.assign(figures, await measureNode(ctx, dir, token, 'full'));
    }
    if (variants.includes('off')) Object.assign(figures, await measureNode(ctx, dir, token, 'off'));
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One node on `dir`: its API's p99 idle and ingesting, threads and inline; for the full node, /healthz under abuse too. */
async function measureNode(ctx: BenchContext, dir: string, token: string, variant: Variant): Promise<Figures> {
  const rounds = Number(process.env.BENCH_API_ROUNDS ?? 3);
  const queries = Number(process.env.BENCH_API_LOAD_QUERIES ?? 300);
  const label = variant === 'full' ? 'full' : 'detector-off';
  let node: VigilNode | undefined;
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const port = await freePort();
    const limits = { rateLimit: Number.MAX_SAFE_INTEGER };
    ctx.progress(`api-load: starting the ${label} node (its ledger takes in the stored events first)`);
    node = await VigilNode.start(resolveConfig({ dataDir: dir, api: { port, limits }, detector: { enabled: variant === 'full' } }), { logger: silentLogger() });
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
    const p50: Record<string, number[]> = {};
    const rates: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      for (const load of r % 2 === 1 ? (['idle', 'ingesting'] as const) : (['ingesting', 'idle'] as const)) {
        const gen = load === 'ingesting' ? startIngestLoad(port) : undefined;
        if (gen) await new Promise((res) => setTimeout(res, 1_000)); // at full speed before measuring
        for (const mode of r % 2 === 1 ? (['threads', 'inline'] as const) : (['inline', 'threads'] as const)) {
          const t = await timedOverHttp(ports[mode], token, plans, queries);
          for (const q of ['incidents', 'search'] as const) {
            (p99[`${mode}_${load}_${q}`] ??= []).push(percentile(t[q], 99));
            (p50[`${mode}_${load}_${q}`] ??= []).push(percentile(t[q], 50));
          }
        }
        if (gen) rates.push(await gen.stop());
      }
      ctx.progress(`api-load (${label}): round ${r}: p99 ${Object.entries(p99).map(([k, v]) => `${k} ${v[r - 1]!.toFixed(1)}`).join(', ')} ms; ingest ${Math.round(rates[r - 1]!)} events/s`);
    }
    const prefix = variant === 'full' ? 'api_load_full_node_' : 'api_load_';
    const figures: Figures = {};
    if (variant === 'full') {
      // The headline (bench/main.ts puts full_node_ keys first): the default API, reads on the read thread.
      figures['full_node_api_ingesting_incidents_p99_ms'] = round(median(p99['threads_ingesting_incidents']!));
      figures['full_node_api_ingesting_search_p99_ms'] = round(median(p99['threads_ingesting_search']!));
      figures['full_node_api_ingest_events_per_s'] = Math.round(median(rates));
    }
    figures[`${prefix}events_stored`] = node.store.countEvents();
    for (const mode of ['threads', 'inline'] as const) {
      for (const load of ['idle', 'ingesting'] as Load[]) {
        for (const q of ['incidents', 'search'] as const) {
          figures[`${prefix}${mode}_${load}_${q}_p99_ms`] = round(median(p99[`${mode}_${load}_${q}`]!));
          figures[`${prefix}${mode}_${load}_${q}_p50_ms`] = round(median(p50[`${mode}_${load}_${q}`]!));
        }
      }
    }
    figures[`${prefix}ingest_events_per_s`] = Math.round(median(rates));
    if (variant === 'full') Object.assign(figures, await healthzUnderAbuse(ctx, port, token));
    return figures;
  } finally {
    for (const c of cleanup) await c();
    await node?.stop();
  }
}

/** /healthz p50, p99 and worst, idle and under an abusive client, BENCH_API_ABUSE_MS (default 8000) each. */
async function healthzUnderAbuse(ctx: BenchContext, port: number, token: string): Promise<Figures> {
  const ms = Number(process.env.BENCH_API_ABUSE_MS ?? 8_000);
  const idle = await probeHealthz(port, ms);
  const abuser = new Worker(ABUSE, { eval: true, workerData: { port, token, ms: ms + 1_000, connections: 4, bodies: abusiveBodies() } });
  const codes = new Promise<Record<string, number>>((resolve, reject) => {
    abuser.once('message', resolve);
    abuser.once('error', reject);
  });
  await new Promise((res) => setTimeout(res, 500));
  const abused = await probeHealthz(port, ms);
  const answers = await codes;
  await abuser.terminate();
  ctx.progress(`api-load: /healthz idle p99 ${percentile(idle, 99).toFixed(1)} ms, under abuse p99 ${percentile(abused, 99).toFixed(1)} ms (worst ${abused.at(-1)!.toFixed(1)}); the abuser's answers ${JSON.stringify(answers)}`);
  const figures: Figures = {};
  for (const [name, t] of [['idle', idle], ['abuse', abused]] as const) {
    figures[`api_load_healthz_${name}_p50_ms`] = round(percentile(t, 50));
    figures[`api_load_healthz_${name}_p99_ms`] = round(percentile(t, 99));
    figures[`api_load_healthz_${name}_max_ms`] = round(t.at(-1)!);
  }
  figures['api_load_abuse_requests'] = Object.values(answers).reduce((a, b) => a + b, 0);
  return figures;
}

/** Searches of words in most stored events, counts over all of them, and documents the limits refuse (a fragment fan-out, an alias storm). */
function abusiveBodies(): string[] {
  let fan = 'query { incidents(first: 1) { edges { node { ...F0 } } } }\n';
  for (let i = 0; i < 40; i++) fan += `fragment F${i} on Incident { id ...F${i + 1} ...F${i + 1} }\n`;
  fan += 'fragment F40 on Incident { id title }\n';
  return [
    JSON.stringify({ query: '{ events(filter: { text: "password" }, first: 100) { totalCount edges { node { id message } } } }' }),
    JSON.stringify({ query: '{ events(filter: { kinds: [BSM] }, first: 100) { totalCount edges { node { id } } } }' }),
    JSON.stringify({ query: '{ alerts(first: 100) { totalCount edges { node { id } } } }' }),
    JSON.stringify({ query: fan }),
    JSON.stringify({ query: `{ ${Array.from({ length: 6000 }, (_, i) => `a${i}: me { name }`).join(' ')} }` }),
  ];
}

/** GET /healthz every 20 ms for `ms` from a worker thread; sorted milliseconds. */
async function probeHealthz(port: number, ms: number): Promise<number[]> {
  const worker = new Worker(PROBE, { eval: true, workerData: { port, ms } });
  const times = await new Promise<number[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  if (times.length === 0) throw new Error('/healthz never answered');
  return times.sort((a, b) => a - b);
}

const PROBE = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const { port, ms } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const one = () => new Promise((resolve, reject) => {
  const t = performance.now();
  http.get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
    res.resume().on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error('/healthz answered ' + res.statusCode))));
  }).on('error', reject);
});
(async () => {
  const times = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    times.push(await one());
    await new Promise((r) => setTimeout(r, 20));
  }
  parentPort.postMessage(times);
})();
`;

const ABUSE = `
const { workerData, parentPort } = require('node:worker_threads');
const { port, token, ms, bodies, connections } = workerData;
const codes = {};
const end = Date.now() + ms;
async function loop(k) {
  for (let i = k; Date.now() < end; i++) {
    try {
      const res = await fetch('http://127.0.0.1:' + port + '/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token }, body: bodies[i % bodies.length] });
      const body = await res.json().catch(() => ({}));
      const c = res.status + ':' + (body.errors?.[0]?.extensions?.code ?? 'ok');
      codes[c] = (codes[c] ?? 0) + 1;
    } catch (e) {
      codes.error = (codes.error ?? 0) + 1;
    }
  }
}
Promise.all(Array.from({ length: connections }, (_, k) => loop(k))).then(() => parentPort.postMessage(codes));
`;

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
