/**
 * The analysis half of a node, wired once: every stored event becomes a ledger leaf; the
 * detector reads stored events from the bus; its alerts, incidents and reputation go to
 * the store, alerts also to the ledger, and all of it to the API's live subscribers.
 */
import { join } from 'node:path';
import type { CityDescription } from '../collectors/index.js';
import { Detector, DetectorError, rulesFolder, saveModel, type CityMap, type Incident, type IncidentBook } from '../detector/index.js';
import { Ledger, type LedgerEntry, type WitnessPolicy } from '../ledger/index.js';
import { sha256Hex } from '../events/index.js';
import { authorityDesk, type AuthorityWiring } from './authority.js';
import { createApi, ledgerAuditLog, type ApiOptions, ruleBookAdmin, type AuditLog, type EvidenceBundleView, type RuleAdmin, type RuleItem, type VigilApi, type ExceptionSpec, type SuppressionSpec } from '../api/index.js';
import type { SensorKeyStore, SqliteStore } from '../store/index.js';
import type { Bus, BusSubscription } from './bus.js';
import type { IngestPipeline, StoredEvent } from './ingest.js';
import type { Logger } from './logger.js';
import { ElasticsearchReplica, type ReplicaOptions } from './replica.js';
import { startPendingActions } from './token-actions.js';
import { cityFromDescription, trainDemoModelFromSimulator } from './demo.js';
import { AlertFolder, type AlertFoldOptions } from './alert-fold.js';
import { DetectorOutputWriter } from './detector-output.js';
import type { Metrics } from './metrics.js';
import type { StoreWriter } from './store-writer.js';
import { DetectorThread, type RuleOp } from './detector-thread.js';

export interface AnalysisOptions {
  dataDir: string;
  store: SqliteStore;
  ingest: IngestPipeline;
  bus: Bus;
  logger: Logger;
  now: () => number;
  /** The simulated city, when the demo runs: the detector checks roadside-unit range against it. */
  city?: CityDescription;
  /** The operator's city file (`detector.city`), read at start; takes the place of `city` for the detector. */
  cityMap?: CityMap;
  /** Extra Sigma rule folders or files (`detector.rules`), after the starter pack and `<dataDir>/rules`. */
  rules?: readonly string[];
  ledger: { checkpointEvery: number; checkpointIntervalMs: number; keyPath?: string | undefined };
  /** What the API takes from configuration (CORS origins, limits, WebSocket caps, read threads). */
  api?: Pick<ApiOptions, 'corsOrigins' | 'limits' | 'ws' | 'onOperation' | 'readThreads'>;
  /** Replicate to Elasticsearch (see replica.ts). */
  elasticsearch?: ReplicaOptions;
  /** With no saved model, train one in the background from simulated normal traffic (the demo). */
  trainDemoModel?: boolean;
  /** Run the detector on the bus's events (off: this node only ingests and logs). */
  detect: boolean;
  /** How often time-driven rules (a device gone silent) run, milliseconds. */
  tickMs: number;
  /** The store's retention (0: keeps everything): events the ledger logged may have aged out. */
  retentionDays: number;
  /** The collectors' sensor keys, administered through the API. */
  sensorKeys?: SensorKeyStore;
  /** Witnesses that co-sign the ledger's checkpoints (config `witnesses`, pipeline/anchor.ts). */
  witnesses?: WitnessPolicy;
  /** The store writer: detector output is written in its transactions (pipeline/detector-output.ts). @default the store's own connection */
  writer?: StoreWriter;
  /** Node metrics: detector output retries, folded alerts. */
  metrics?: Metrics;
  /**
   * The detector forgets an entity's state (reputation, and feature state where its module
   * supports it) after this long without an event from it, milliseconds of event time; flagged
   * entities are kept. Checked on every tick. Bounds memory in a city of transient vehicles.
   * @default 3600000 (1 h: 12 reputation half-lives)
   */
  entityIdleMs?: number;
  /** Alert storms (pipeline/alert-fold.ts). */
  alertFold?: AlertFoldOptions;
  /**
   * Where the detector scores (config `detector.thread`): its own thread fed with the
   * committed batches (pipeline/detector-thread.ts), or this event loop.
   * @default 'inline'
   */
  detectorThread?: 'worker' | 'inline';
  /** The city file the detector thread reads itself (config `detector.city`); `cityMap` is the same, read here. */
  cityFile?: string;
  /** Adds to every evidence bundle the API serves (the anchor covering it, pipeline/anchor.ts). */
  decorateEvidence?: (bundle: EvidenceBundleView) => EvidenceBundleView;
}

