import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../detector/index.js';
import { Ledger } from '../ledger/index.js';
import { AlertFolder } from '../pipeline/alert-fold.js';
import { DetectorOutputWriter } from '../pipeline/detector-output.js';
import { silentLogger } from '../pipeline/logger.js';
import { createMetrics } from '../pipeline/metrics.js';
import { WorkerStoreWriter } from '../pipeline/store-writer.js';
import { SqliteStore } from '../store/index.js';
import { bsm, makeAlert, makeIncident, reputation, T0 } from './api-fixtures.js';
import { metricValue, tempDir, waitFor } from './helpers.js';

async function ledgeredIds(ledger: Ledger): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < ledger.size; i++) {
    const e = await ledger.entry(i);
    if (e.type === 'alert') out.set(String(e.body['id']), e.body);
  }
  return out;
}

describe('detector output under a busy store', () => {
  const tmp = tempDir();
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  async function open(busyTimeoutMs?: number, foldMs = 0, via?: WorkerStoreWriter) {
    const store = SqliteStore.open({ dataDir: tmp.dir, now: () => T0, ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}) });
    const ledger = await Ledger.open({ dir: join(tmp.dir, 'ledger'), checkpointEvery: 1_000_000, checkpointIntervalMs: 3_600_000, clock: () => T0 });
    closers.push(() => store.close(), () => ledger.close());
    const metrics = createMetrics({ defaultMetrics: false });
    const published: string[] = [];
    const writer = new DetectorOutputWriter({
      store: via ?? store, ledger, metrics, logger: silentLogger(), folder: new AlertFolder({ windowMs: foldMs, listLimit: 100 }), retryMs: 5, maxRetryMs: 20,
      published: (saved) => published.push(...saved.newAlerts.map((a) => a.id)),
    });
    return { store, ledger, metrics, writer, published };
  }

  it('waits out a lock held past busy_timeout: queues, retries, counts, then stores and ledgers all of it in order', async () => {
    const { store, ledger, metrics, writer, published } = await open(10);
    const other = new Database(join(tmp.dir, 'vigil.db'));
    closers.push(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    const first = [makeAlert(1), makeAlert(2)];
    writer.push({ alerts: first, incidents: [makeIncident(1, first)], reputation: [reputation('V-0001', T0, 0.5)] });
    // an incident update that brings no new alert: it must not overtake the first output
    writer.push({ alerts: [], incidents: [makeIncident(1, [...first, makeAlert(51)])], reputation: [] });
    expect(store.getAlert(first[0]!.id)).toBeUndefined();
    expect(writer.queued).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 60));
    other.exec('COMMIT');
    await waitFor(() => (writer.queued === 0 ? true : undefined), 5_000, 'the queued output to be written');
    expect(metricValue(await metrics.registry.metrics(), 'vigil_detector_output_retries_total', { reason: 'busy' })).toBeGreaterThanOrEqual(1);
    expect(store.getAlerts(first.map((a) => a.id)).map((a) => a.id)).toEqual(first.map((a) => a.id));
    expect(store.getIncident('INC-000001')).toMatchObject({ version: 1, incident: { alertCount: 3 } });
    expect(store.reputationHistory('V-0001', {}, 10)).toHaveLength(1);
    expect([...(await ledgeredIds(ledger)).keys()]).toEqual(first.map((a) => a.id));
    expect(published).toEqual(first.map((a) => a.id));
  });

  it.each(['through the node\'s own connection', 'through the writer thread, in its transactions'])('stores and ledgers every alert and incident while the store writer thread commits ingest batches, %s', async (path) => {
    const viaThread = path.includes('thread');
    const ingest = new WorkerStoreWriter({ dataDir: tmp.dir });
    closers.push(() => ingest.close());
    await ingest.start();
    const { store, ledger, writer, metrics } = await open(undefined, 0, viaThread ? ingest : undefined);
    let loading = true;
    const load = (async () => {
      for (let b = 0; loading; b++) {
        const events = Array.from({ length: 500 }, (_, i) => ({ event: bsm(`V-${i}`, T0 + b * 500 + i), source: 'test', receivedAt: T0 }));
        await ingest.writeBatch(events, []);
      }
    })();
    const alerts: Alert[] = [];
    for (let batch = 0; batch < 200; batch++) {
      const mine = Array.from({ length: 3 }, (_, i) => makeAlert(batch * 3 + i, { id: `alert-${batch}-${i}`, entity: { id: `D-${batch}`, type: 'device' } }));
      alerts.push(...mine);
      writer.push({ alerts: mine, incidents: [makeIncident(batch, mine)], reputation: [] });
      // half the batches also update an earlier incident without raising an alert
      if (batch % 2 === 1) writer.push({ alerts: [], incidents: [makeIncident(batch - 1, alerts.slice((batch - 1) * 3, batch * 3), { alertCount: 4 })], reputation: [] });
      await new Promise((r) => setImmediate(r));
    }
    await writer.drain();
    // BEGIN IMMEDIATE waits for the writer thread's lock; a deferred transaction got SQLITE_BUSY here
    expect(metricValue(await metrics.registry.metrics(), 'vigil_detector_output_retries_total')).toBe(0);
    loading = false;
    await load;
    expect(store.countEvents()).toBeGreaterThan(0);
    expect(store.getAlerts(alerts.map((a) => a.id))).toHaveLength(alerts.length);
    const ledgered = await ledgeredIds(ledger);
    for (const a of alerts) expect(ledgered.has(a.id)).toBe(true);
    for (let batch = 0; batch < 200; batch++) {
      const stored = store.getIncident(`INC-${String(batch).padStart(6, '0')}`);
      expect(stored?.incident.alertCount).toBe(batch % 2 === 0 ? 4 : 3);
      for (const id of stored!.incident.alertIds) expect(store.getAlert(id)).toBeDefined();
    }
  });
});

