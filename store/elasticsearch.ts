/**
 * The Elasticsearch adapter of the `Store` contract (@elastic/elasticsearch 9), for more
 * events than one machine's SQLite should hold.
 *
 * - Events go to a data stream through the bulk API, in chunks, a bounded number of
 *   requests at a time (backpressure: `writeEvents` resolves only when its chunks are in,
 *   and waits while too many documents are in flight). Rejected chunks (429, 5xx,
 *   connection errors) and rejected items (429) are retried with exponential backoff and
 *   jitter; a conflict (409) on `create` means the event id was already stored — a
 *   redelivery — and is reported as not new, as SQLite does.
 * - Pagination uses `search_after` on the sort value and a unique id, the same keyset
 *   cursors as SQLite (cursor.ts), so clients cannot tell the adapters apart.
 * - Incident triage updates use optimistic concurrency (`if_seq_no`/`if_primary_term`) on
 *   top of the contract's version check.
 *
 * Caveats, by design of Elasticsearch: writes are visible to search after a refresh
 * (`refresh` option; the API's own writes wait for it); the triage update and its action
 * record are two writes, not one transaction (the ledger holds the authoritative trail);
 * and event-id deduplication holds within a backing index (a redelivery arriving after a
 * rollover is stored twice, with the same id).
 */
import type { Client, estypes } from '@elastic/elasticsearch';
import { fromEcsDocument, toEcsDocument, type EntityType } from '../events/index.js';
import type { Alert, Incident, ReputationPoint } from '../detector/index.js';
import { checkFirst, decodeCursor, encodeCursor } from './cursor.js';
import {
  DEFAULT_TEMPLATE_OPTIONS,
  eventsComponentTemplate,
  eventsIndexTemplate,
  ilmPolicy,
  recordTemplates,
  type TemplateOptions,
} from './elasticsearch-templates.js';
import {
  alertDoc,
  alertFilter,
  eventFilter,
  fromAlertDoc,
  fromEntityDoc,
  fromIncidentDoc,
  hitsPage,
  incidentDoc,
  incidentFilter,
  rangeOf,
  type AlertDocT,
  type EntityDoc,
  type IncidentDoc,
  type Query,
} from './elasticsearch-docs.js';
import { StoreError } from './errors.js';
import { detectFeatures, FULL_CLUSTER, missingFeaturesWarning, withoutLifecycle, withoutMatchOnlyText, type ClusterFeatures } from './elasticsearch-features.js';
import { triageOf, withTriage } from './triage.js';
import { eventText } from './text.js';
import type {
  ActionRecord,
  AlertQuery,
  DeadLetterQuery,
  DeadLetterRecord,
  DetectorOutput,
  EntityFlag,
  EntityQuery,
  EntitySummary,
  EventInput,
  EventQuery,
  IncidentQuery,
  IncidentTriage,
  Page,
  PageRequest,
  Store,
  StoredEvent,
  StoredIncident,
  TimeRange,
  VehiclePosition,
  Edge,
} from './types.js';

export interface BulkOptions {
  /** Documents per bulk request. @default 5000 */
  maxDocs: number;
  /** Bulk requests in flight at once. @default 2 */
  concurrency: number;
  /** Retries of a rejected request or item before giving up. @default 5 */
  maxRetries: number;
  /** First retry delay, milliseconds; doubles each time, with jitter. @default 200 */
  retryBaseMs: number;
  /** Most documents accepted but not yet written; `writeEvents` waits beyond it. @default 50000 */
  maxPendingDocs: number;
}

export interface ElasticsearchStoreOptions {
  client: Client;
  /** Index name prefix and lifecycle settings. */
  templates?: Partial<TemplateOptions>;
  bulk?: Partial<BulkOptions>;
  /**
   * Refresh after event writes: `false` (default, visible within `index.refresh_interval`)
   * or `'wait_for'` (tests, read-your-writes). Records the API changes (incidents, entities,
   * actions) always wait for a refresh, so a client sees its own mutation.
   * @default false
   */
  refreshEvents?: false | 'wait_for';
  /** Clock, epoch milliseconds. @default Date.now */
  now?: () => number;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Where setup says what a stripped cluster lacks (no ILM, …), once. @default console.warn */
  warn?: (message: string) => void;
}

