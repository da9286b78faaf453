/**
 * The analysis half of a node, wired once: every stored event becomes a ledger leaf; the
 * detector reads stored events from the bus; its alerts, incidents and reputation go to
 * the store, alerts also to the ledger, and all of it to the API's live subscribers.
 */
import { join } from 'node:path';
import type { CityDescription } from '../collectors/index.js';
import { Detector, RuleBook, type CityMap, type Incident, type IncidentBook, type DetectorOutput } from '../detector/index.js';
import { Ledger, type LedgerEntry } from '../ledger/index.js';
import { createApi, ledgerAuditLog, RuleAdminError, type RuleAdmin, type RuleItem, type VigilApi, type ExceptionSpec, type SuppressionSpec } from '../api/index.js';
import type { SqliteStore } from '../store/index.js';
import type { Bus, BusSubscription } from './bus.js';
import type { IngestPipeline, StoredEvent } from './ingest.js';
import type { Logger } from './logger.js';
import type { HttpServer } from './server.js';

export interface AnalysisOptions {
  dataDir: string;
  store: SqliteStore;
  ingest: IngestPipeline;
  bus: Bus;
  http: HttpServer;
  logger: Logger;
  now: () => number;
  /** The simulated city, when the demo runs: the detector checks roadside-unit range against it. */
  city?: CityDescription;
  ledger: { checkpointEvery: number; checkpointIntervalMs: number };
  /** Run the detector on the bus's events (off: this node only ingests and logs). */
  detect: boolean;
  /** How often time-driven rules (a device gone silent) run, milliseconds. */
  tickMs: number;
}

export interface Analysis {
  ledger: Ledger;
  detector: Detector;
  api: VigilApi;
  stop(): Promise<void>;
}

/** The ledger entry of a stored event: its id commits to its whole content (a SHA-256 of it). */
function eventEntry(e: StoredEvent): LedgerEntry {
  return { type: 'event', ts: e.receivedAt, body: { id: e.event.id, kind: e.event.vigil.kind, entity: e.event.vigil.entity.id, source: e.source } };
}

export async function startAnalysis(options: AnalysisOptions): Promise<Analysis> {
  const { store, logger, now } = options;
  const ledger = await Ledger.open({
    dir: join(options.dataDir, 'ledger'),
    checkpointEvery: options.ledger.checkpointEvery,
    checkpointIntervalMs: options.ledger.checkpointIntervalMs,
    clock: now,
    logger: { info: (msg: string) => logger.info(msg), warn: (msg: string) => logger.warn(msg), error: (msg: string) => logger.error(msg) },
  });
  await catchUpLedger(ledger, store, logger);
  // Every accepted event becomes a leaf, in commit order, in the ingesting process (whatever the bus).
  options.ingest.onStored((events) => {
    ledger.appendMany(events.map(eventEntry));
    store.setMeta('ledger.eventSeq', String(store.lastEventSeq()));
  });

  const incidents = new StoreIncidentBook(store);
  const detector = await Detector.create({
    dataDir: options.dataDir,
    incidents,
    clock: now,
    logger: { info: (msg: string) => logger.info(msg), warn: (msg: string) => logger.warn(msg) },
    ...(options.city ? { city: cityMap(options.city) } : {}),
  });
  const info = detector.modelInfo;
  if (info) {
    const id = `model:${info.hash}`;
    if ((await ledger.indexOf(id)) === undefined) ledger.append({ type: 'model', ts: now(), body: { id, hash: info.hash, backend: info.backend, threshold: info.threshold } });
    logger.info({ model: info.hash, backend: info.backend }, 'detector model loaded');
  } else logger.warn('no trained model in the data directory: rules and reputation only (run `vigil train`)');

  const rules = new PersistentRuleAdmin(detector.rules, store, now);
  rules.restore(logger);
  const api = createApi({
    store,
    tokens: store,
    audit: ledgerAuditLog(ledger),
    rules,
    now,
    onUnexpectedError: (err) => logger.error({ err }, 'API error'),
  });
  options.http.mount('/graphql', api.handler);

  const persist = (out: Pick<DetectorOutput, 'alerts' | 'incidents' | 'reputation'>): void => {
    if (out.alerts.length === 0 && out.incidents.length === 0 && out.reputation.length === 0) return;
    const saved = store.saveDetectorOutput(out);
    if (saved.newAlerts.length > 0) ledger.appendMany(saved.newAlerts.map((a) => ({ type: 'alert', ts: a.ts, body: { ...a } })));
    api.publishDetectorOutput(saved);
  };
  const subscription: BusSubscription | undefined = options.detect
    ? await options.bus.subscribe('detector', (batch) => {
        persist(detector.process(batch.map((s) => s.event)));
      })
    : undefined;
  const ticker = setInterval(() => {
    try {
      persist(detector.tick(now()));
    } catch (err) {
      logger.error({ err }, 'detector tick failed');
    }
  }, options.tickMs);
  ticker.unref();

  return {
    ledger,
    detector,
    api,
    async stop() {
      clearInterval(ticker);
      await subscription?.unsubscribe();
      await ledger.checkpoint().catch((err: unknown) => logger.warn({ err }, 'final checkpoint failed'));
      await ledger.close();
    },
  };
}