export interface Analysis {
  ledger: Ledger;
  /** Main thread's detector: with `detectorThread`, only its rule book and model info are used here. */
  detector: Detector;
  /** The detector's thread, when it scores there (config `detector.thread`). */
  detectorThread?: DetectorThread;
  api: VigilApi;
  /** The authority desk the API decides through (pipeline/authority.ts). */
  authority: AuthorityWiring;
  /** Append token actions made outside the API (CLI, demo) to the ledger now. */
  appendPendingActions(): Promise<void>;
  stop(): Promise<void>;
}

/** The ledger entry of a stored event: its id commits to its whole content (a SHA-256 of it). */
function eventEntry(e: StoredEvent): LedgerEntry {
  const body: Record<string, unknown> & { id: string } = { id: e.event.id, kind: e.event.vigil.kind, entity: e.event.vigil.entity.id, source: e.source };
  // The credential that delivered it (not covered by the event id, events/model.ts): proved here.
  if (e.event.agent !== undefined) body['agent'] = e.event.agent.id;
  // The raw input (not covered by the id either, events/original.ts): its SHA-256, so the proof covers it.
  if (e.event.event.original !== undefined) body['original'] = sha256Hex(e.event.event.original);
  return { type: 'event', ts: e.receivedAt, body };
}

export async function startAnalysis(options: AnalysisOptions): Promise<Analysis> {
  const { store, logger, now } = options;
  const ledger = await Ledger.open({
    dir: join(options.dataDir, 'ledger'),
    checkpointEvery: options.ledger.checkpointEvery,
    checkpointIntervalMs: options.ledger.checkpointIntervalMs,
    ...(options.ledger.keyPath ? { keyPath: options.ledger.keyPath } : {}),
    clock: now,
    logger: { info: (msg: string) => logger.info(msg), warn: (msg: string) => logger.warn(msg), error: (msg: string) => logger.error(msg) },
    ...(options.witnesses ? { witnesses: options.witnesses } : {}),
  });
  if (!options.ledger.keyPath) {
    logger.warn({ key: join(options.dataDir, 'ledger', 'private.pem') }, 'the ledger signing key is in the data folder, so a copy of the data is a copy of the key; set ledger.keyPath (VIGIL_LEDGER_KEY) to keep it elsewhere');
  }
  await catchUpLedger(ledger, store, logger, options.retentionDays);
  // Every accepted event becomes a leaf, in commit order, in the ingesting process (whatever the bus).
  options.ingest.onStored((events) => {
    ledger.appendMany(events.map(eventEntry));
  });

  const replica = options.elasticsearch ? new ElasticsearchReplica(store, options.elasticsearch, logger) : undefined;
  if (replica) {
    await replica.start();
    options.ingest.onStored(() => replica.poke());
  }

  const incidents = new StoreIncidentBook(store);
  const detectorOptions = {
    dataDir: options.dataDir,
    ...(options.rules ? { rules: ['starter', rulesFolder(options.dataDir), ...options.rules] } : {}),
    incidents,
    clock: now,
    logger: { info: (msg: string) => logger.info(msg), warn: (msg: string) => logger.warn(msg) },
    ...(options.cityMap ? { city: options.cityMap } : options.city ? { city: cityFromDescription(options.city) } : {}),
  };
  let thread: DetectorThread | undefined;
  let threadReady: Promise<void> | undefined;
  if (options.detect && options.detectorThread === 'worker') {
    thread = new DetectorThread({
      setup: {
        dataDir: options.dataDir,
        rules: detectorOptions.rules,
        cityFile: options.cityFile,
        ...(options.cityFile === undefined && options.city ? { city: options.city } : {}),
      },
      logger,
      decided: (out) => {
        if (out.latestTs !== undefined && out.latestTs > latestEventTs) latestEventTs = out.latestTs;
        if (out.evicted !== undefined) {
          options.metrics?.entitiesEvicted.inc(out.evicted);
          options.metrics?.detectorEntities.set(out.entities ?? 0);
        }
        output.push(out);
      },
    });
    threadReady = thread.start();
    // Awaited below, once this thread's own detector is built: the two start side by side.
    threadReady.catch(() => {});
  }
  const detector = await Detector.create(detectorOptions).catch((err: unknown) => {
    // A saved model this version cannot use (another version's features, a damaged file)
    // must not keep the node from ingesting: rules and reputation score until one is trained.
    if (!(err instanceof DetectorError) || err.code !== 'MODEL_INVALID') throw err;
    logger.error({ err: err.message }, 'the saved model cannot be used; scoring with rules and reputation only until one is trained');
    return Detector.create({ ...detectorOptions, model: null });
  });
  let stopped = false;
  const logModel = async (): Promise<void> => {
    const info = detector.modelInfo;
    if (!info || stopped) return;
    const id = `model:${info.hash}`;
    // Logged once per model: every alert it raises names this hash, and the ledger proves it.
    if (store.getMeta('ledger.model') !== info.hash) {
      ledger.append({ type: 'model', ts: now(), body: { id, hash: info.hash, backend: info.backend, threshold: info.threshold } });
      await ledger.checkpoint();
      store.setMeta('ledger.model', info.hash);
    }
    logger.info({ model: info.hash, backend: info.backend }, 'detector model in use');
  };
  if (detector.modelInfo) await logModel();
  else if (options.trainDemoModel && options.city) {
    // The demo should score with a model from its first minute; training takes about half a
    // minute, so it runs while the node already serves (rules and reputation meanwhile).
    logger.info('no trained model yet: training one on simulated normal traffic in the background');
    void trainDemoModelFromSimulator({ seed: 7919 })
      .then(async ({ bundle }) => {
        if (stopped) return;
        await saveModel(join(options.dataDir, 'model'), bundle);
        detector.setModel(bundle);
        thread?.reloadModel();
        await logModel();
      })
      .catch((err: unknown) => logger.error({ err }, 'training the demo model failed; rules and reputation only'));
  } else logger.warn('no trained model in the data directory: rules and reputation only (run `vigil train`)');

  // With the detector on its thread, this detector keeps the rule book the API lists and checks;
  // every change is made here first (validated, ledgered) and then in the thread's book.
  const forward = (op: RuleOp) => thread?.rule(op);
  const rules = new PersistentRuleAdmin(ruleBookAdmin(detector.rules), store, forward);
  await rules.restore(logger);
  // With detector workers the reputation is theirs: the decisions are recorded here only.
  const authority = authorityDesk(store, options.detect ? detector : undefined, now, thread);
  const audit = ledgerAuditLog(ledger);
  const pendingActions = startPendingActions(store, audit, logger);
  await pendingActions.poke();
  const api = createApi({
    store,
    tokens: store,
    audit: withEvidenceDecorator(audit, options.decorateEvidence),
    rules,
    authority,
    ...(options.sensorKeys ? { sensorKeys: options.sensorKeys } : {}),
    now,
    ...options.api,
    onUnexpectedError: (err) => logger.error({ err }, 'API error'),
  });

  const output = new DetectorOutputWriter({
    store: options.writer ?? store,
    ledger,
    folder: new AlertFolder(options.alertFold),
    logger,
    metrics: options.metrics,
    published: (saved, stored) => {
      api.publishDetectorOutput(saved);
      replica?.replicate(stored);
    },
  });
  authority.bindOutput((reputation) => output.push({ alerts: [], incidents: [], reputation }));
  // Event time, not the wall clock: an import of last week's traffic must not evict as it goes.
  let latestEventTs = -Infinity;
  await threadReady;
  const subscription: BusSubscription | undefined = !options.detect
    ? undefined
    : thread
      ? await options.bus.subscribe('detector', (batch) => thread!.score(batch))
      : await options.bus.subscribe('detector', (batch) => {
        const events = new Array<StoredEvent['event']>(batch.length);
        for (let i = 0; i < batch.length; i++) {
          const e = batch[i]!.event;
          events[i] = e;
          if (e.vigil.ts > latestEventTs) latestEventTs = e.vigil.ts;
        }
        output.push(detector.process(events));
      });
  const entityIdleMs = options.entityIdleMs ?? 3_600_000;
  let lastEviction = now();
  const ticker = setInterval(() => {
    try {
      if (thread) {
        const evict = now() - lastEviction >= Math.min(60_000, entityIdleMs);
        if (evict) lastEviction = now();
        return thread.tick(now(), evict ? Math.min(latestEventTs, now()) - entityIdleMs : undefined);
      }
      output.push(detector.tick(now()));
      // A scan of every entity: once a minute is plenty for an idle time of an hour.
      if (now() - lastEviction >= Math.min(60_000, entityIdleMs)) {
        lastEviction = now();
        options.metrics?.entitiesEvicted.inc(detector.evictIdle(Math.min(latestEventTs, now()) - entityIdleMs));
        options.metrics?.detectorEntities.set(detector.reputation.size);
      }
    } catch (err) {
      logger.error({ err }, 'detector tick failed');
    }
  }, options.tickMs);
  ticker.unref();
  // Retention runs in small transactions, hourly, so ingest is never blocked for long.
  const retention = setInterval(() => {
    try {
      const removed = store.applyRetention();
      if (removed.events + removed.deadLetters + removed.reputation > 0) logger.info(removed, 'retention: removed what aged out');
    } catch (err) {
      logger.error({ err }, 'retention failed');
    }
  }, 3_600_000);
  retention.unref();

  return {
    ledger,
    detector,
    ...(thread ? { detectorThread: thread } : {}),
    api,
    authority,
    appendPendingActions: pendingActions.poke,
    async stop() {
      stopped = true;
      await pendingActions.stop();
      clearInterval(ticker);
      clearInterval(retention);
      await replica?.stop();
      await subscription?.unsubscribe();
      await thread?.stop();
      await output.drain();
      await ledger.checkpoint().catch((err: unknown) => logger.warn({ err }, 'final checkpoint failed'));
      await ledger.close();
    },
  };
}

