/**
 * One `Store` contract, two adapters: this suite runs against the embedded SQLite store
 * always, and against Elasticsearch when ELASTICSEARCH_URL is set (it says so when skipped).
 */
import { Client } from '@elastic/elasticsearch';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ElasticsearchStore, SqliteStore, StoreError, type ActionRecord, type Store } from '../store/index.js';
import { auth, bsm, makeAlert, makeIncident, net, reputation, T0 } from './api-fixtures.js';
import { tempDir } from './helpers.js';

interface Adapter {
  name: string;
  /** `lacksScripts`: why the entity cases cannot run on this server (a cluster without Painless). */
  open(): Promise<{ store: Store; cleanup: () => Promise<void>; lacksScripts?: string }>;
}

const adapters: Adapter[] = [
  {
    name: 'sqlite',
    async open() {
      const tmp = tempDir('vigil-store-');
      const store = SqliteStore.open({ dataDir: tmp.dir, now: () => T0 });
      return { store, cleanup: async () => (store.close(), tmp.cleanup()) };
    },
  },
];

const esUrl = process.env['ELASTICSEARCH_URL'];
const skippedForScripts = new Set<string>();
afterAll(() => skippedForScripts.forEach((why) => console.log(`store contract: skipped on Elasticsearch: ${why}`)));
if (esUrl) {
  let n = 0;
  adapters.push({
    name: 'elasticsearch',
    async open() {
      const prefix = `vigil-test-${process.pid}-${Date.now()}-${n++}`;
      const client = new Client({ node: esUrl });
      const store = new ElasticsearchStore({ client, templates: { prefix }, refreshEvents: 'wait_for', now: () => T0 });
      await store.setup();
      if (!store.features.scripts) skippedForScripts.add('the entity cases (alert counts, reputation, flags, entity pages, vehicle positions) need Painless, which this Elasticsearch lacks');
      return {
        store,
        ...(store.features.scripts ? {} : { lacksScripts: 'this Elasticsearch has no lang-painless module: the entities are scripted upserts' }),
        cleanup: async () => {
          await client.indices.deleteDataStream({ name: `${prefix}-*` }).catch(() => {});
          await client.indices.delete({ index: `${prefix}-*` }).catch(() => {});
          await client.indices.deleteIndexTemplate({ name: `${prefix}-*` }).catch(() => {});
          await client.close();
        },
      };
    },
  });
} else {
  describe('Store contract on elasticsearch', () => {
    it.skip('skipped: set ELASTICSEARCH_URL to run the contract against a real server', () => {});
  });
  afterAll(() => console.log('store contract: Elasticsearch skipped (ELASTICSEARCH_URL is not set)'));
}

function action(id: string, target: ActionRecord['target'], ts = T0): ActionRecord {
  return { id, ts, actor: 'alice', role: 'analyst', action: 'incident.comment', target, before: null, after: null };
}