/**
 * After a crash between the store's commit and the ledger's next durable checkpoint, the
 * ledger recovers to that checkpoint and may lack the last stored events: append them again
 * (skipping those it has), so the ledger covers every stored event.
 */
async function catchUpLedger(ledger: Ledger, store: SqliteStore, logger: Logger): Promise<void> {
  let after = Number(store.getMeta('ledger.eventSeq') ?? '0');
  // The meta key is written after the append, so look back one batch for events the ledger kept.
  after = Math.max(0, after - 20_000);
  let appended = 0;
  for (;;) {
    const rows = store.eventsAfter(after, 5_000);
    if (rows.length === 0) break;
    for (const row of rows) {
      if ((await ledger.indexOf(row.event.id)) === undefined) {
        ledger.append(eventEntry({ event: row.event, source: row.source, receivedAt: row.receivedAt }));
        appended++;
      }
    }
    after = rows[rows.length - 1]!.seq;
  }
  store.setMeta('ledger.eventSeq', String(store.lastEventSeq()));
  if (appended > 0) {
    await ledger.checkpoint();
    logger.warn({ appended }, 'ledger caught up with stored events it had lost in a crash');
  }
}

/** The simulator's city description in the detector's terms. */
export function cityMap(city: CityDescription): CityMap {
  return {
    rsus: Object.fromEntries(city.rsus.map((r) => [r.id, { lat: r.lat, lon: r.lon, rangeM: r.range }])),
    roads: city.roads.map((r) => [[r.from.lat, r.from.lon], [r.to.lat, r.to.lon]] as const),
  };
}

/**
 * The detector asks which incident still collects an entity's alerts. The analysts' triage
 * lives in the store, so a resolved incident (resolved through the API) stops collecting
 * at once and the entity's next alert opens a new one.
 */
class StoreIncidentBook implements IncidentBook {
  private readonly latest = new Map<string, Incident>();

  constructor(private readonly store: SqliteStore) {}

  openIncidentFor(entityId: string, ts: number, windowMs: number): Incident | undefined {
    const mine = this.latest.get(entityId);
    if (!mine || ts - mine.lastSeen > windowMs) return undefined;
    const stored = this.store.getIncident(mine.id)?.incident;
    if (stored?.status === 'resolved') return undefined;
    if (stored) mine.status = stored.status;
    return mine;
  }

  save(incident: Incident): void {
    this.latest.set(incident.entity.id, incident);
    if (this.latest.size > 200_000) {
      // Bounded: forget the oldest entities (a Map iterates in insertion order).
      for (const key of [...this.latest.keys()].slice(0, 50_000)) this.latest.delete(key);
    }
  }
}

interface SavedRuleItems {
  rules: string[];
  disabled: string[];
  exceptions: Array<{ id: string; spec: ExceptionSpec; kind: 'exception' | 'suppression'; ruleIds: string[]; detectorIds: string[] }>;
}

/**
 * Rule administration over the detector's rule book, kept in the store's meta table so
 * that rules, exceptions and suppressions added through the API survive a restart.
 * A suppression ("no alerts from this rule, or every rule, for this entity until T") is
 * an exception that expires.
 */
class PersistentRuleAdmin implements RuleAdmin {
  private saved: SavedRuleItems = { rules: [], disabled: [], exceptions: [] };

  constructor(
    private readonly book: RuleBook,
    private readonly store: SqliteStore,
    private readonly now: () => number,
  ) {}