function withEvidenceDecorator(audit: AuditLog, decorate: AnalysisOptions['decorateEvidence']): AuditLog {
  if (!decorate) return audit;
  return { ...audit, proveById: async (id) => {
    const bundle = await audit.proveById(id);
    return bundle && decorate(bundle);
  } };
}

/**
 * After a crash between the store's commit and the ledger's next durable checkpoint, the
 * ledger recovers to that checkpoint and may lack the last stored events. Events reach the
 * ledger in the store's commit order (its seq order), so the newest ledger event that the
 * store still holds marks where to resume: everything the store holds after it is appended
 * again. Read backwards, skipping alert and action entries and events that retention has
 * deleted since (it goes by event time, so an imported old event can go first); no id index
 * is needed. A ledger none of whose events the store holds, with retention off, belongs to
 * another data directory.
 */
async function catchUpLedger(ledger: Ledger, store: SqliteStore, logger: Logger, retentionDays: number): Promise<void> {
  let resumeAfter = 0;
  let missing = 0;
  let lastMissing: string | undefined;
  for (let i = ledger.size - 1; i >= 0; i--) {
    const entry = await ledger.entry(i);
    if (entry.type !== 'event') continue;
    const row = store.getEvent(String(entry.body['id']));
    if (row) {
      resumeAfter = row.seq;
      break;
    }
    missing++;
    lastMissing ??= String(entry.body['id']);
  }
  if (missing > 0) {
    if (retentionDays === 0 && resumeAfter === 0) {
      throw new Error(`the ledger's last event ${lastMissing} is not in the store: is this the ledger of another data directory?`);
    }
    logger.warn({ missing, resumeAfter }, "the ledger's newest events are no longer in the store (retention removed them); resuming after the newest one it still holds");
  }
  let appended = 0;
  for (let rows = store.eventsAfter(resumeAfter, 5_000); rows.length > 0; rows = store.eventsAfter(resumeAfter, 5_000)) {
    ledger.appendMany(rows.map((row) => eventEntry({ event: row.event, source: row.source, receivedAt: row.receivedAt })));
    appended += rows.length;
    resumeAfter = rows[rows.length - 1]!.seq;
  }
  if (appended > 0) {
    await ledger.checkpoint();
    logger.warn({ appended }, 'ledger caught up with stored events it did not have (a crash before its checkpoint, or a new ledger)');
  }
}


