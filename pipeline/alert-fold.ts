/**
 * Alert storms: a noisy attacker (a password-guessing flood, a jammed sensor) makes the
 * detector raise the same finding on the same entity again and again. Stored, indexed,
 * joined and published one by one, those alerts make the node's cost grow with the
 * attacker's rate and bury the analyst. Here the repeats within a window fold into the
 * first alert of the window, which carries their count, ids and (capped) evidence.
 *
 * What stays: every alert keeps its deterministic id (the detector's), and every folded
 * alert still gets its own ledger entry (naming the alert it was folded into), so the
 * ledger proves each finding and the store holds one row per storm window. A repeat of
 * higher severity than the open fold, or one that joined another incident, is not folded:
 * an escalation is a new alert.
 */
import type { Alert, AlertFold, Incident } from '../detector/index.js';
import { SEVERITIES } from '../detector/index.js';

export interface AlertFoldOptions {
  /**
   * Repeats of one origin (rule, model family, reputation) on one entity fold into the
   * first alert for this long after it, milliseconds of alert time. `0` folds nothing.
   * @default 300000 (5 min)
   */
  windowMs?: number;
  /** Folded alert ids and extra evidence ids kept on the folded-into alert (the newest). @default 100 */
  listLimit?: number;
  /** Open folds kept; beyond it the oldest close (a fold is only a saving, never a loss). @default 100000 */
  maxOpen?: number;
}

interface OpenFold {
  into: Alert;
  firstTs: number;
  fold: AlertFold;
  /** Evidence recently on the folded-into alert or its fold: ids are listed once. */
  seen: Set<string>;
  evidenceTotal: number;
  alertTotal: number;
}

export interface Folded {
  /** Alerts to store: the first of each window, and every alert not folded. */
  alerts: Alert[];
  /** Alerts folded into a stored one: each is ledgered, naming the alert it joined. */
  folded: Array<{ alert: Alert; into: string }>;
  /** The stored alerts whose fold changed, with their fold now. */
  folds: Array<{ id: string; folded: AlertFold }>;
  /** The detector's incidents with folded alert ids replaced by the alert they joined. */
  incidents: Incident[];
}

export class AlertFolder {
  private readonly windowMs: number;
  private readonly listLimit: number;
  private readonly maxOpen: number;
  private readonly open = new Map<string, OpenFold>();
  /** Folded alert id → the alert it joined, for the incidents' alert lists (bounded like `open`). */
  private readonly joined = new Map<string, string>();

  constructor(options: AlertFoldOptions = {}) {
    this.windowMs = options.windowMs ?? 300_000;
    this.listLimit = options.listLimit ?? 100;
    this.maxOpen = options.maxOpen ?? 100_000;
    for (const [k, v] of Object.entries({ windowMs: this.windowMs, listLimit: this.listLimit, maxOpen: this.maxOpen })) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`alert fold ${k}: expected a non-negative integer, got ${v}`);
    }
  }

  /** Alerts folded so far that are still open (for /metrics). */
  get openFolds(): number {
    return this.open.size;
  }

  fold(alerts: readonly Alert[], incidents: readonly Incident[]): Folded {
    const out: Folded = { alerts: [], folded: [], folds: [], incidents: [] };
    const changed = new Map<string, OpenFold>();
    for (const a of alerts) {
      const key = `${a.origin.id}\u0000${a.entity.type}\u0000${a.entity.id}`;
      const f = this.open.get(key);
      if (f && this.joins(f, a)) {
        this.add(f, a);
        out.folded.push({ alert: a, into: f.into.id });
        changed.set(f.into.id, f);
        continue;
      }
      out.alerts.push(a);
      if (this.windowMs > 0) this.start(key, a);
    }
    for (const f of changed.values()) out.folds.push({ id: f.into.id, folded: copyFold(f.fold) });
    for (const inc of incidents) out.incidents.push(this.relink(inc));
    return out;
  }

  private joins(f: OpenFold, a: Alert): boolean {
    return (
      a.ts >= f.firstTs &&
      a.ts - f.firstTs < this.windowMs &&
      a.incidentId === f.into.incidentId &&
      SEVERITIES.indexOf(a.severity) <= SEVERITIES.indexOf(f.into.severity) &&
      a.id !== f.into.id
    );
  }

  private start(key: string, a: Alert): void {
    this.open.delete(key);
    this.open.set(key, { into: a, firstTs: a.ts, fold: { count: 0, lastTs: a.ts, alertIds: [], evidence: [] }, seen: new Set(a.evidence), evidenceTotal: 0, alertTotal: 0 });
    if (this.open.size > this.maxOpen) {
      const oldest = this.open.keys().next().value as string;
      this.open.delete(oldest);
    }
  }

  private add(f: OpenFold, a: Alert): void {
    const fold = f.fold;
    fold.count++;
    fold.lastTs = Math.max(fold.lastTs, a.ts);
    f.alertTotal++;
    pushCapped(fold.alertIds, a.id, this.listLimit);
    for (const id of a.evidence) {
      if (f.seen.has(id)) continue;
      // Bounded: the most recent ids are remembered, so an event that is evidence of many
      // consecutive alerts (a correlation window) counts once; one seen long ago may count again.
      f.seen.add(id);
      if (f.seen.size > 4 * this.listLimit + 16) f.seen.delete(f.seen.values().next().value as string);
      f.evidenceTotal++;
      pushCapped(fold.evidence, id, this.listLimit);
    }
    if (f.alertTotal > fold.alertIds.length || f.evidenceTotal > fold.evidence.length) {
      fold.truncated = { alertIds: f.alertTotal, evidence: f.evidenceTotal, kept: this.listLimit };
    }
    this.joined.set(a.id, f.into.id);
    if (this.joined.size > this.maxOpen) this.joined.delete(this.joined.keys().next().value as string);
  }

  private relink(inc: Incident): Incident {
    let any = false;
    for (const id of inc.alertIds) if (this.joined.has(id)) any = true;
    if (!any) return inc;
    const ids = new Set<string>();
    for (const id of inc.alertIds) ids.add(this.joined.get(id) ?? id);
    // A copy: the detector keeps its own incident object and goes on appending to it.
    return { ...inc, alertIds: [...ids] };
  }
}

function pushCapped(list: string[], id: string, limit: number): void {
  if (limit === 0) return;
  // Keep the newest: they are what the analyst acts on; the counts say the rest existed.
  if (list.length >= limit) list.shift();
  list.push(id);
}

function copyFold(f: AlertFold): AlertFold {
  return { count: f.count, lastTs: f.lastTs, alertIds: [...f.alertIds], evidence: [...f.evidence], ...(f.truncated ? { truncated: { ...f.truncated } } : {}) };
}
