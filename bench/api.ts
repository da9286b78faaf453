/**
 * API benchmark: 1,000,000 stored events and 10,000 incidents in the embedded store, then
 * - `api_incidents_p50_ms`, `api_incidents_p99_ms`: a filtered page of 50 incidents,
 * - `api_event_search_p99_ms`: a free-text search over events (a page of 50),
 * - `api_requests_per_s`: a simple query over real HTTP with keep-alive clients,
 * each through the whole GraphQL path (auth, parse, validate, limits, execute, JSON).
 * Events are written with direct batched store writes, as the ingest pipeline does.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApi, createToken, type VigilApi } from '../api/index.js';
import type { VigilEvent } from '../events/index.js';
import type { Alert, Incident, Severity } from '../detector/index.js';
import { SqliteStore } from '../store/index.js';
import type { BenchContext, Figures } from './main.js';

const EVENTS = Number(process.env['VIGIL_BENCH_API_EVENTS'] ?? 1_000_000);
const INCIDENTS = 10_000;
const T0 = Date.UTC(2025, 0, 1);
const USERS = ['admin', 'root', 'operator', 'guest', 'pi', 'ubnt', 'support', 'service'];
const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];

/** A deterministic pseudo-random sequence (mulberry32), so every run stores the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function event(i: number, r: () => number): VigilEvent {
  const ts = T0 + i * 50;
  const id = createHash('sha256').update(`bench-${i}`).digest('hex');
  const k = r();
  const base = { id, '@timestamp': new Date(ts).toISOString() };
  if (k < 0.7) {
    const v = `V-${String(Math.floor(r() * 5000)).padStart(4, '0')}`;
    return {
      ...base,
      event: { kind: 'event', category: ['network'], type: ['info'], action: 'bsm', dataset: 'vigil.bsm' },
      vigil: { kind: 'bsm', ts, entity: { id: v, type: 'vehicle' }, vehicle: { lat: 1.3 + r() / 10, lon: 103.8 + r() / 10, speed: r() * 30, heading: r() * 360, seq: i } },
      observer: { name: `RSU-${String(Math.floor(r() * 64)).padStart(2, '0')}`, type: 'rsu' },
    };
  }
  const d = `D-${Math.floor(r() * 2000)}`;
  if (k < 0.85) {
    return {
      ...base,
      event: { kind: 'event', category: ['host'], type: ['info'], action: 'telemetry', dataset: 'vigil.telemetry' },
      vigil: { kind: 'telemetry', ts, entity: { id: d, type: 'device' }, metrics: { temperature: 20 + r() * 5, humidity: 40 + r() * 10 } },
      device: { id: d },
    };
  }
  if (k < 0.95) {
    const src = `10.${Math.floor(r() * 4)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`;
    return {
      ...base,
      event: { kind: 'event', category: ['network'], type: ['connection'], action: 'flow', dataset: 'vigil.net' },
      vigil: { kind: 'net', ts, entity: { id: d, type: 'device' } },
      source: { ip: src },
      destination: { ip: '10.9.9.9', port: [23, 22, 80, 443, 1883][Math.floor(r() * 5)]! },
      network: { transport: 'tcp', bytes: Math.floor(r() * 10_000), packets: Math.floor(r() * 50) },
      device: { id: d },
    };
  }
  const user = USERS[Math.floor(r() * USERS.length)]!;
  const outcome = r() < 0.3 ? 'failure' : 'success';
  return {
    ...base,
    event: { kind: 'event', category: ['authentication'], type: ['start'], action: 'login', dataset: 'vigil.auth', outcome },
    vigil: { kind: 'auth', ts, entity: { id: d, type: 'device' } },
    user: { name: user },
    device: { id: d },
    message: `${outcome === 'failure' ? 'Failed' : 'Accepted'} password for ${user}`,
  };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

const round = (x: number): number => Math.round(x * 100) / 100;

/** 1,000,000 events (VIGIL_BENCH_API_EVENTS), 10,000 incidents and their 30,000 alerts; returns the seconds the events took. */
export function fillStore(store: SqliteStore, ctx: BenchContext): number {
  const r = rng(42);
  const started = performance.now();
  const BATCH = 20_000;
  for (let i = 0; i < EVENTS; i += BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(EVENTS, i + BATCH); j++) batch.push({ event: event(j, r), source: 'bench', receivedAt: T0 + j * 50 });
    store.writeBatch(batch, []);
    if ((i / BATCH) % 10 === 0) ctx.progress(`api: stored ${i + batch.length} events`);
  }
  const storeSeconds = (performance.now() - started) / 1000;
  ctx.progress(`api: ${EVENTS} events stored in ${storeSeconds.toFixed(1)} s`);

  const alerts: Alert[] = [];
  const incidents: Incident[] = [];
  for (let n = 0; n < INCIDENTS; n++) {
    const v = `V-${String(n % 5000).padStart(4, '0')}`;
    const mine: Alert[] = [];
    for (let k = 0; k < 3; k++) {
      const ts = T0 + Math.floor(r() * EVENTS * 50);
      const sev = SEVERITIES[Math.floor(r() * 4)]!;
      mine.push({
        id: createHash('sha256').update(`alert-${n}-${k}`).digest('hex'),
        ts,
        entity: { id: v, type: 'vehicle' },
        severity: sev,
        score: Math.floor(r() * 100),
        title: k % 2 ? 'Position jump beyond physical limits' : 'Replayed basic safety message',
        description: 'bench',
        origin: { type: 'rule', id: `rule-${n % 20}`, title: 'bench rule', hash: '0'.repeat(64) },
        tags: ['attack.t0830'],
        evidence: [createHash('sha256').update(`bench-${Math.floor(r() * EVENTS)}`).digest('hex')],
        category: k % 2 ? 'falsified_position' : 'replay',
        incidentId: `INC-${n}`,
      });
    }
    alerts.push(...mine);
    const rank = (s: Severity): number => SEVERITIES.indexOf(s);
    incidents.push({
      id: `INC-${n}`,
      entity: { id: v, type: 'vehicle' },
      title: `${mine[0]!.title} on ${v}`,
      status: (['open', 'acknowledged', 'resolved'] as const)[Math.floor(r() * 3)]!,
      severity: mine.reduce<Severity>((m, a) => (rank(a.severity) > rank(m) ? a.severity : m), 'low'),
      firstSeen: Math.min(...mine.map((a) => a.ts)),
      lastSeen: Math.max(...mine.map((a) => a.ts)),
      alertCount: 3,
      alertIds: mine.map((a) => a.id),
      categories: ['replay', 'falsified_position'],
    });
  }
  for (let i = 0; i < INCIDENTS; i += 1000) {
    store.saveDetectorOutput({ alerts: alerts.slice(i * 3, (i + 1000) * 3), incidents: incidents.slice(i, i + 1000) });
  }
  store.db.pragma('optimize');
  ctx.progress(`api: ${INCIDENTS} incidents and ${alerts.length} alerts stored`);

  return storeSeconds;
}