/**
 * The detector asks which incident still collects an entity's alerts. The analysts' triage
 * lives in the store, so a resolved incident (resolved through the API) stops collecting
 * at once and the entity's next alert opens a new one.
 */
export class StoreIncidentBook implements IncidentBook {
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

type SavedOp =
  | { op: 'addRule'; source: string; actor: string }
  | { op: 'addException'; spec: ExceptionSpec; actor: string; id: string }
  | { op: 'addSuppression'; spec: SuppressionSpec; actor: string; id: string }
  | { op: 'disable'; kind: RuleItem['kind']; id: string; actor: string };

/**
 * Rule administration (the API's `ruleBookAdmin` over the detector's rule book), made to
 * survive a restart: every change is kept in the store's meta table and replayed at start.
 * Exceptions get new ids when replayed, so later operations are mapped onto them.
 */
class PersistentRuleAdmin implements RuleAdmin {
  private ops: SavedOp[] = [];

  constructor(
    private readonly inner: RuleAdmin,
    private readonly store: SqliteStore,
    /** Told of every change once made here (the detector thread's rule book). */
    private readonly forward: (op: RuleOp) => void = () => {},
  ) {}

  async restore(logger: Logger): Promise<void> {
    const text = this.store.getMeta('rules.admin');
    if (!text) return;
    const renamed = new Map<string, string>();
    for (const op of JSON.parse(text) as SavedOp[]) {
      try {
        if (op.op === 'addRule') await this.inner.addRule(op.source, op.actor);
        else if (op.op === 'addException') renamed.set(op.id, (await this.inner.addException(op.spec, op.actor)).id);
        else if (op.op === 'addSuppression') renamed.set(op.id, (await this.inner.addSuppression(op.spec, op.actor)).id);
        else await this.inner.disable(op.kind, renamed.get(op.id) ?? op.id, op.actor);
        this.forwardOp(op, renamed);
        this.ops.push(op.op === 'disable' ? { ...op, id: renamed.get(op.id) ?? op.id } : op.op === 'addRule' ? op : { ...op, id: renamed.get(op.id) ?? op.id });
      } catch (err) {
        logger.error({ err, op: op.op }, 'a saved rule change no longer applies');
      }
    }
    this.save();
  }