for (const adapter of adapters) {
  describe(`Store contract on ${adapter.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let lacksScripts: string | undefined;

    beforeEach(async () => {
      ({ store, cleanup, lacksScripts } = await adapter.open());
    });
    afterEach(async () => cleanup());

    describe('events', () => {
      it('stores events once and says which were new', async () => {
        const e1 = bsm('V-0001', T0);
        const e2 = bsm('V-0002', T0 + 1);
        expect(await store.writeEvents([{ event: e1, source: 'http', receivedAt: T0 }])).toEqual([true]);
        expect(await store.writeEvents([{ event: e1, source: 'http', receivedAt: T0 }, { event: e2, source: 'mqtt', receivedAt: T0 }])).toEqual([false, true]);
        const got = await store.getEvent(e2.id);
        expect(got?.event).toEqual(e2);
        expect(got?.source).toBe('mqtt');
        expect(await store.getEvent('0'.repeat(64))).toBeUndefined();
      });

      it('finds events by time, kind, entity, source and words, newest first', async () => {
        await store.writeEvents([
          { event: bsm('V-0001', T0 + 1000), source: 'http', receivedAt: T0 },
          { event: bsm('V-0002', T0 + 2000), source: 'http', receivedAt: T0 },
          { event: auth('D-17', T0 + 3000, 'admin', 'failure'), source: 'mqtt', receivedAt: T0 },
          { event: net('D-18', T0 + 4000, '10.1.2.3', '10.9.9.9', 23), source: 'mqtt', receivedAt: T0 },
        ]);
        const ids = async (q: Parameters<Store['searchEvents']>[0]) => (await store.searchEvents(q, { first: 10 })).edges.map((e) => e.node.event.vigil.entity.id);
        expect(await ids({})).toEqual(['D-18', 'D-17', 'V-0002', 'V-0001']);
        expect(await ids({ direction: 'asc' })).toEqual(['V-0001', 'V-0002', 'D-17', 'D-18']);
        expect(await ids({ time: { from: T0 + 2000, to: T0 + 4000 } })).toEqual(['D-17', 'V-0002']);
        expect(await ids({ kinds: ['auth', 'net'] })).toEqual(['D-18', 'D-17']);
        expect(await ids({ entity: 'V-0001' })).toEqual(['V-0001']);
        expect(await ids({ entityType: 'vehicle' })).toEqual(['V-0002', 'V-0001']);
        expect(await ids({ source: 'mqtt' })).toEqual(['D-18', 'D-17']);
        expect(await ids({ text: '10.1.2.3' })).toEqual(['D-18']);
        expect(await ids({ text: 'admin failure' })).toEqual(['D-17']);
        expect(await ids({ text: 'V-0002' })).toEqual(['V-0002']);
        expect(await ids({ text: 'V-000*' })).toEqual(['V-0002', 'V-0001']);
        expect(await ids({ text: 'nothing-like-this' })).toEqual([]);
        expect(await store.countEventsMatching({ kinds: ['bsm'] })).toBe(2);
      });

      it('pages with keyset cursors: no duplicates or gaps while events arrive', async () => {
        await store.writeEvents(Array.from({ length: 25 }, (_, i) => ({ event: bsm('V-0001', T0 + i * 10, { seq: i }), source: 'http', receivedAt: T0 })));
        const seen: number[] = [];
        let after: string | undefined;
        for (let k = 0; ; k++) {
          const page = await store.searchEvents({ entity: 'V-0001' }, after ? { first: 7, after } : { first: 7 });
          seen.push(...page.edges.map((e) => e.node.event.vigil.ts));
          await store.writeEvents([{ event: bsm('V-0001', T0 + 100_000 + k, { seq: 1000 + k }), source: 'http', receivedAt: T0 }]);
          if (!page.hasNextPage) break;
          after = page.edges.at(-1)!.cursor;
        }
        expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => T0 + (24 - i) * 10));
      });

      it('refuses a foreign cursor and an oversize page', async () => {
        await expect(Promise.resolve().then(() => store.searchEvents({}, { first: 5, after: 'garbage' }))).rejects.toMatchObject({ code: 'BAD_CURSOR' });
        await expect(Promise.resolve().then(() => store.searchEvents({}, { first: 5000 }))).rejects.toBeInstanceOf(StoreError);
      });
    });

    describe('detector output', () => {
      it('stores alerts once, links them to incidents, and counts them per entity', async (ctx) => {
        if (lacksScripts) return ctx.skip(lacksScripts);
        const a = makeAlert(1);
        const first = await store.saveDetectorOutput({ alerts: [a] });
        expect(first.newAlerts.map((x) => x.id)).toEqual([a.id]);
        const again = await store.saveDetectorOutput({ alerts: [{ ...a, incidentId: 'INC-000001' }] });
        expect(again.newAlerts).toEqual([]);
        expect((await store.getAlert(a.id))?.incidentId).toBe('INC-000001');
        expect((await store.getAlerts([a.id, 'missing'])).map((x) => x.id)).toEqual([a.id]);
        const entity = await store.getEntity(a.entity.id, 'vehicle');
        expect(entity).toMatchObject({ alertCount: 1, lastSeen: a.ts });
      });

      it('searches alerts by severity, rule, incident, category and text, sorted', async () => {
        const alerts = Array.from({ length: 12 }, (_, n) => makeAlert(n, { incidentId: n < 3 ? 'INC-A' : 'INC-B' }));
        await store.saveDetectorOutput({ alerts });
        const page = await store.searchAlerts({ severities: ['high', 'critical'], sort: { field: 'score', direction: 'desc' } }, { first: 100 });
        const scores = page.edges.map((e) => e.node.score);
        expect(scores).toHaveLength(6);
        expect(scores).toEqual([...scores].sort((x, y) => y - x));
        expect(await store.countAlertsMatching({ rule: 'bsm-replay' })).toBe(4);
        expect(await store.countAlertsMatching({ incidentId: 'INC-A' })).toBe(3);
        expect(await store.countAlertsMatching({ category: 'replay' })).toBe(6);
        expect(await store.countAlertsMatching({ text: 'replayed' })).toBe(6);
        const p1 = await store.searchAlerts({ sort: { field: 'severity', direction: 'asc' } }, { first: 5 });
        const p2 = await store.searchAlerts({ sort: { field: 'severity', direction: 'asc' } }, { first: 10, after: p1.edges.at(-1)!.cursor });
        const all = [...p1.edges, ...p2.edges].map((e) => e.node.id);
        expect(new Set(all).size).toBe(12);
      });

      it('upserts incidents, keeping the triage state analysts set', async () => {
        const alerts = [makeAlert(1), makeAlert(2)];
        const saved = await store.saveDetectorOutput({ alerts, incidents: [makeIncident(1, alerts)] });
        expect(saved.incidents[0]).toMatchObject({ version: 1 });
        const id = saved.incidents[0]!.incident.id;
        const updated = await store.updateIncidentTriage(
          id,
          1,
          { status: 'resolved', assignee: 'bob', resolution: { reason: 'false_positive', by: 'alice', at: T0 } },
          action('act-1', { type: 'incident', id }),
        );
        expect(updated).toMatchObject({ version: 2, incident: { status: 'resolved', assignee: 'bob' } });
        await expect(Promise.resolve().then(() => store.updateIncidentTriage(id, 1, { status: 'open', assignee: null, resolution: null }, action('act-2', { type: 'incident', id })))).rejects.toMatchObject({ code: 'CONFLICT' });
        const more = [...alerts, makeAlert(3)];
        const again = await store.saveDetectorOutput({ incidents: [makeIncident(1, more)] });
        expect(again.incidents[0]).toMatchObject({ version: 3, incident: { status: 'resolved', assignee: 'bob', alertCount: 3 } });
        expect((await store.getIncident(id))?.incident.resolution?.reason).toBe('false_positive');
        expect((await store.actionsFor({ type: 'incident', id })).map((a) => a.id)).toEqual(['act-1']);
        expect(await store.getAction('act-1')).toMatchObject({ actor: 'alice' });
      });

      it('searches incidents by status, severity, entity, rule, category and time, sorted and paged', async () => {
        const incidents = [];
        const alerts = [];
        for (let k = 0; k < 6; k++) {
          const mine = [makeAlert(k * 2, { incidentId: `INC-${k}` }), makeAlert(k * 2 + 1, { incidentId: `INC-${k}` })];
          alerts.push(...mine);
          incidents.push(makeIncident(k, mine, { id: `INC-${k}`, status: k % 2 ? 'acknowledged' : 'open' }));
        }
        await store.saveDetectorOutput({ alerts, incidents });
        expect(await store.countIncidentsMatching({ statuses: ['open'] })).toBe(3);
        expect(await store.countIncidentsMatching({ severities: ['critical'] })).toBe(3);
        expect(await store.countIncidentsMatching({ rule: 'bsm-replay' })).toBe(4);
        expect(await store.countIncidentsMatching({ category: 'replay', entityType: 'vehicle' })).toBe(6);
        expect(await store.countIncidentsMatching({ time: { from: T0 + 9000 } })).toBe(2);
        expect(await store.countIncidentsMatching({ entity: 'V-0002' })).toBe(1);
        const p1 = await store.searchIncidents({ sort: { field: 'firstSeen', direction: 'asc' } }, { first: 4 });
        const p2 = await store.searchIncidents({ sort: { field: 'firstSeen', direction: 'asc' } }, { first: 4, after: p1.edges.at(-1)!.cursor });
        expect([...p1.edges, ...p2.edges].map((e) => e.node.incident.id)).toEqual(['INC-0', 'INC-1', 'INC-2', 'INC-3', 'INC-4', 'INC-5']);
        expect(p2.hasNextPage).toBe(false);
      });

      it('keeps reputation over time and the latest value per entity', async (ctx) => {
        if (lacksScripts) return ctx.skip(lacksScripts);
        await store.saveDetectorOutput({ reputation: [reputation('V-0001', T0 + 2000, 0.2), reputation('V-0001', T0, 0.9), reputation('V-0002', T0, 0.8)] });
        expect((await store.reputationHistory('V-0001', {}, 100)).map((p) => p.value)).toEqual([0.9, 0.2]);
        expect((await store.reputationHistory('V-0001', {}, 1)).map((p) => p.value)).toEqual([0.2]);
        expect((await store.reputationHistory('V-0001', { to: T0 + 1 }, 100)).map((p) => p.value)).toEqual([0.9]);
        expect(await store.getEntity('V-0001', 'vehicle')).toMatchObject({ reputation: 0.2, detectorFlagged: true });
        const flagged = await store.searchEntities({ type: 'vehicle', flagged: true }, { first: 10 });
        expect(flagged.edges.map((e) => e.node.id)).toEqual(['V-0001']);
      });
    });

    describe('entities and actions', () => {
      it('sets and clears the authority\'s flag with its action', async (ctx) => {
        if (lacksScripts) return ctx.skip(lacksScripts);
        const flag = { flagged: true, reason: 'ghost', by: 'authority', at: T0 };
        const v = await store.setEntityFlag('V-0042', 'vehicle', flag, action('f-1', { type: 'vehicle', id: 'V-0042' }));
        expect(v).toMatchObject({ id: 'V-0042', flag });
        expect((await store.searchEntities({ type: 'vehicle', flagged: true }, { first: 10 })).edges.map((e) => e.node.id)).toEqual(['V-0042']);
        await store.setEntityFlag('V-0042', 'vehicle', { ...flag, flagged: false }, action('f-2', { type: 'vehicle', id: 'V-0042' }, T0 + 1));
        expect((await store.searchEntities({ type: 'vehicle', flagged: true }, { first: 10 })).edges).toEqual([]);
        expect((await store.actionsFor({ type: 'vehicle', id: 'V-0042' })).map((a) => a.id)).toEqual(['f-1', 'f-2']);
      });

      it('pages entities by id with a prefix filter', async (ctx) => {
        if (lacksScripts) return ctx.skip(lacksScripts);
        await store.saveDetectorOutput({ reputation: ['V-0003', 'V-0001', 'V-0002', 'X-1'].map((id) => reputation(id, T0, 0.9)) });
        const p1 = await store.searchEntities({ type: 'vehicle', idPrefix: 'V-' }, { first: 2 });
        const p2 = await store.searchEntities({ type: 'vehicle', idPrefix: 'V-' }, { first: 2, after: p1.edges.at(-1)!.cursor });
        expect([...p1.edges, ...p2.edges].map((e) => e.node.id)).toEqual(['V-0001', 'V-0002', 'V-0003']);
      });

      it("gives each vehicle's newest BSM with its summary, by id, page by page, leaving out vehicles never heard from", async (ctx) => {
        if (lacksScripts) return ctx.skip(lacksScripts);
        const at = (v: string, ts: number, lat: number) => ({ event: bsm(v, ts, { lat, seq: ts - T0 }), source: 'http', receivedAt: ts });
        // Out of time order on purpose: the newest report is by its time, not by arrival.
        await store.writeEvents([at('V-0002', T0 + 5, 1.5), at('V-0001', T0 + 2, 1.2), at('V-0001', T0 + 9, 1.9), at('V-0002', T0 + 1, 1.1), at('V-0001', T0 + 4, 1.4), at('V-0003', T0 + 3, 1.3)]);
        // A device with a vehicle's id sends no BSM: it is not a position.
        await store.writeEvents([{ event: auth('V-0003', T0 + 50, 'root', 'failure'), source: 'http', receivedAt: T0 + 50 }]);
        await store.saveDetectorOutput({ reputation: [reputation('V-0001', T0 + 9, 0.2), reputation('V-0002', T0 + 5, 0.9), reputation('V-0003', T0 + 3, 0.8), reputation('V-0009', T0, 0.9)] });
        const p1 = await store.vehiclePositions({}, { first: 2 });
        expect(p1.hasNextPage).toBe(true);
        expect(p1.edges.map((e) => [e.node.vehicle.id, e.node.ts, e.node.lat])).toEqual([['V-0001', T0 + 9, 1.9], ['V-0002', T0 + 5, 1.5]]);
        expect(p1.edges[0]!.node).toMatchObject({ vehicle: { reputation: 0.2, detectorFlagged: true }, lon: 103.8, speed: 13.4, heading: 87.5 });
        const p2 = await store.vehiclePositions({}, { first: 2, after: p1.edges.at(-1)!.cursor });
        // V-0009 has a reputation but no report stored: left out.
        expect(p2.edges.map((e) => [e.node.vehicle.id, e.node.ts])).toEqual([['V-0003', T0 + 3]]);
        expect(p2.hasNextPage).toBe(false);
        expect((await store.vehiclePositions({ flagged: true }, { first: 10 })).edges.map((e) => e.node.vehicle.id)).toEqual(['V-0001']);
        const newest = (await store.searchEvents({ entity: 'V-0001' }, { first: 1 })).edges[0]!.node.event.id;
        expect((await store.vehiclePositions({ idPrefix: 'V-0001' }, { first: 10 })).edges.map((e) => e.node.eventId)).toEqual([newest]);
      });
    });
  });
}

describe('SQLite retention', () => {
  it('deletes events, dead letters and reputation older than the retention period, keeping alerts and incidents', async () => {
    const tmp = tempDir('vigil-retention-');
    let now = T0 + 10 * 86_400_000;
    const store = SqliteStore.open({ dataDir: tmp.dir, retentionDays: 7, now: () => now });
    try {
      const old = bsm('V-0001', T0);
      const recent = bsm('V-0001', T0 + 9 * 86_400_000);
      store.writeBatch([{ event: old, source: 'http', receivedAt: T0 }, { event: recent, source: 'http', receivedAt: now }], [
        { raw: 'x', rejection: { code: 'BAD_JSON', message: 'bad' } as never, source: 'http', receivedAt: T0 },
      ]);
      const a = makeAlert(1, { ts: T0, evidence: [old.id] });
      store.saveDetectorOutput({ alerts: [a], incidents: [makeIncident(1, [a])], reputation: [reputation('V-0001', T0, 0.5), reputation('V-0001', now, 0.6)] });
      expect(store.applyRetention(1)).toEqual({ events: 1, deadLetters: 1, reputation: 1 });
      expect(store.getEvent(old.id)).toBeUndefined();
      expect(store.getEvent(recent.id)).toBeDefined();
      expect(store.searchEvents({ text: 'V-0001' }, { first: 10 }).edges).toHaveLength(1);
      expect(store.getAlert(a.id)).toBeDefined();
      expect(store.getIncident('INC-000001')).toBeDefined();
      now += 30 * 86_400_000;
      expect(store.applyRetention().events).toBe(1);
    } finally {
      store.close();
      tmp.cleanup();
    }
  });

  it('keeps everything when retention is 0, and refuses a negative period', () => {
    const tmp = tempDir('vigil-retention-');
    try {
      const store = SqliteStore.open({ dataDir: tmp.dir });
      store.writeBatch([{ event: bsm('V-0001', T0), source: 'http', receivedAt: T0 }], []);
      expect(store.applyRetention()).toEqual({ events: 0, deadLetters: 0, reputation: 0 });
      store.close();
      expect(() => SqliteStore.open({ dataDir: tmp.dir, retentionDays: -1 })).toThrow(/retentionDays/);
    } finally {
      tmp.cleanup();
    }
  });

  it('rebuilds an events table from before the id key on first open: same events, searchable, still unique', () => {
    const tmp = tempDir('vigil-migrate-ids-');
    try {
      const e1 = bsm('V-0001', T0);
      const e2 = auth('D-17', T0 + 1, 'operator', 'failure');
      // The table as it was: a unique index of the whole id, no id_key.
      const old = new Database(join(tmp.dir, 'vigil.db'));
      old.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL, kind TEXT NOT NULL,
        entity TEXT NOT NULL, source TEXT NOT NULL, received_at INTEGER NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX events_ts ON events(ts); CREATE INDEX events_entity_ts ON events(entity, ts);`);
      const put = old.prepare('INSERT INTO events (seq, id, ts, kind, entity, source, received_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      put.run(7, e1.id, e1.vigil.ts, 'bsm', 'V-0001', 'http', T0, JSON.stringify(e1));
      put.run(9, e2.id, e2.vigil.ts, 'auth', 'D-17', 'mqtt', T0, JSON.stringify(e2));
      old.close();
      const store = SqliteStore.open({ dataDir: tmp.dir });
      try {
        expect(store.getEvent(e1.id)).toEqual({ seq: 7, event: e1, source: 'http', receivedAt: T0 });
        expect(store.getEvent(e2.id)?.seq).toBe(9);
        expect(store.searchEvents({ text: 'operator' }, { first: 10 }).edges.map((e) => e.node.seq)).toEqual([9]);
        expect(store.writeEvents([{ event: e2, source: 'http', receivedAt: T0 }, { event: bsm('V-0002', T0), source: 'http', receivedAt: T0 }])).toEqual([false, true]);
        expect(store.countEvents()).toBe(3);
        expect(store.lastEventSeq()).toBe(10);
      } finally {
        store.close();
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('tells events apart by their whole id, even when their id keys are the same', () => {
    const tmp = tempDir('vigil-id-key-');
    try {
      const store = SqliteStore.open({ dataDir: tmp.dir });
      try {
        const real = bsm('V-0001', T0);
        store.writeEvents([{ event: real, source: 'http', receivedAt: T0 }]);
        // Another id with the same first 48 bits (what the key is made of).
        const twin = { ...bsm('V-0002', T0), id: `${real.id.slice(0, 12)}${'0'.repeat(52)}` };
        expect(store.hasEvent(twin.id)).toBe(false);
        expect(store.getEvent(twin.id)).toBeUndefined();
        expect(store.writeEvents([{ event: twin, source: 'http', receivedAt: T0 }, { event: real, source: 'http', receivedAt: T0 }])).toEqual([true, false]);
        expect(store.getEvent(twin.id)?.event.vigil.entity.id).toBe('V-0002');
        expect(store.getEvent(real.id)?.event.vigil.entity.id).toBe('V-0001');
        expect(store.getEvent('not an id')).toBeUndefined();
      } finally {
        store.close();
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('indexes events written before full-text search existed, on first open', async () => {
    const tmp = tempDir('vigil-migrate-');
    try {
      const store = SqliteStore.open({ dataDir: tmp.dir });
      store.writeBatch([{ event: auth('D-17', T0, 'operator', 'failure'), source: 'http', receivedAt: T0 }], []);
      store.db.exec('DROP TABLE events_fts');
      store.close();
      const reopened = SqliteStore.open({ dataDir: tmp.dir });
      expect(reopened.searchEvents({ text: 'operator' }, { first: 10 }).edges).toHaveLength(1);
      reopened.close();
    } finally {
      tmp.cleanup();
    }
  });
});
