/**
 * Where the detector's decisions go: alerts, incidents and reputation to the store in one
 * `BEGIN IMMEDIATE` transaction per flush (store/sqlite.ts), then new and folded alerts to
 * the ledger, then everything to the API's live subscribers. Nothing the detector decided
 * is dropped: when the database stays locked past `busy_timeout` (the store writer's thread
 * commits ingest batches on its own connection), the output stays queued, in order, and is
 * retried with a growing delay; each retry is counted in /metrics. Outputs queued behind a
 * retry are written together in the next transaction (one commit, not one per batch).
 */
import type { Alert, Incident, ReputationPoint } from '../detector/index.js';
import type { Ledger, LedgerEntry } from '../ledger/index.js';
import { StoreError, type SqliteStore, type StoredIncident } from '../store/index.js';
import type { AlertFolder } from './alert-fold.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface DetectorDecisions {
  alerts: readonly Alert[];
  incidents: readonly Incident[];
  reputation: readonly ReputationPoint[];
}

export interface DetectorOutputSinks {
  store: SqliteStore;
  ledger: Ledger;
  folder: AlertFolder;
  logger: Logger;
  metrics?: Metrics | undefined;
  /** After the commit: the API's subscribers, the Elasticsearch replica. */
  published(saved: { newAlerts: Alert[]; incidents: StoredIncident[] }, stored: DetectorDecisions): void;
  /** First retry delay, milliseconds; doubles up to `maxRetryMs`. @default 20 */
  retryMs?: number;
  /** @default 2000 */
  maxRetryMs?: number;
}

interface Pending {
  alerts: Alert[];
  folded: Array<{ alert: Alert; into: string }>;
  folds: Map<string, NonNullable<Alert['folded']>>;
  incidents: Map<string, Incident>;
  reputation: ReputationPoint[];
}

const empty = (): Pending => ({ alerts: [], folded: [], folds: new Map(), incidents: new Map(), reputation: [] });

export class DetectorOutputWriter {
  private pending = empty();
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;

  constructor(private readonly sinks: DetectorOutputSinks) {
    this.retryMs = sinks.retryMs ?? 20;
    this.maxRetryMs = sinks.maxRetryMs ?? 2000;
    this.delay = this.retryMs;
  }

  /** Outputs waiting for a retry (0 when the last write succeeded). */
  get queued(): number {
    return this.pending.alerts.length + this.pending.folded.length + this.pending.incidents.size + this.pending.reputation.length;
  }

  /** Folds the alerts, queues the output and writes it at once unless a retry is already waiting. */
  push(out: DetectorDecisions): void {
    if (out.alerts.length === 0 && out.incidents.length === 0 && out.reputation.length === 0) return;
    const f = this.sinks.folder.fold(out.alerts, out.incidents);
    const p = this.pending;
    p.alerts.push(...f.alerts);
    p.folded.push(...f.folded);
    for (const x of f.folds) p.folds.set(x.id, x.folded);
    // An incident's latest state is all the store needs: a later one replaces an earlier one.
    for (const inc of f.incidents) {
      p.incidents.delete(inc.id);
      p.incidents.set(inc.id, inc);
    }
    p.reputation.push(...out.reputation);
    this.sinks.metrics?.alertsFolded.inc(f.folded.length);
    if (this.timer === undefined) this.flush();
  }

  /** Writes what is queued; on a busy database, schedules a retry. Returns whether the queue is empty. */
  flush(): boolean {
    this.timer = undefined;
    const p = this.pending;
    if (p.alerts.length + p.folded.length + p.incidents.size + p.reputation.length === 0) return true;
    const incidents = [...p.incidents.values()];
    const folds = [...p.folds].map(([id, folded]) => ({ id, folded }));
    let saved: { newAlerts: Alert[]; incidents: StoredIncident[] };
    try {
      saved = this.sinks.store.saveDetectorOutput({ alerts: p.alerts, incidents, reputation: p.reputation, folds });
    } catch (err) {
      const busy = err instanceof StoreError && err.code === 'BUSY';
      this.sinks.metrics?.detectorOutputRetries.inc({ reason: busy ? 'busy' : 'error' });
      this.sinks.metrics?.detectorOutputQueued.set(this.queued);
      this.sinks.logger.warn({ err, queued: this.queued, retryInMs: this.delay }, 'detector output not stored yet; retrying');
      this.timer = setTimeout(() => this.flush(), this.delay);
      this.delay = Math.min(this.maxRetryMs, this.delay * 2);
      return false;
    }
    this.pending = empty();
    this.delay = this.retryMs;
    this.sinks.metrics?.detectorOutputQueued.set(0);
    const entries: LedgerEntry[] = saved.newAlerts.map((a) => ({ type: 'alert', ts: a.ts, body: { ...a } }));
    // Every folded alert is a finding of its own: the ledger proves it by its own id.
    for (const { alert, into } of p.folded) entries.push({ type: 'alert', ts: alert.ts, body: { ...alert, foldedInto: into } });
    if (entries.length > 0) this.sinks.ledger.appendMany(entries);
    this.sinks.published(saved, { alerts: p.alerts, incidents, reputation: p.reputation });
    return true;
  }

  /** At stop: keeps retrying what is queued for up to `timeoutMs`, then says what is left. */
  async drain(timeoutMs = 10_000): Promise<void> {
    clearTimeout(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (!this.flush()) {
      clearTimeout(this.timer);
      if (Date.now() > deadline) {
        this.sinks.logger.error({ queued: this.queued }, 'detector output still not stored at stop');
        return;
      }
      await new Promise((r) => setTimeout(r, this.delay));
    }
  }
}
