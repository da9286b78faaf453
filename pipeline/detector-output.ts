/**
 * Where the detector's decisions go: alerts, incidents and reputation to the store in one
 * transaction per flush, through the store writer (on its thread, in order with the event
 * batches, so the event loop never waits for the database lock; store/sqlite.ts takes it
 * with `BEGIN IMMEDIATE`), then new and folded alerts to the ledger, then everything to the
 * API's live subscribers. One write is in flight at a time: outputs that arrive meanwhile
 * are written together in the next transaction (one commit, not one per batch). Nothing
 * the detector decided is dropped: when the database stays locked past `busy_timeout` (or
 * any other failure), the output stays queued, in order, and is retried with a growing
 * delay; each retry is counted in /metrics.
 */
import type { Alert, Incident, ReputationPoint } from '../detector/index.js';
import type { Ledger, LedgerEntry } from '../ledger/index.js';
import { StoreError, type DetectorOutput, type StoredIncident } from '../store/index.js';
import type { AlertFolder } from './alert-fold.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface DetectorDecisions {
  alerts: readonly Alert[];
  incidents: readonly Incident[];
  reputation: readonly ReputationPoint[];
}

export interface DetectorOutputSinks {
  /** The store writer (pipeline/store-writer.ts) or a store. */
  store: { saveDetectorOutput(output: DetectorOutput): Promise<{ newAlerts: Alert[]; incidents: StoredIncident[] }> | { newAlerts: Alert[]; incidents: StoredIncident[] } };
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

/** `push(...src)` without one argument per element: a queue behind a long retry can be large. */
function append<T>(dst: T[], src: readonly T[]): void {
  for (let i = 0; i < src.length; i++) dst.push(src[i]!);
}

const empty = (): Pending => ({ alerts: [], folded: [], folds: new Map(), incidents: new Map(), reputation: [] });

export class DetectorOutputWriter {
  private pending = empty();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<boolean> | undefined;
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
    append(p.alerts, f.alerts);
    append(p.folded, f.folded);
    for (const x of f.folds) p.folds.set(x.id, x.folded);
    // An incident's latest state is all the store needs: a later one replaces an earlier one.
    for (const inc of f.incidents) {
      p.incidents.delete(inc.id);
      p.incidents.set(inc.id, inc);
    }
    append(p.reputation, out.reputation);
    this.sinks.metrics?.alertsFolded.inc(f.folded.length);
    if (this.timer === undefined && this.writing === undefined) void this.flush();
  }

  /** Writes what is queued; on a failure, schedules a retry. Resolves with whether the queue was written. */
  flush(): Promise<boolean> {
    this.timer = undefined;
    this.writing ??= this.write().finally(() => {
      this.writing = undefined;
      // What arrived during the write goes in the next one, unless a retry is scheduled.
      if (this.timer === undefined && this.queued > 0) void this.flush();
    });
    return this.writing;
  }

  private async write(): Promise<boolean> {
    const p = this.pending;
    if (this.queued === 0) return true;
    this.pending = empty();
    const incidents = [...p.incidents.values()];
    const folds = [...p.folds].map(([id, folded]) => ({ id, folded }));
    let saved: { newAlerts: Alert[]; incidents: StoredIncident[] };
    try {
      saved = await this.sinks.store.saveDetectorOutput({ alerts: p.alerts, incidents, reputation: p.reputation, folds });
    } catch (err) {
      this.requeue(p);
      const busy = err instanceof StoreError && err.code === 'BUSY';
      this.sinks.metrics?.detectorOutputRetries.inc({ reason: busy ? 'busy' : 'error' });
      this.sinks.metrics?.detectorOutputQueued.set(this.queued);
      this.sinks.logger.warn({ err, queued: this.queued, retryInMs: this.delay }, 'detector output not stored yet; retrying');
      this.timer = setTimeout(() => void this.flush(), this.delay);
      this.delay = Math.min(this.maxRetryMs, this.delay * 2);
      return false;
    }
    this.delay = this.retryMs;
    this.sinks.metrics?.detectorOutputQueued.set(this.queued);
    const entries: LedgerEntry[] = saved.newAlerts.map((a) => ({ type: 'alert', ts: a.ts, body: { ...a } }));
    // Every folded alert is a finding of its own: the ledger proves it by its own id.
    for (const { alert, into } of p.folded) entries.push({ type: 'alert', ts: alert.ts, body: { ...alert, foldedInto: into } });
    if (entries.length > 0) this.sinks.ledger.appendMany(entries);
    this.sinks.published(saved, { alerts: p.alerts, incidents, reputation: p.reputation });
    return true;
  }

  /** A failed write goes back before what arrived since, so the order stays the detector's. */
  private requeue(failed: Pending): void {
    const later = this.pending;
    this.pending = failed;
    append(failed.alerts, later.alerts);
    append(failed.folded, later.folded);
    for (const [id, f] of later.folds) failed.folds.set(id, f);
    for (const [id, inc] of later.incidents) {
      failed.incidents.delete(id);
      failed.incidents.set(id, inc);
    }
    append(failed.reputation, later.reputation);
  }

  /** At stop: keeps retrying what is queued for up to `timeoutMs`, then says what is left. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.writing;
      clearTimeout(this.timer);
      if (await this.flush()) {
        await this.writing;
        if (this.queued === 0) return;
        continue;
      }
      if (Date.now() > deadline) {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.sinks.logger.error({ queued: this.queued }, 'detector output still not stored at stop');
        return;
      }
      await new Promise((r) => setTimeout(r, this.delay));
    }
  }
}