  restore(logger: Logger): void {
    const text = this.store.getMeta('rules.admin');
    if (!text) return;
    const saved = JSON.parse(text) as SavedRuleItems;
    for (const source of saved.rules) {
      try {
        this.book.add(source);
      } catch (err) {
        logger.error({ err }, 'a saved rule no longer loads');
      }
    }
    for (const id of saved.disabled) {
      try {
        this.book.disable(id);
      } catch {
        // the rule is gone: nothing to disable
      }
    }
    saved.exceptions = saved.exceptions.filter((e) => e.spec.expiresAt === undefined || e.spec.expiresAt > this.now());
    for (const e of saved.exceptions) e.detectorIds = e.ruleIds.map((r) => this.book.addException(r, selection(e.spec), e.spec.reason));
    this.saved = saved;
  }

  private persist(): void {
    this.store.setMeta('rules.admin', JSON.stringify(this.saved));
  }

  private expire(): void {
    const t = this.now();
    const keep = this.saved.exceptions.filter((e) => {
      if (e.spec.expiresAt === undefined || e.spec.expiresAt > t) return true;
      for (const id of e.detectorIds) this.book.removeException(id);
      return false;
    });
    if (keep.length !== this.saved.exceptions.length) {
      this.saved.exceptions = keep;
      this.persist();
    }
  }

  list(kind?: RuleItem['kind']): RuleItem[] {
    this.expire();
    const items: RuleItem[] = [];
    if (!kind || kind === 'rule') {
      for (const r of this.book.list()) {
        items.push({ kind: 'rule', id: r.id, title: r.title, enabled: r.enabled, spec: { id: r.id, level: r.level, hash: r.hash, tags: r.tags, type: r.type ?? r.kind } });
      }
    }
    for (const e of this.saved.exceptions) {
      if (kind && kind !== e.kind) continue;
      items.push({ kind: e.kind, id: e.id, title: e.spec.reason, enabled: true, spec: { ...e.spec } });
    }
    return items;
  }

  addRule(source: string): RuleItem {
    let ids: string[];
    try {
      ids = this.book.add(source);
    } catch (err) {
      throw new RuleAdminError('INVALID_RULE', err instanceof Error ? err.message : String(err), { cause: err });
    }
    this.saved.rules.push(source);
    this.persist();
    const item = this.list('rule').find((r) => r.id === ids[0]);
    if (!item) throw new RuleAdminError('INVALID_RULE', 'the source defines no rule');
    return item;
  }

  addException(spec: ExceptionSpec): RuleItem {
    return this.addItem('exception', spec, [spec.rule]);
  }

  addSuppression(spec: SuppressionSpec): RuleItem {
    const ruleIds = spec.rule ? [spec.rule] : this.book.list().map((r) => r.id);
    const asException: ExceptionSpec = { rule: spec.rule ?? '*', reason: spec.reason, expiresAt: spec.until, ...(spec.entity ? { entity: spec.entity } : {}) };
    return this.addItem('suppression', asException, ruleIds);
  }

  private addItem(kind: 'exception' | 'suppression', spec: ExceptionSpec, ruleIds: string[]): RuleItem {
    const known = new Set(this.book.list().map((r) => r.id));
    for (const r of ruleIds) if (!known.has(r)) throw new RuleAdminError('NOT_FOUND', `no rule ${JSON.stringify(r)}`);
    const detectorIds = ruleIds.map((r) => this.book.addException(r, selection(spec), spec.reason));
    const id = `${kind}:${detectorIds[0] ?? this.now()}`;
    this.saved.exceptions.push({ id, spec, kind, ruleIds, detectorIds });
    this.persist();
    return { kind, id, title: spec.reason, enabled: true, spec: { ...spec } };
  }

  disable(kind: RuleItem['kind'], id: string): { before: RuleItem; after: RuleItem } {
    const before = this.list(kind).find((i) => i.id === id);
    if (!before) throw new RuleAdminError('NOT_FOUND', `no ${kind} ${JSON.stringify(id)}`);
    if (kind === 'rule') {
      this.book.disable(id);
      if (!this.saved.disabled.includes(id)) this.saved.disabled.push(id);
    } else {
      const item = this.saved.exceptions.find((e) => e.id === id);
      for (const d of item?.detectorIds ?? []) this.book.removeException(d);
      this.saved.exceptions = this.saved.exceptions.filter((e) => e.id !== id);
    }
    this.persist();
    return { before, after: { ...before, enabled: false } };
  }
}

/** An exception's Sigma-style selection: the entity and/or one field's value. */
function selection(spec: ExceptionSpec): Record<string, unknown> {
  const sel: Record<string, unknown> = {};
  if (spec.entity !== undefined) sel['vigil.entity.id'] = spec.entity;
  if (spec.field !== undefined && spec.value !== undefined) sel[spec.field] = spec.value;
  return sel;
}