/** The bench's two queries: incident pages under five filters, and free-text searches from a seeded list of terms. */
export function queryPlan(): { incidentsQuery: string; filters: Array<Record<string, unknown>>; searchQuery: string; terms: () => string } {
  const incidentsQuery = `query($f: IncidentFilter, $after: String) { incidents(filter: $f, first: 50, after: $after) {
    edges { cursor node { id title status severity entity { id type } firstSeen lastSeen alertCount categories assignee } }
    pageInfo { hasNextPage endCursor } } }`;
  const filters = [
    { statuses: ['OPEN', 'ACKNOWLEDGED'], severities: ['HIGH', 'CRITICAL'] },
    { statuses: ['OPEN'] },
    { severities: ['CRITICAL'], time: { from: T0 + EVENTS * 25 } },
    { rule: 'rule-7' },
    { entityType: 'VEHICLE', statuses: ['OPEN', 'ACKNOWLEDGED'] },
  ];
  const searchQuery = `query($t: String!) { events(filter: { text: $t }, first: 50) { edges { node { id timestamp kind entity { id } message } } pageInfo { hasNextPage endCursor } } }`;
  const rs = rng(7);
  const terms = (): string => {
    const k = rs();
    if (k < 0.25) return `V-${String(Math.floor(rs() * 5000)).padStart(4, '0')}`;
    if (k < 0.45) return `D-${Math.floor(rs() * 2000)}`;
    if (k < 0.6) return `10.${Math.floor(rs() * 4)}.${Math.floor(rs() * 256)}.${Math.floor(rs() * 256)}`;
    if (k < 0.75) return `failed ${USERS[Math.floor(rs() * USERS.length)]}`;
    if (k < 0.9) return `RSU-${String(Math.floor(rs() * 64)).padStart(2, '0')}`;
    return `${USERS[Math.floor(rs() * USERS.length)]}`;
  };
  return { incidentsQuery, filters, searchQuery, terms };
}