  private forwardOp(op: SavedOp, renamed: Map<string, string>): void {
    if (op.op === 'addException') this.forward({ ...op, id: renamed.get(op.id) ?? op.id });
    else if (op.op === 'addSuppression') this.forward({ op: op.op, spec: op.spec, actor: op.actor });
    else if (op.op === 'disable') this.forward({ ...op, id: renamed.get(op.id) ?? op.id });
    else this.forward(op);
  }

  private save(): void {
    this.store.setMeta('rules.admin', JSON.stringify(this.ops));
  }

  list(kind?: RuleItem['kind']) {
    return this.inner.list(kind);
  }

  checkRule(source: string) {
    return this.inner.checkRule(source);
  }

  async addRule(source: string, actor: string): Promise<RuleItem> {
    const item = await this.inner.addRule(source, actor);
    this.ops.push({ op: 'addRule', source, actor });
    this.forwardOp({ op: 'addRule', source, actor }, new Map());
    this.save();
    return item;
  }

  async addException(spec: ExceptionSpec, actor: string): Promise<RuleItem> {
    const item = await this.inner.addException(spec, actor);
    this.ops.push({ op: 'addException', spec, actor, id: item.id });
    this.forwardOp({ op: 'addException', spec, actor, id: item.id }, new Map());
    this.save();
    return item;
  }

  async addSuppression(spec: SuppressionSpec, actor: string): Promise<RuleItem> {
    const item = await this.inner.addSuppression(spec, actor);
    this.ops.push({ op: 'addSuppression', spec, actor, id: item.id });
    this.forwardOp({ op: 'addSuppression', spec, actor, id: item.id }, new Map());
    this.save();
    return item;
  }

  async disable(kind: RuleItem['kind'], id: string, actor: string): Promise<{ before: RuleItem; after: RuleItem }> {
    const change = await this.inner.disable(kind, id, actor);
    this.ops.push({ op: 'disable', kind, id, actor });
    this.forwardOp({ op: 'disable', kind, id, actor }, new Map());
    this.save();
    return change;
  }
}