const DEFAULT_BULK: BulkOptions = { maxDocs: 5000, concurrency: 2, maxRetries: 5, retryBaseMs: 200, maxPendingDocs: 50_000 };

type BulkOp = { action: Record<string, unknown>; doc?: unknown };
type BulkOutcome = { ok: true; created: boolean } | { ok: false; status: number; reason: string };

const retriableStatus = (s: number): boolean => s === 429 || s === 502 || s === 503 || s === 504;

export class ElasticsearchStore implements Store {
  readonly client: Client;
  readonly names: { events: string; alerts: string; incidents: string; entities: string; actions: string; reputation: string; deadLetters: string };
  private readonly templates: TemplateOptions;
  private readonly bulkOpts: BulkOptions;
  private readonly refreshEvents: false | 'wait_for';
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly warn: (message: string) => void;
  /** What the cluster offers, known after `setup()`. */
  features: ClusterFeatures = FULL_CLUSTER;
  private inFlightRequests = 0;
  private pendingDocs = 0;
  private readonly waiting: Array<() => void> = [];
  private seq: number;

  constructor(options: ElasticsearchStoreOptions) {
    this.client = options.client;
    this.templates = { ...DEFAULT_TEMPLATE_OPTIONS, ...options.templates };
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(this.templates.prefix)) {
      throw new StoreError('BAD_OPTION', `templates.prefix: lower-case letters, digits, - and _, got ${JSON.stringify(this.templates.prefix)}`);
    }
    this.bulkOpts = { ...DEFAULT_BULK, ...options.bulk };
    for (const [k, v] of Object.entries(this.bulkOpts)) {
      if (!Number.isInteger(v) || v < (k === 'maxRetries' ? 0 : 1)) throw new StoreError('BAD_OPTION', `bulk.${k}: expected a positive whole number, got ${v}`);
    }
    this.refreshEvents = options.refreshEvents ?? false;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.warn = options.warn ?? ((m) => console.warn(m));
    const p = this.templates.prefix;
    this.names = {
      events: `${p}-events`,
      alerts: `${p}-alerts`,
      incidents: `${p}-incidents`,
      entities: `${p}-entities`,
      actions: `${p}-actions`,
      reputation: `${p}-reputation`,
      deadLetters: `${p}-dead-letters`,
    };
    // Arrival order across restarts: microseconds-ish from the clock, then a counter.
    this.seq = this.now() * 1000;
  }

  /**
   * Install the lifecycle policy, templates and indices (idempotent; call at start). On a
   * cluster without ILM (or without `match_only_text`) the templates go in without them and
   * a warning says what is lost (elasticsearch-features.ts), rather than failing.
   */
  async setup(): Promise<void> {
    this.features = await detectFeatures(this.client);
    const warning = missingFeaturesWarning(this.features);
    if (warning) this.warn(warning);
    const { ilm, matchOnlyText } = this.features;
    if (ilm) {
      await this.call('put lifecycle policy', () => this.client.ilm.putLifecycle(ilmPolicy(this.templates) as estypes.IlmPutLifecycleRequest));
    }
    const mappings = eventsComponentTemplate(this.templates);
    const events = eventsIndexTemplate(this.templates);
    await this.call('put component template', () =>
      this.client.cluster.putComponentTemplate((matchOnlyText ? mappings : withoutMatchOnlyText(mappings)) as estypes.ClusterPutComponentTemplateRequest),
    );
    await this.call('put index template', () => this.client.indices.putIndexTemplate((ilm ? events : withoutLifecycle(events)) as estypes.IndicesPutIndexTemplateRequest));
    for (const t of recordTemplates(this.templates)) {
      await this.call('put index template', () => this.client.indices.putIndexTemplate(t as estypes.IndicesPutIndexTemplateRequest));
    }
    for (const index of [this.names.alerts, this.names.incidents, this.names.entities, this.names.actions, this.names.reputation, this.names.deadLetters]) {
      const exists = await this.call('index exists', () => this.client.indices.exists({ index }));
      if (!exists) {
        await this.call('create index', () => this.client.indices.create({ index }, { ignore: [400] }));
      }
    }
  }

  // ---------------------------------------------------------------- bulk writing

  /**
   * Bulk-write `ops` in chunks with bounded concurrency and retries. Returns one outcome
   * per op, in order.
   */
  async bulk(ops: readonly BulkOp[], refresh: false | 'wait_for'): Promise<BulkOutcome[]> {
    const out: BulkOutcome[] = new Array<BulkOutcome>(ops.length);
    const chunks: Array<Promise<void>> = [];
    for (let start = 0; start < ops.length; start += this.bulkOpts.maxDocs) {
      const idx = Array.from({ length: Math.min(this.bulkOpts.maxDocs, ops.length - start) }, (_, i) => start + i);
      await this.acquire(idx.length);
      chunks.push(
        this.sendWithRetries(idx.map((i) => ops[i]!), refresh)
          .then((results) => results.forEach((r, j) => (out[idx[j]!] = r)))
          .finally(() => this.release(idx.length)),
      );
    }
    await Promise.all(chunks);
    return out;
  }

  private async acquire(docs: number): Promise<void> {
    while (this.inFlightRequests >= this.bulkOpts.concurrency || (this.pendingDocs > 0 && this.pendingDocs + docs > this.bulkOpts.maxPendingDocs)) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlightRequests++;
    this.pendingDocs += docs;
  }

  private release(docs: number): void {
    this.inFlightRequests--;
    this.pendingDocs -= docs;
    this.waiting.shift()?.();
  }

  private async sendWithRetries(ops: BulkOp[], refresh: false | 'wait_for'): Promise<BulkOutcome[]> {
    const results: BulkOutcome[] = new Array<BulkOutcome>(ops.length);
    let todo = ops.map((_, i) => i);
    for (let attempt = 0; ; attempt++) {
      let response: estypes.BulkResponse | undefined;
      let requestError: unknown;
      try {
        const operations: unknown[] = [];
        for (const i of todo) {
          const op = ops[i]!;
          operations.push(op.action);
          if (op.doc !== undefined) operations.push(op.doc);
        }
        response = await this.client.bulk({ operations, refresh });
      } catch (err) {
        requestError = err;
        const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
        // A 4xx other than 429 will not get better by asking again.
        if (status !== undefined && !retriableStatus(status)) {
          throw new StoreError('BACKEND_FAILED', `bulk request refused (${status}): ${(err as Error).message}`, { cause: err });
        }
      }
      const retry: number[] = [];
      if (response && !Array.isArray(response.items)) {
        throw new StoreError('BACKEND_FAILED', 'bulk response without items: is this Elasticsearch?');
      }
      if (response) {
        response.items.forEach((item, j) => {
          const i = todo[j]!;
          const r = Object.values(item)[0] as estypes.BulkResponseItem;
          if (r.status >= 200 && r.status < 300) results[i] = { ok: true, created: r.status === 201 || r.result === 'created' };
          else if (r.status === 409) results[i] = { ok: true, created: false };
          else if (retriableStatus(r.status)) retry.push(i);
          else results[i] = { ok: false, status: r.status, reason: r.error?.reason ?? r.error?.type ?? 'unknown' };
        });
      } else retry.push(...todo);
      if (retry.length === 0) return results;
      if (attempt >= this.bulkOpts.maxRetries) {
        throw new StoreError('BACKEND_FAILED', `bulk write of ${retry.length} documents still refused after ${attempt + 1} attempts`, { cause: requestError });
      }
      todo = retry;
      const backoff = this.bulkOpts.retryBaseMs * 2 ** attempt;
      await this.sleep(backoff / 2 + Math.random() * (backoff / 2));
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
      if (status === 409) throw new StoreError('CONFLICT', `${what}: conflict`, { cause: err });
      throw new StoreError('BACKEND_FAILED', `${what} failed${status ? ` (${status})` : ''}: ${(err as Error).message}`, { cause: err });
    }
  }

  // ---------------------------------------------------------------- events

  async writeEvents(events: readonly EventInput[]): Promise<boolean[]> {
    const ops: BulkOp[] = events.map((r) => ({
      action: { create: { _index: this.names.events, _id: r.event.id } },
      doc: this.eventDoc(r),
    }));
    const outcomes = await this.bulk(ops, this.refreshEvents);
    const failed = outcomes.find((o): o is Extract<BulkOutcome, { ok: false }> => !o.ok);
    if (failed) throw new StoreError('WRITE_FAILED', `an event was refused (${failed.status}): ${failed.reason}`);
    return outcomes.map((o) => o.ok && o.created);
  }

  /** The event as ECS (`ecs.version`, `event.id`, `event.original` when the input is known), with Vigil's search and ingest fields. */
  private eventDoc(r: EventInput): Record<string, unknown> {
    const doc = toEcsDocument(r.event, { receivedAt: r.receivedAt, ...(r.original !== undefined ? { original: r.original } : {}) });
    const vehicle = r.event.vigil.vehicle;
    doc.vigil = {
      ...(doc.vigil as Record<string, unknown>),
      ...(vehicle ? { vehicle: { ...vehicle, location: { lat: vehicle.lat, lon: vehicle.lon } } } : {}),
      search: eventText(r.event),
      ingest: { source: r.source, received_at: r.receivedAt, seq: ++this.seq },
    };
    return doc;
  }

  private toStoredEvent(hit: estypes.SearchHit<Record<string, unknown>>): StoredEvent {
    const src = hit._source!;
    const { search: _s, ingest, vehicle, ...vigil } = src['vigil'] as Record<string, unknown> & { ingest: { source: string; received_at: number; seq: number } };
    if (vehicle) {
      const { location: _l, ...rest } = vehicle as Record<string, unknown>;
      vigil['vehicle'] = rest;
    }
    return { seq: ingest.seq, event: fromEcsDocument({ ...src, vigil }), source: ingest.source, receivedAt: ingest.received_at };
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const res = await this.call('get event', () =>
      this.client.search<Record<string, unknown>>({ index: this.names.events, query: { term: { 'event.id': id } }, size: 1 }),
    );
    const hit = res.hits.hits[0];
    return hit && this.toStoredEvent(hit);
  }

  async searchEvents(query: EventQuery, page: PageRequest): Promise<Page<StoredEvent>> {
    const first = checkFirst(page.first);
    const dir = query.direction ?? 'desc';
    const tag = `events:${dir}`;
    const res = await this.call('search events', () =>
      this.client.search<Record<string, unknown>>({
        index: this.names.events,
        query: eventFilter(query),
        sort: [{ 'vigil.ts': { order: dir } }, { 'event.id': { order: dir } }],
        size: first + 1,
        track_total_hits: false,
        ...(page.after !== undefined ? { search_after: decodeCursor(page.after, tag) } : {}),
      }),
    );
    return hitsPage(res.hits.hits, first, (h) => ({ node: this.toStoredEvent(h), cursor: encodeCursor(tag, h.sort![0] as number, h.sort![1] as string) }));
  }

  async countEventsMatching(query: EventQuery): Promise<number> {
    return (await this.call('count events', () => this.client.count({ index: this.names.events, query: eventFilter(query) }))).count;
  }

  // ---------------------------------------------------------------- detector output

  async saveDetectorOutput(output: DetectorOutput): Promise<{ newAlerts: Alert[]; incidents: StoredIncident[] }> {
    const alerts = output.alerts ?? [];
    const newAlerts: Alert[] = [];
    if (alerts.length > 0) {
      const outcomes = await this.bulk(
        alerts.map((a) => ({ action: { create: { _index: this.names.alerts, _id: a.id } }, doc: alertDoc(a) })),
        'wait_for',
      );
      const relink: BulkOp[] = [];
      outcomes.forEach((o, i) => {
        const a = alerts[i]!;
        if (o.ok && o.created) newAlerts.push(a);
        else if (o.ok && a.incidentId !== undefined) {
          relink.push({ action: { update: { _index: this.names.alerts, _id: a.id } }, doc: { doc: { incidentId: a.incidentId } } });
        }
      });
      if (relink.length) await this.bulk(relink, 'wait_for');
      const perEntity = new Map<string, { id: string; type: EntityType; n: number; last: number }>();
      for (const a of newAlerts) {
        const k = `${a.entity.type}:${a.entity.id}`;
        const cur = perEntity.get(k) ?? { id: a.entity.id, type: a.entity.type, n: 0, last: 0 };
        cur.n++;
        cur.last = Math.max(cur.last, a.ts);
        perEntity.set(k, cur);
      }
      if (perEntity.size) {
        await this.bulk(
          [...perEntity.entries()].map(([k, e]) => ({
            action: { update: { _index: this.names.entities, _id: k, retry_on_conflict: 5 } },
            doc: {
              scripted_upsert: true,
              script: {
                source: `if (ctx._source.alertCount == null) { ctx._source.id = params.id; ctx._source.type = params.type; ctx._source.alertCount = 0; ctx._source.detectorFlagged = false; ctx._source.flagged = false; }
                         ctx._source.alertCount += params.n;
                         if (ctx._source.lastSeen == null || ctx._source.lastSeen < params.last) { ctx._source.lastSeen = params.last; }`,
                params: { id: e.id, type: e.type, n: e.n, last: e.last },
              },
              upsert: {},
            },
          })),
          'wait_for',
        );
      }
    }

    const incidents: StoredIncident[] = [];
    for (const inc of output.incidents ?? []) incidents.push(await this.upsertIncident(inc));

    const points = output.reputation ?? [];
    if (points.length) {
      await this.bulk(
        points.map((p) => ({ action: { index: { _index: this.names.reputation, _id: `${p.entity.type}:${p.entity.id}:${p.ts}` } }, doc: p })),
        'wait_for',
      );
      await this.bulk(
        points.map((p) => ({
          action: { update: { _index: this.names.entities, _id: `${p.entity.type}:${p.entity.id}`, retry_on_conflict: 5 } },
          doc: {
            scripted_upsert: true,
            script: {
              source: `if (ctx._source.alertCount == null) { ctx._source.id = params.id; ctx._source.type = params.type; ctx._source.alertCount = 0; ctx._source.flagged = false; }
                       if (ctx._source.reputationTs == null || ctx._source.reputationTs <= params.ts) {
                         ctx._source.reputation = params.value; ctx._source.reputationTs = params.ts; ctx._source.detectorFlagged = params.flagged;
                         ctx._source.flagged = params.flagged || (ctx._source.flag != null && ctx._source.flag.flagged);
                       }
                       if (ctx._source.lastSeen == null || ctx._source.lastSeen < params.ts) { ctx._source.lastSeen = params.ts; }`,
              params: { id: p.entity.id, type: p.entity.type, ts: p.ts, value: p.value, flagged: p.flagged },
            },
            upsert: {},
          },
        })),
        'wait_for',
      );
    }
    return { newAlerts, incidents };
  }

  private async getIncidentHit(id: string): Promise<{ stored: StoredIncident; seqNo: number; primaryTerm: number } | undefined> {
    const res = await this.call('get incident', () =>
      this.client.get<IncidentDoc>({ index: this.names.incidents, id }, { ignore: [404] }),
    );
    if (!res.found || !res._source) return undefined;
    return { stored: fromIncidentDoc(res._source), seqNo: res._seq_no!, primaryTerm: res._primary_term! };
  }

  private async upsertIncident(inc: Incident): Promise<StoredIncident> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.getIncidentHit(inc.id);
      const now = this.now();
      // As in SQLite: the analysts own the triage fields; the detector never overwrites them.
      const stored: StoredIncident = cur
        ? { incident: withTriage(inc, triageOf(cur.stored.incident)), version: cur.stored.version + 1, updatedAt: now }
        : { incident: inc, version: 1, updatedAt: now };
      try {
        await this.client.index({
          index: this.names.incidents,
          id: inc.id,
          document: incidentDoc(stored),
          refresh: 'wait_for',
          ...(cur ? { if_seq_no: cur.seqNo, if_primary_term: cur.primaryTerm } : { op_type: 'create' as const }),
        });
        return stored;
      } catch (err) {
        // Someone (an analyst) changed it between our read and write: read again and merge.
        if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 409 && attempt < 5) continue;
        throw new StoreError('WRITE_FAILED', `cannot save incident ${inc.id}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  // ---------------------------------------------------------------- alerts

  async getAlert(id: string): Promise<Alert | undefined> {
    const res = await this.call('get alert', () => this.client.get<AlertDocT>({ index: this.names.alerts, id }, { ignore: [404] }));
    return res.found && res._source ? fromAlertDoc(res._source) : undefined;
  }

  async getAlerts(ids: readonly string[]): Promise<Alert[]> {
    if (ids.length === 0) return [];
    const res = await this.call('get alerts', () => this.client.mget<AlertDocT>({ index: this.names.alerts, ids: [...ids] }));
    const out: Alert[] = [];
    for (const d of res.docs) if ('found' in d && d.found && d._source) out.push(fromAlertDoc(d._source));
    return out;
  }

  async searchAlerts(query: AlertQuery, page: PageRequest): Promise<Page<Alert>> {
    const first = checkFirst(page.first);
    const field = query.sort?.field ?? 'ts';
    const dir = query.sort?.direction ?? 'desc';
    const col = { ts: 'ts', severity: 'severity_rank', score: 'score' }[field];
    const tag = `alerts:${field}:${dir}`;
    const res = await this.call('search alerts', () =>
      this.client.search<AlertDocT>({
        index: this.names.alerts,
        query: alertFilter(query),
        sort: [{ [col]: { order: dir } }, { id: { order: dir } }],
        size: first + 1,
        track_total_hits: false,
        ...(page.after !== undefined ? { search_after: decodeCursor(page.after, tag) } : {}),
      }),
    );
    return hitsPage(res.hits.hits, first, (h) => ({ node: fromAlertDoc(h._source!), cursor: encodeCursor(tag, h.sort![0] as number, h.sort![1] as string) }));
  }

  async countAlertsMatching(query: AlertQuery): Promise<number> {
    return (await this.call('count alerts', () => this.client.count({ index: this.names.alerts, query: alertFilter(query) }))).count;
  }

  // ---------------------------------------------------------------- incidents

  async getIncident(id: string): Promise<StoredIncident | undefined> {
    return (await this.getIncidentHit(id))?.stored;
  }

  private async incidentQuery(q: IncidentQuery): Promise<Query> {
    let ids: string[] | undefined;
    if (q.rule !== undefined) {
      // Incidents carry no rule ids; the alerts that joined them do.
      const res = await this.call('incidents by rule', () =>
        this.client.search({
          index: this.names.alerts,
          size: 0,
          query: { bool: { filter: [{ term: { 'origin.id': q.rule } }, { exists: { field: 'incidentId' } }] } },
          aggs: { incidents: { terms: { field: 'incidentId', size: 10_000 } } },
        }),
      );
      const agg = res.aggregations?.['incidents'] as estypes.AggregationsStringTermsAggregate | undefined;
      ids = (agg?.buckets as estypes.AggregationsStringTermsBucket[] | undefined)?.map((b) => String(b.key)) ?? [];
    }
    return incidentFilter(q, ids);
  }

  async searchIncidents(query: IncidentQuery, page: PageRequest): Promise<Page<StoredIncident>> {
    const first = checkFirst(page.first);
    const field = query.sort?.field ?? 'lastSeen';
    const dir = query.sort?.direction ?? 'desc';
    const col = { lastSeen: 'lastSeen', firstSeen: 'firstSeen', severity: 'severity_rank', alertCount: 'alertCount' }[field];
    const tag = `incidents:${field}:${dir}`;
    const q = await this.incidentQuery(query);
    const res = await this.call('search incidents', () =>
      this.client.search<IncidentDoc>({
        index: this.names.incidents,
        query: q,
        sort: [{ [col]: { order: dir } }, { id: { order: dir } }],
        size: first + 1,
        track_total_hits: false,
        ...(page.after !== undefined ? { search_after: decodeCursor(page.after, tag) } : {}),
      }),
    );
    return hitsPage(res.hits.hits, first, (h) => ({ node: fromIncidentDoc(h._source!), cursor: encodeCursor(tag, h.sort![0] as number, h.sort![1] as string) }));
  }

  async countIncidentsMatching(query: IncidentQuery): Promise<number> {
    const q = await this.incidentQuery(query);
    return (await this.call('count incidents', () => this.client.count({ index: this.names.incidents, query: q }))).count;
  }

  async updateIncidentTriage(id: string, expectedVersion: number, triage: IncidentTriage, action: ActionRecord): Promise<StoredIncident> {
    const cur = await this.getIncidentHit(id);
    if (!cur) throw new StoreError('NOT_FOUND', `no incident ${id}`);
    if (cur.stored.version !== expectedVersion) throw new StoreError('CONFLICT', `incident ${id} changed (version ${cur.stored.version}, expected ${expectedVersion})`);
    const stored: StoredIncident = { incident: withTriage(cur.stored.incident, triage), version: expectedVersion + 1, updatedAt: this.now() };
    await this.call(`update incident ${id}`, () =>
      this.client.index({ index: this.names.incidents, id, document: incidentDoc(stored), if_seq_no: cur.seqNo, if_primary_term: cur.primaryTerm, refresh: 'wait_for' }),
    );
    await this.recordAction(action);
    return stored;
  }

  // ---------------------------------------------------------------- actions

  async recordAction(action: ActionRecord): Promise<void> {
    await this.call('record action', () =>
      this.client.index({ index: this.names.actions, id: action.id, document: { ...action, seq: ++this.seq }, op_type: 'create', refresh: 'wait_for' }),
    );
  }

  async actionsFor(target: ActionRecord['target']): Promise<ActionRecord[]> {
    const res = await this.call('search actions', () =>
      this.client.search<ActionRecord & { seq?: number }>({
        index: this.names.actions,
        query: { bool: { filter: [{ term: { 'target.type': target.type } }, { term: { 'target.id': target.id } }] } },
        sort: [{ ts: { order: 'asc' } }, { id: { order: 'asc' } }],
        size: 10_000,
      }),
    );
    // Same-millisecond actions keep their recording order (seq), as SQLite's rowid does.
    const all = res.hits.hits.map((h) => h._source!).sort((a, b) => a.ts - b.ts || (a.seq ?? 0) - (b.seq ?? 0));
    return all.map(({ seq: _s, ...a }) => a as ActionRecord);
  }

  async getAction(id: string): Promise<ActionRecord | undefined> {
    const res = await this.call('get action', () => this.client.get<ActionRecord & { seq?: number }>({ index: this.names.actions, id }, { ignore: [404] }));
    if (!res.found || !res._source) return undefined;
    const { seq: _s, ...a } = res._source;
    return a as ActionRecord;
  }

  // ---------------------------------------------------------------- entities

  async getEntity(id: string, type: EntityType): Promise<EntitySummary | undefined> {
    const res = await this.call('get entity', () => this.client.get<EntityDoc>({ index: this.names.entities, id: `${type}:${id}` }, { ignore: [404] }));
    return res.found && res._source ? fromEntityDoc(res._source) : undefined;
  }

  async searchEntities(query: EntityQuery, page: PageRequest): Promise<Page<EntitySummary>> {
    const first = checkFirst(page.first);
    const filter: Query[] = [{ term: { type: query.type } }];
    if (query.flagged !== undefined) filter.push({ term: { flagged: query.flagged } });
    if (query.idPrefix) filter.push({ prefix: { id: query.idPrefix } });
    if (query.reputationBelow !== undefined) filter.push({ range: { reputation: { lt: query.reputationBelow } } });
    const tag = `entities:${query.type}`;
    const res = await this.call('search entities', () =>
      this.client.search<EntityDoc>({
        index: this.names.entities,
        query: { bool: { filter } },
        sort: [{ id: { order: 'asc' } }],
        size: first + 1,
        ...(page.after !== undefined ? { search_after: [decodeCursor(page.after, tag)[0]] } : {}),
      }),
    );
    return hitsPage(res.hits.hits, first, (h) => ({ node: fromEntityDoc(h._source!), cursor: encodeCursor(tag, h._source!.id, 0) }));
  }

  async vehiclePositions(query: Omit<EntityQuery, 'type'>, page: PageRequest): Promise<Page<VehiclePosition>> {
    const vehicles = await this.searchEntities({ ...query, type: 'vehicle' }, page);
    if (vehicles.edges.length === 0) return { edges: [], hasNextPage: vehicles.hasNextPage };
    // One search for the page: each vehicle's newest BSM, collapsed on the entity id.
    const res = await this.call('vehicle positions', () =>
      this.client.search<Record<string, unknown>>({
        index: this.names.events,
        query: { bool: { filter: [{ terms: { 'vigil.entity.id': vehicles.edges.map((e) => e.node.id) } }, { term: { 'vigil.kind': 'bsm' } }] } },
        collapse: { field: 'vigil.entity.id' },
        sort: [{ 'vigil.ts': { order: 'desc' } }],
        size: vehicles.edges.length,
        track_total_hits: false,
      }),
    );
    const last = new Map<string, StoredEvent>();
    for (const h of res.hits.hits) {
      const e = this.toStoredEvent(h);
      last.set(e.event.vigil.entity.id, e);
    }
    const edges: Array<Edge<VehiclePosition>> = [];
    for (const { node, cursor } of vehicles.edges) {
      const e = last.get(node.id);
      const v = e?.event.vigil.kind === 'bsm' ? e.event.vigil.vehicle : undefined;
      if (e && v) edges.push({ cursor, node: { vehicle: node, eventId: e.event.id, ts: e.event.vigil.ts, lat: v.lat, lon: v.lon, speed: v.speed, heading: v.heading } });
    }
    return { edges, hasNextPage: vehicles.hasNextPage };
  }

  async reputationHistory(entity: string, range: TimeRange, limit: number): Promise<ReputationPoint[]> {
    const res = await this.call('reputation history', () =>
      this.client.search<ReputationPoint>({
        index: this.names.reputation,
        query: { bool: { filter: [{ term: { 'entity.id': entity } }, { range: { ts: rangeOf(range) } }] } },
        sort: [{ ts: { order: 'desc' } }],
        size: Math.max(0, Math.min(limit, 10_000)),
      }),
    );
    return res.hits.hits.map((h) => h._source!).reverse();
  }

  async setEntityFlag(id: string, type: EntityType, flag: EntityFlag, action: ActionRecord): Promise<EntitySummary> {
    await this.call('flag entity', () =>
      this.client.update({
        index: this.names.entities,
        id: `${type}:${id}`,
        retry_on_conflict: 5,
        refresh: 'wait_for',
        scripted_upsert: true,
        script: {
          source: `if (ctx._source.alertCount == null) { ctx._source.id = params.id; ctx._source.type = params.type; ctx._source.alertCount = 0; ctx._source.detectorFlagged = false; }
                   ctx._source.flag = params.flag; ctx._source.flagged = params.flag.flagged || ctx._source.detectorFlagged;`,
          params: { id, type, flag },
        },
        upsert: {},
      }),
    );
    await this.recordAction(action);
    return (await this.getEntity(id, type))!;
  }

  // ---------------------------------------------------------------- dead letters

  /** Dead letters mirrored from the node's SQLite store, for search next to the events. */
  async writeDeadLetters(records: readonly DeadLetterRecord[]): Promise<void> {
    await this.bulk(
      records.map((d) => ({
        action: { index: { _index: this.names.deadLetters, _id: `${d.rawSha256}:${d.seq}` } },
        doc: { ...d, raw: d.raw.toString('base64') },
      })),
      this.refreshEvents,
    );
  }

  async searchDeadLetters(query: DeadLetterQuery, page: PageRequest): Promise<Page<DeadLetterRecord>> {
    const first = checkFirst(page.first);
    const filter: Query[] = [];
    if (query.time) filter.push({ range: { receivedAt: rangeOf(query.time) } });
    if (query.code) filter.push({ term: { code: query.code } });
    if (query.source) filter.push({ term: { source: query.source } });
    const res = await this.call('search dead letters', () =>
      this.client.search<Omit<DeadLetterRecord, 'raw'> & { raw: string }>({
        index: this.names.deadLetters,
        query: { bool: { filter } },
        sort: [{ seq: { order: 'desc' } }],
        size: first + 1,
        ...(page.after !== undefined ? { search_after: [decodeCursor(page.after, 'dead_letters')[1]] } : {}),
      }),
    );
    return hitsPage(res.hits.hits, first, (h) => ({
      node: { ...h._source!, raw: Buffer.from(h._source!.raw, 'base64') },
      cursor: encodeCursor('dead_letters', 0, h._source!.seq),
    }));
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