/** Timings, milliseconds sorted, of `n` incident pages and `n` free-text searches through the whole GraphQL path. */
export async function measureQueries(api: VigilApi, token: string, n: number, warm = 50): Promise<{ incTimes: number[]; searchTimes: number[] }> {
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` };
  const post = async (query: string, variables: Record<string, unknown>): Promise<number> => {
    const t = performance.now();
    const res = await api.fetch('http://bench/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { errors?: unknown[] };
    if (body.errors) throw new Error(`bench query failed: ${JSON.stringify(body.errors)}`);
    return performance.now() - t;
  };
  const { incidentsQuery, filters, searchQuery, terms } = queryPlan();
  for (let i = 0; i < warm; i++) await post(incidentsQuery, { f: filters[i % filters.length] }); // warm-up
  const incTimes: number[] = [];
  for (let i = 0; i < n; i++) {
    const f = filters[i % filters.length];
    let after: string | undefined;
    if (i % 4 === 3) {
      // a later page, as a client paging would ask
      const res = await api.fetch('http://bench/graphql', { method: 'POST', headers, body: JSON.stringify({ query: incidentsQuery, variables: { f } }) });
      after = ((await res.json()) as { data: { incidents: { pageInfo: { endCursor: string } } } }).data.incidents.pageInfo.endCursor;
    }
    incTimes.push(await post(incidentsQuery, { f, after }));
  }
  incTimes.sort((a, b) => a - b);

  for (let i = 0; i < warm; i++) await post(searchQuery, { t: terms() });
  const searchTimes: number[] = [];
  for (let i = 0; i < n; i++) searchTimes.push(await post(searchQuery, { t: terms() }));
  searchTimes.sort((a, b) => a - b);

  return { incTimes, searchTimes };
}

export async function run(ctx: BenchContext): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-api-'));
  const store = SqliteStore.open({ dataDir: dir });
  try {
    const storeSeconds = fillStore(store, ctx);
    // One token drives every measured request, so its rate limit is lifted: the figures are the
    // server's cost per request (the limiter's check still runs on each), not the limit itself.
    const api = createApi({ store, tokens: store, limits: { rateLimit: Number.MAX_SAFE_INTEGER } });
    await api.readPool?.start();
    const { token } = createToken(store, { name: 'bench', role: 'analyst', createdBy: 'bench' });
    const { incTimes, searchTimes } = await measureQueries(api, token, 1000);
    ctx.progress(`api: incidents p99 ${percentile(incTimes, 99).toFixed(1)} ms, search p99 ${percentile(searchTimes, 99).toFixed(1)} ms`);

    const rps = await requestsPerSecond(api.handler, token, 5_000);
    const inline = createApi({ store, tokens: store, limits: { rateLimit: Number.MAX_SAFE_INTEGER }, readThreads: 0 });
    const compared = await threadsVersusInline(ctx, { threads: api, inline }, token);
    await api.readPool?.close();
    return {
      ...compared,
      api_events_stored: EVENTS,
      api_store_events_per_s: Math.round(EVENTS / storeSeconds),
      api_incidents_p50_ms: round(percentile(incTimes, 50)),
      api_incidents_p99_ms: round(percentile(incTimes, 99)),
      api_event_search_p50_ms: round(percentile(searchTimes, 50)),
      api_event_search_p99_ms: round(percentile(searchTimes, 99)),
      api_requests_per_s: Math.round(rps),
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Reads on the read thread against reads on the calling thread, the two interleaved for
 * BENCH_API_ROUNDS rounds (default 3, alternating which goes first) so that a shared
 * machine's drift hits both alike; per round the threads/inline ratios of p99 and of
 * requests per second, and their medians.
 */
async function threadsVersusInline(ctx: BenchContext, apis: { threads: VigilApi; inline: VigilApi }, token: string): Promise<Figures> {
  const rounds = Number(process.env.BENCH_API_ROUNDS ?? 3);
  const seen = { threads: { inc: [] as number[], search: [] as number[], rps: [] as number[] }, inline: { inc: [] as number[], search: [] as number[], rps: [] as number[] } };
  for (let r = 1; r <= rounds; r++) {
    for (const mode of r % 2 === 1 ? (['threads', 'inline'] as const) : (['inline', 'threads'] as const)) {
      const t = await measureQueries(apis[mode], token, 300, 20);
      seen[mode].inc.push(percentile(t.incTimes, 99));
      seen[mode].search.push(percentile(t.searchTimes, 99));
      seen[mode].rps.push(await requestsPerSecond(apis[mode].handler, token, 3_000));
    }
    ctx.progress(`api: round ${r}: threads/inline p99 incidents ${(seen.threads.inc[r - 1]! / seen.inline.inc[r - 1]!).toFixed(2)}, search ${(seen.threads.search[r - 1]! / seen.inline.search[r - 1]!).toFixed(2)}, req/s ${(seen.threads.rps[r - 1]! / seen.inline.rps[r - 1]!).toFixed(2)}`);
  }
  const figures: Figures = {};
  for (const k of ['inc', 'search', 'rps'] as const) {
    const name = { inc: 'incidents_p99', search: 'event_search_p99', rps: 'requests_per_s' }[k];
    const ratios = seen.threads[k].map((v, i) => v / seen.inline[k][i]!);
    ratios.forEach((q, i) => (figures[`api_threads_vs_inline_${name}_ratio_round${i + 1}`] = Number(q.toFixed(3))));
    figures[`api_threads_vs_inline_${name}_ratio_median`] = Number(median(ratios).toFixed(3));
    figures[`api_inline_${name}_median`] = round(median(seen.inline[k]));
    figures[`api_threads_${name}_median`] = round(median(seen.threads[k]));
  }
  return figures;
}

/**
 * Keep-alive HTTP clients posting a simple query for `ms` milliseconds. The clients run in a
 * worker thread, so the server's thread (the one the API really has) is measured alone.
 */
async function requestsPerSecond(handler: Parameters<typeof createServer>[1], token: string, ms: number): Promise<number> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const body = JSON.stringify({ query: '{ incident(id: "INC-42") { id status severity alertCount } }' });
  const worker = new Worker(CLIENT, { eval: true, workerData: { port, token, body, ms, connections: 32 } });
  const result = await new Promise<{ done: number; failed: number; seconds: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (result.failed > 0) throw new Error(`${result.failed} requests failed during the throughput run`);
  return result.done / result.seconds;
}

const CLIENT = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const { port, token, body, ms, connections } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: 'Bearer ' + token };
let done = 0, failed = 0;
const one = () => new Promise((resolve) => {
  const req = http.request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent, headers }, (res) => {
    res.resume();
    res.on('end', () => { if (res.statusCode === 200) done++; else failed++; resolve(); });
  });
  req.on('error', () => { failed++; resolve(); });
  req.end(body);
});
const start = performance.now();
const deadline = start + ms;
Promise.all(Array.from({ length: connections }, async () => { while (performance.now() < deadline) await one(); }))
  .then(() => parentPort.postMessage({ done, failed, seconds: (performance.now() - start) / 1000 }));
`;