describe('an alert storm', () => {
  const tmp = tempDir();
  afterEach(() => tmp.cleanup());

  it('folds repeats of one rule on one entity into the first alert, ledgering each folded alert by its own id', async () => {
    const store = SqliteStore.open({ dataDir: tmp.dir, now: () => T0 });
    const ledger = await Ledger.open({ dir: join(tmp.dir, 'ledger'), checkpointEvery: 1_000_000, checkpointIntervalMs: 3_600_000, clock: () => T0 });
    const metrics = createMetrics({ defaultMetrics: false });
    const writer = new DetectorOutputWriter({ store, ledger, metrics, logger: silentLogger(), folder: new AlertFolder({ windowMs: 300_000, listLimit: 100 }), published: () => {} });
    const entity = { id: 'D-7', type: 'device' as const };
    const storm = Array.from({ length: 1_000 }, (_, n) => makeAlert(n, { id: `storm-${n}`, ts: T0 + n * 100, entity, severity: 'medium', origin: { type: 'rule', id: 'ssh-guess', title: 'SSH guessing', hash: 'h' }, evidence: [`ev-${n}`, `ev-${n + 1}`], incidentId: 'INC-000001' }));
    for (let b = 0; b < 10; b++) {
      const mine = storm.slice(b * 100, (b + 1) * 100);
      writer.push({ alerts: mine, incidents: [makeIncident(1, storm.slice(0, (b + 1) * 100))], reputation: [] });
    }
    // an escalation is not hidden in the fold, nor is another entity's alert
    const escalation = makeAlert(2_000, { id: 'escalated', ts: T0 + 1_000, entity, severity: 'critical', origin: storm[0]!.origin, incidentId: 'INC-000001' });
    const other = makeAlert(2_001, { id: 'other-entity', ts: T0 + 1_000, entity: { id: 'D-8', type: 'device' }, origin: storm[0]!.origin });
    // past the window the storm opens a new alert
    const later = makeAlert(2_002, { id: 'next-window', ts: T0 + 301_000, entity, severity: 'medium', origin: storm[0]!.origin, incidentId: 'INC-000001' });
    writer.push({ alerts: [escalation, other, later], incidents: [], reputation: [] });
    await writer.drain();

    expect(store.countAlertsMatching({ entity: 'D-7' })).toBe(3);
    const first = store.getAlert('storm-0')!;
    expect(first).toMatchObject({ id: 'storm-0', evidence: ['ev-0', 'ev-1'], folded: { count: 999, lastTs: T0 + 99_900, truncated: { alertIds: 999, evidence: 999, kept: 100 } } });
    expect(first.folded!.alertIds).toEqual(storm.slice(900).map((a) => a.id));
    expect(first.folded!.evidence.at(-1)).toBe('ev-1000');
    for (const id of ['escalated', 'other-entity', 'next-window']) expect(store.getAlert(id)).toBeDefined();
    expect(store.getAlert('storm-1')).toBeUndefined();
    expect(store.getIncident('INC-000001')?.incident).toMatchObject({ alertCount: 1_000, alertIds: ['storm-0'] });
    const ledgered = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < ledger.size; i++) {
      const e = await ledger.entry(i);
      ledgered.set(String(e.body['id']), e.body);
    }
    expect(ledgered.size).toBe(1_003);
    expect(ledgered.get('storm-500')).toMatchObject({ foldedInto: 'storm-0', evidence: ['ev-500', 'ev-501'] });
    expect(ledgered.get('storm-0')?.['foldedInto']).toBeUndefined();
    expect(metricValue(await metrics.registry.metrics(), 'vigil_alerts_folded_total')).toBe(999);
    store.close();
    await ledger.close();
  });
});

describe('per-entity detector state', () => {
  it('forgets entities idle past the idle time, but keeps recent ones', async () => {
    const { Detector } = await import('../detector/index.js');
    const { auth } = await import('./api-fixtures.js');
    const detector = await Detector.create({ model: null, clock: () => T0 });
    const hour = 3_600_000;
    detector.process([auth('D-old', T0, 'ops', 'success'), auth('D-new', T0 + 2 * hour, 'ops', 'success')]);
    const before = detector.reputation.size;
    expect(detector.reputation.get('D-old')).toBeDefined();
    expect(detector.evictIdle(T0 + 2 * hour - hour)).toBe(1);
    expect(detector.reputation.size).toBe(before - 1);
    expect(detector.reputation.get('D-old')).toBeUndefined();
    expect(detector.reputation.get('D-new')).toBeDefined();
  });

  it('forgets the feature state (tracks, windows) of entities idle past the idle time', async () => {
    const { FeatureExtractor } = await import('../detector/index.js');
    const { auth, bsm, net } = await import('./api-fixtures.js');
    const hour = 3_600_000;
    const features = new FeatureExtractor();
    features.batch([bsm('V-old', T0), bsm('V-old', T0 + 1000), auth('D-old', T0, 'ops', 'failure'), net('D-old', T0, '10.0.0.9', '10.0.0.1', 22)]);
    features.batch([bsm('V-new', T0 + 2 * hour), auth('D-new', T0 + 2 * hour, 'ops', 'success')]);
    // V-old's track, D-old's auth window and its flow window: three states, none of the new ones.
    expect(features.evictIdle(T0 + hour)).toBe(3);
    expect(features.evictIdle(T0 + hour)).toBe(0);
    // A vehicle heard again after eviction starts a new track; the recent ones are still there.
    features.batch([bsm('V-old', T0 + 3 * hour)]);
    expect(features.evictIdle(T0 + 2 * hour + 1)).toBe(2);
  });
});
