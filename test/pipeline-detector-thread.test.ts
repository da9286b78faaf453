import { afterEach, describe, expect, it } from 'vitest';
import { VigilNode } from '../pipeline/node.js';
import { configFromFlags, loadConfig, resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { SqliteStore, type Page, type PageRequest } from '../store/index.js';
import { tempDir, waitFor } from './helpers.js';

const T0 = 1_767_225_600_000;
const M = 1 / 111_195;

/** City traffic with known findings: telnet scans, a teleporting vehicle, an honest one, password guessing. */
function cityLines(): string[] {
  const rows: Array<{ ts: number; line: string }> = [];
  const add = (o: Record<string, unknown> & { ts: number }) => rows.push({ ts: o.ts, line: JSON.stringify(o) });
  for (let d = 0; d < 4; d++) {
    for (let i = 0; i < 40; i++) add({ kind: 'net', device: `D-${d}`, ts: T0 + d * 7 + i * 50, src: '10.1.0.7', dst: `203.0.${d}.${i}`, dport: i % 10 === 0 ? 2323 : 23, proto: 'tcp', bytes: 60, packets: 1 });
  }
  for (let i = 0; i < 120; i++) {
    add({ kind: 'bsm', vehicle: 'V-OK', ts: T0 + i * 100, lat: 1.35 + 12 * (i / 10) * M, lon: 103.82, speed: 12, heading: 0, accel: 0, seq: i });
    add({ kind: 'bsm', vehicle: 'V-BAD', ts: T0 + 3 + i * 100, lat: 1.35 + ((i * 7919) % 2000) * M, lon: 103.83, speed: 12, heading: 0, seq: i });
  }
  for (let i = 0; i < 30; i++) add({ kind: 'auth', device: 'D-9', ts: T0 + 11 + i * 400, user: i % 3 === 0 ? 'root' : 'admin', outcome: 'failure' });
  return rows.sort((a, b) => a.ts - b.ts).map((r) => r.line);
}

async function post(url: string, lines: readonly string[]): Promise<void> {
  const res = await fetch(`${url}/ingest`, { method: 'POST', body: lines.join('\n'), headers: { 'Content-Type': 'application/x-ndjson' } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function everything<T>(search: (page: PageRequest) => Page<T>): T[] {
  const out: T[] = [];
  let after: string | undefined;
  for (;;) {
    const page = search({ first: 1000, ...(after !== undefined ? { after } : {}) });
    for (const e of page.edges) out.push(e.node);
    if (!page.hasNextPage || page.edges.length === 0) return out;
    after = page.edges.at(-1)!.cursor;
  }
}

/** What the store holds of the detector's findings, in a form two nodes can be compared by. */
function findings(dataDir: string) {
  const store = SqliteStore.open({ dataDir });
  try {
    const alerts = everything((page) => store.searchAlerts({}, page));
    const incidents = everything((page) => store.searchIncidents({}, page)).map((n) => n.incident);
    return {
      alerts: alerts.map((a) => `${a.id} ${a.entity.id} ${a.title} ${a.incidentId ?? '-'}`).sort(),
      incidents: incidents.map((i) => `${i.id} ${i.entity.id} ${i.alertCount} ${i.severity} ${[...i.alertIds].sort().join(',')}`).sort(),
      entities: new Set(alerts.map((a) => a.entity.id)),
    };
  } finally {
    store.close();
  }
}

describe('the detector on its own thread (detector.thread)', () => {
  it('is the default, and inline is chosen by VIGIL_DETECTOR_THREAD or --detector-thread; anything else fails naming the option', () => {
    const tmp = tempDir();
    try {
      expect(loadConfig({ cwd: tmp.dir, env: {} }).detector.thread).toBe('worker');
      expect(loadConfig({ cwd: tmp.dir, env: { VIGIL_DETECTOR_THREAD: 'inline' } }).detector.thread).toBe('inline');
      const flags = configFromFlags({ detectorThread: 'inline' }, (o) => o === 'detectorThread');
      expect(loadConfig({ cwd: tmp.dir, env: { VIGIL_DETECTOR_THREAD: 'worker' }, flags }).detector.thread).toBe('inline');
      expect(() => loadConfig({ cwd: tmp.dir, env: { VIGIL_DETECTOR_THREAD: 'gpu' } })).toThrow(/detector\.thread/);
    } finally {
      tmp.cleanup();
    }
  });

  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  async function runNode(thread: 'worker' | 'inline', feed: (node: VigilNode) => Promise<void>): Promise<{ dataDir: string; node: VigilNode }> {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, detector: { thread } }), { logger: silentLogger() });
    try {
      expect(node.analysis!.detectorThread !== undefined).toBe(thread === 'worker');
      await feed(node);
    } finally {
      await node.stop();
    }
    return { dataDir: tmp.dir, node };
  }

  it('raises the same alerts and incidents as the inline detector on the same input over HTTP', async () => {
    const bodies = chunks(cityLines(), 50);
    // One request at a time: each is one committed batch, so both detectors see the same batches.
    const feed = async (node: VigilNode) => {
      for (const body of bodies) await post(node.url, body);
    };
    const inline = findings((await runNode('inline', feed)).dataDir);
    const worker = findings((await runNode('worker', feed)).dataDir);
    expect(inline.alerts.length).toBeGreaterThan(5);
    expect(inline.incidents.length).toBeGreaterThan(2);
    expect([...inline.entities].sort()).toEqual(expect.arrayContaining(['D-0', 'D-9', 'V-BAD']));
    expect(worker.alerts).toEqual(inline.alerts);
    expect(worker.incidents).toEqual(inline.incidents);
  }, 120_000);

  it('loses no detection when its thread is terminated while batches are unanswered', async () => {
    // Each device probes telnet once: one alert per device, whatever the batching or the detector's history.
    const devices = Array.from({ length: 300 }, (_, i) => `P-${i}`);
    const lines = devices.map((device, i) => JSON.stringify({ kind: 'net', device, ts: T0 + i, src: '10.1.0.7', dst: `203.0.113.${i % 250}`, dport: 23, proto: 'tcp', bytes: 60, packets: 1 }));
    const bodies = chunks(lines, 10);
    let pendingAtKill = 0;
    let restarts = 0;
    const { dataDir } = await runNode('worker', async (node) => {
      const thread = node.analysis!.detectorThread!;
      await post(node.url, bodies[0]!);
      const rest = Promise.all(bodies.slice(1).map((b) => post(node.url, b)));
      pendingAtKill = await waitFor(() => (thread.pending > 0 ? thread.pending : undefined), 20_000, 'a batch sent to the detector thread and not yet answered');
      await thread.kill();
      await rest;
      await waitFor(() => (thread.restarts > 0 && thread.pending === 0 ? true : undefined), 60_000, 'the restarted thread to answer every batch');
      restarts = thread.restarts;
    });
    expect(pendingAtKill).toBeGreaterThan(0);
    expect(restarts).toBeGreaterThanOrEqual(1);
    const found = findings(dataDir);
    expect([...found.entities].sort()).toEqual([...devices].sort());
    // Re-scored batches the store already had are not stored twice (alert ids are content hashes).
    expect(new Set(found.alerts.map((a) => a.split(' ')[0])).size).toBe(found.alerts.length);
  }, 120_000);
});
