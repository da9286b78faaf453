/**
 * The rule book: Sigma detection rules, Sigma correlation rules (event_count, value_count,
 * temporal, temporal_ordered, with group-by and timespan), Sigma filters, and two things
 * every rule — and the model and reputation alerts — gets from Vigil: exceptions (events
 * a rule must ignore) and suppression (repeat alerts for the same key folded for a while).
 *
 * Vigil extensions, kept apart from Sigma's own keys so the rules stay valid Sigma:
 * - correlation `type: vigil_silence`: a group whose referenced rule stops matching for
 *   `timespan` raises an alert from `tick(now)` (Sigma has no absence correlation);
 * - a top-level `vigil:` map with `category` (the attack type an alert names), `score`
 *   (0–100, else from `level`) and `suppress: {timespan, group-by}`.
 *
 * Rules are added at run time through the API (`add`, `disable`, `addException`,
 * `addSuppression`); all of these validate first and change nothing on error.
 */
import { parseAllDocuments } from 'yaml';
import { sha256Hex } from '../../events/index.js';
import { DetectorError } from '../errors.js';
import type { Severity } from '../types.js';
import { compileCondition, compileSearch, getter, parseTimespan, type Getter, type MatchContext, type Predicate } from './match.js';
import { MAX_WINDOW_EVENTS, SlidingWindow } from './window.js';

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered' | 'vigil_silence';

export interface RuleMeta {
  id: string;
  name?: string;
  title: string;
  description: string;
  level: Severity;
  score: number;
  tags: string[];
  category?: string;
  /** hex SHA-256 of the rule's YAML source. */
  hash: string;
}

export interface Suppression {
  /** Milliseconds during which repeats for the same key are folded. */
  timespanMs: number;
  /** Fields making up the key. @default ['vigil.entity.id'] */
  groupBy: string[];
}

interface DetectionRule extends RuleMeta {
  kind: 'detection';
  kinds?: Set<string>;
  match: Predicate;
  /** false when only correlations use it (Sigma: referenced rules do not alert unless `generate`). */
  generate: boolean;
  referencedBy: CorrelationRule[];
}

interface CorrelationRule extends RuleMeta {
  kind: 'correlation';
  type: CorrelationType;
  refs: string[];
  groupBy: Getter[];
  timespanMs: number;
  condition: { field?: Getter; gt?: number; gte?: number; lt?: number; lte?: number; eq?: number };
  generate: boolean;
  groups: Map<string, GroupState>;
}

interface Seen {
  ts: number;
  id: string;
  entity: MatchContext['event']['vigil']['entity'];
}

interface GroupState {
  /** event_count, value_count, temporal, temporal_ordered: the sliding window (window.ts). */
  window?: SlidingWindow;
  /** vigil_silence: the group's last matching event. */
  last?: Seen;
  /** vigil_silence: whether the silence was already reported. */
  reported?: boolean;
  /** vigil_silence: mean interval between matches, milliseconds (exponentially weighted). */
  interval?: number;
  /** After firing, matching events until then are evidence of the same finding. */
  activeUntil?: number;
}

export interface RuleHit {
  rule: RuleMeta;
  origin: 'detection' | 'correlation';
  entity: MatchContext['event']['vigil']['entity'];
  /** Epoch milliseconds of the last evidence. */
  ts: number;
  /** Evidence event ids, oldest first (the correlation window, or the one event). */
  evidence: string[];
  /** Index in the batch of the event that triggered it (absent for tick-driven hits). */
  eventIndex?: number;
  /** Correlation details in words ("12 events in 60 s"). */
  detail?: string;
  /** A matching event while a fired correlation is still active: scored, not alerted again. */
  continuing?: boolean;
}

interface Exception {
  id: string;
  match: Predicate;
  note?: string;
}

const LEVEL_SCORE: Record<Severity, number> = { low: 30, medium: 55, high: 80, critical: 95 };
const LEVELS: Record<string, Severity> = { informational: 'low', low: 'low', medium: 'medium', high: 'high', critical: 'critical' };

export class RuleBook {
  private readonly detections = new Map<string, DetectionRule>();
  private readonly correlations = new Map<string, CorrelationRule>();
  private readonly byName = new Map<string, string>();
  private readonly disabled = new Set<string>();
  private readonly exceptions = new Map<string, Exception[]>();
  private readonly suppressions = new Map<string, Suppression>();
  private readonly lastAlert = new Map<string, { ts: number; folded: number }>();
  private exceptionSeq = 0;
  /** Detection rules in evaluation order, refreshed on change. */
  private active: DetectionRule[] = [];
  /**
   * The active rules an event of each kind can meet (those naming that kind in their
   * logsource, and those naming none), in evaluation order; `anyKind` for other kinds.
   */
  private byKind = new Map<string, DetectionRule[]>();
  private anyKind: DetectionRule[] = [];

  /** Adds every rule in a YAML text (one or more `---` documents); returns their ids. */
  add(yamlText: string): string[] {
    const docs = parseAllDocuments(yamlText);
    const parsed: unknown[] = [];
    for (const doc of docs) {
      if (doc.errors.length > 0) throw new DetectorError('RULE_INVALID', `rule YAML: ${doc.errors[0]!.message}`);
      const value: unknown = doc.toJSON();
      if (value !== null && value !== undefined) parsed.push({ value, source: String(doc) });
    }
    // Compile everything first, then commit: a bad document leaves the book unchanged.
    const staged: Array<DetectionRule | CorrelationRule | { kind: 'filter'; rules: string[]; match: Predicate; id: string }> = [];
    for (const p of parsed as Array<{ value: unknown; source: string }>) staged.push(this.compile(p.value, p.source));
    const ids: string[] = [];
    const newNames = new Map<string, string>();
    for (const r of staged) {
      if (r.kind === 'filter') continue;
      if (this.detections.has(r.id) || this.correlations.has(r.id) || ids.includes(r.id)) throw new DetectorError('RULE_DUPLICATE', `rule ${r.id} already exists`);
      ids.push(r.id);
      if (r.name) newNames.set(r.name, r.id);
    }
    const resolve = (ref: string): string | undefined => {
      for (const id of [ref, newNames.get(ref), this.byName.get(ref)]) if (id && (this.detections.has(id) || ids.includes(id))) return id;
      return undefined;
    };
    for (const r of staged) {
      if (r.kind === 'detection') continue;
      const refs = r.kind === 'filter' ? r.rules : r.refs;
      const resolved = refs.map((ref) => {
        const id = resolve(ref) ?? (r.kind === 'filter' ? this.correlationId(ref) : undefined);
        if (!id) throw new DetectorError('RULE_NOT_FOUND', `rule ${r.id} refers to ${ref}, which is not a detection rule here`);
        return id;
      });
      if (r.kind === 'filter') r.rules = resolved;
      else r.refs = resolved;
    }
    for (const r of staged) {
      if (r.kind === 'detection') {
        this.detections.set(r.id, r);
        if (r.name) this.byName.set(r.name, r.id);
      } else if (r.kind === 'correlation') {
        this.correlations.set(r.id, r);
        if (r.name) this.byName.set(r.name, r.id);
      }
    }
    for (const r of staged) {
      if (r.kind === 'correlation') {
        for (const ref of r.refs) {
          const d = this.detections.get(ref)!;
          d.referencedBy.push(r);
          if (!r.generate) d.generate = false;
        }
      } else if (r.kind === 'filter') {
        for (const id of r.rules) this.pushException(id, { id: `${r.id}`, match: (ctx) => !r.match(ctx) });
      }
    }
    this.refresh();
    return ids;
  }

  private correlationId(ref: string): string | undefined {
    const id = this.correlations.has(ref) ? ref : this.byName.get(ref);
    return id && this.correlations.has(id) ? id : undefined;
  }

  /** Stops a rule (detection or correlation) from matching; its state is kept. */
  disable(id: string): void {
    this.requireRule(id);
    this.disabled.add(id);
    this.refresh();
  }

  enable(id: string): void {
    this.requireRule(id);
    this.disabled.delete(id);
    this.refresh();
  }

  /**
   * Makes `ruleId` (or `'*'`: every rule, and the model and reputation alerts) ignore events
   * matching a Sigma selection (`{ "destination.ip|cidr": "10.0.0.0/8" }`). Returns the exception's id.
   */
  addException(ruleId: string, selection: Record<string, unknown>, note?: string): string {
    if (ruleId !== '*' && !ruleId.startsWith('model:') && ruleId !== 'reputation:rogue') this.requireRule(ruleId);
    const id = `exception-${++this.exceptionSeq}`;
    const match = compileSearch('exception', selection, ruleId);
    this.pushException(ruleId, note === undefined ? { id, match } : { id, match, note });
    return id;
  }

  removeException(exceptionId: string): boolean {
    for (const [rule, list] of this.exceptions) {
      const i = list.findIndex((e) => e.id === exceptionId);
      if (i >= 0) {
        list.splice(i, 1);
        if (list.length === 0) this.exceptions.delete(rule);
        return true;
      }
    }
    return false;
  }

  /** Folds repeat alerts of `ruleId` (a rule id, `model:<family>`, `reputation:rogue` or `'*'`) for the same key. */
  addSuppression(ruleId: string, suppression: { timespanMs: number; groupBy?: string[] }): void {
    if (!(suppression.timespanMs >= 0)) throw new DetectorError('BAD_OPTION', `suppression of ${ruleId}: timespanMs must be a non-negative number`);
    if (ruleId !== '*' && !ruleId.startsWith('model:') && ruleId !== 'reputation:rogue') this.requireRule(ruleId);
    this.suppressions.set(ruleId, { timespanMs: suppression.timespanMs, groupBy: suppression.groupBy ?? ['vigil.entity.id'] });
  }

  /** Every rule's metadata, for the API. */
  list(): Array<RuleMeta & { kind: 'detection' | 'correlation'; enabled: boolean; type?: CorrelationType }> {
    const out: Array<RuleMeta & { kind: 'detection' | 'correlation'; enabled: boolean; type?: CorrelationType }> = [];
    for (const r of this.detections.values()) out.push({ ...meta(r), kind: 'detection', enabled: !this.disabled.has(r.id) });
    for (const r of this.correlations.values()) out.push({ ...meta(r), kind: 'correlation', enabled: !this.disabled.has(r.id), type: r.type });
    return out;
  }

  get size(): number {
    return this.detections.size + this.correlations.size;
  }

  /** True when an exception of `ruleId` (or of every rule) matches. */
  excepted(ruleId: string, ctx: MatchContext): boolean {
    const own = this.exceptions.get(ruleId);
    if (own) for (const e of own) if (e.match(ctx)) return true;
    const all = this.exceptions.get('*');
    if (all) for (const e of all) if (e.match(ctx)) return true;
    return false;
  }

  /**
   * Decides whether an alert of `ruleId` with key fields read from `ctx` is raised now, or
   * folded into the last one. Returns the number folded since the last raised alert, or
   * `undefined` when this one is folded.
   */
  admit(ruleId: string, ctx: MatchContext, ts: number, defaults?: Suppression): number | undefined {
    const s = this.suppressions.get(ruleId) ?? this.suppressions.get('*') ?? defaults;
    if (!s || s.timespanMs <= 0) return 0;
    const key = `${ruleId}\u0000${s.groupBy.map((g) => String(getter(g)(ctx))).join('\u0000')}`;
    const last = this.lastAlert.get(key);
    if (last && ts - last.ts < s.timespanMs && ts >= last.ts) {
      last.folded++;
      return undefined;
    }
    this.lastAlert.set(key, { ts, folded: 0 });
    return last?.folded ?? 0;
  }

  /** Evaluates one event against every active rule; appends hits. */
  evaluate(ctx: MatchContext, eventIndex: number, hits: RuleHit[]): void {
    const rules = this.byKind.get(ctx.event.vigil.kind) ?? this.anyKind;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (!r.match(ctx)) continue;
      if (this.excepted(r.id, ctx)) continue;
      const e = ctx.event;
      if (r.generate) hits.push({ rule: r, origin: 'detection', entity: e.vigil.entity, ts: e.vigil.ts, evidence: [e.id], eventIndex });
      for (const c of r.referencedBy) {
        if (this.disabled.has(c.id) || this.excepted(c.id, ctx)) continue;
        this.correlate(c, r.id, ctx, eventIndex, hits);
      }
    }
  }

  /** Time-driven rules (vigil_silence) at `now`. */
  tick(now: number, hits: RuleHit[]): void {
    for (const c of this.correlations.values()) {
      if (c.type !== 'vigil_silence' || this.disabled.has(c.id)) continue;
      for (const [, g] of c.groups) {
        const last = g.last;
        if (!last || g.reported) continue;
        // silent for the timespan, and for `condition.gte` times the group's usual interval
        const limit = Math.max(c.timespanMs, (c.condition.gte ?? 0) * (g.interval ?? 0));
        if (now - last.ts < limit) continue;
        g.reported = true;
        hits.push({ rule: c, origin: 'correlation', entity: last.entity, ts: now, evidence: [last.id], detail: `no matching event for ${Math.round((now - last.ts) / 1000)} s (limit ${Math.round(limit / 1000)} s)` });
      }
    }
  }

  private correlate(c: CorrelationRule, ref: string, ctx: MatchContext, eventIndex: number, hits: RuleHit[]): void {
    const e = ctx.event;
    const ts = e.vigil.ts;
    const key = c.groupBy.map((g) => String(g(ctx))).join('\u0000');
    let g = c.groups.get(key);
    if (!g) c.groups.set(key, (g = {}));
    if (c.type === 'vigil_silence') {
      const prev = g.last;
      // a gap (an earlier silence) is not the rhythm: it counts at most three intervals
      if (prev && ts > prev.ts) g.interval = g.interval === undefined ? ts - prev.ts : 0.9 * g.interval + 0.1 * Math.min(ts - prev.ts, 3 * g.interval);
      g.last = { ts, id: e.id, entity: e.vigil.entity };
      g.reported = false;
      return;
    }
    let value: string | undefined;
    if (c.type === 'value_count') {
      const v = c.condition.field?.(ctx);
      if (v === undefined || v === null) return;
      value = String(v);
    }
    const w = (g.window ??= new SlidingWindow({ spanMs: c.timespanMs, refs: c.refs }));
    if (!w.add({ ts, id: e.id, entity: e.vigil.entity, value, ref })) return;
    let fired = false;
    let detail = '';
    const span = `${c.timespanMs / 1000} s`;
    switch (c.type) {
      case 'event_count':
        fired = compare(c.condition, w.size);
        detail = `${w.size} events in ${span}`;
        break;
      case 'value_count':
        fired = compare(c.condition, w.distinct);
        detail = `${w.distinct} distinct values in ${span}`;
        break;
      case 'temporal':
        fired = w.allRefsPresent();
        detail = `all of ${c.refs.length} rules matched within ${span}`;
        break;
      case 'temporal_ordered':
        fired = w.orderedComplete();
        detail = `${c.refs.length} rules matched in order within ${span}`;
        break;
      default:
        break;
    }
    if (!fired) {
      if (g.activeUntil !== undefined && ts <= g.activeUntil) {
        hits.push({ rule: c, origin: 'correlation', entity: e.vigil.entity, ts, evidence: [e.id], eventIndex, continuing: true });
        g.activeUntil = ts + c.timespanMs;
      }
      return;
    }
    const evidence = w.evidence();
    if (evidence.omitted > 0) detail += ` (evidence: the newest ${evidence.ids.length}, ${evidence.omitted} older left out)`;
    hits.push({ rule: c, origin: 'correlation', entity: e.vigil.entity, ts, evidence: evidence.ids, eventIndex, detail });
    // A fired window starts over: the next alert needs fresh evidence; until the activity
    // pauses for a timespan, matching events count as part of this finding.
    w.reset();
    g.activeUntil = ts + c.timespanMs;
  }

  private pushException(ruleId: string, e: Exception): void {
    const list = this.exceptions.get(ruleId);
    if (list) list.push(e);
    else this.exceptions.set(ruleId, [e]);
  }

  private requireRule(id: string): void {
    if (!this.detections.has(id) && !this.correlations.has(id)) throw new DetectorError('RULE_NOT_FOUND', `no rule with id ${id}`);
  }

  private refresh(): void {
    this.active = [...this.detections.values()].filter((r) => !this.disabled.has(r.id) && (r.generate || r.referencedBy.some((c) => !this.disabled.has(c.id))));
    this.anyKind = this.active.filter((r) => !r.kinds);
    this.byKind = new Map();
    for (const r of this.active) for (const k of r.kinds ?? []) if (!this.byKind.has(k)) this.byKind.set(k, this.active.filter((x) => !x.kinds || x.kinds.has(k)));
  }

  private compile(value: unknown, source: string): DetectionRule | CorrelationRule | { kind: 'filter'; rules: string[]; match: Predicate; id: string } {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DetectorError('RULE_INVALID', 'a rule document must be a YAML map');
    const doc = value as Record<string, unknown>;
    const id = typeof doc.id === 'string' && doc.id !== '' ? doc.id : typeof doc.name === 'string' ? doc.name : undefined;
    if (!id) throw new DetectorError('RULE_INVALID', `rule "${String(doc.title ?? '?')}": needs an id (or a name)`);
    if (typeof doc.title !== 'string') throw new DetectorError('RULE_INVALID', `rule ${id}: needs a title`);
    const levelText = String(doc.level ?? 'medium').toLowerCase();
    const level = LEVELS[levelText];
    if (!level) throw new DetectorError('RULE_INVALID', `rule ${id}: level must be one of informational, low, medium, high, critical`);
    const ext = (doc.vigil ?? {}) as Record<string, unknown>;
    const score = ext.score === undefined ? LEVEL_SCORE[level] : Number(ext.score);
    if (!(score >= 0 && score <= 100)) throw new DetectorError('RULE_INVALID', `rule ${id}: vigil.score must be 0–100`);
    const tags = Array.isArray(doc.tags) ? doc.tags.map(String) : [];
    const base: RuleMeta = {
      id,
      title: doc.title,
      description: typeof doc.description === 'string' ? doc.description.trim() : doc.title,
      level,
      score,
      tags,
      hash: sha256Hex(source),
    };
    if (typeof doc.name === 'string') base.name = doc.name;
    if (typeof ext.category === 'string') base.category = ext.category;
    if (ext.suppress !== undefined) {
      const s = ext.suppress as Record<string, unknown>;
      this.suppressions.set(id, { timespanMs: parseTimespan(s.timespan, id), groupBy: Array.isArray(s['group-by']) ? s['group-by'].map(String) : ['vigil.entity.id'] });
    }
    if (doc.filter !== undefined) {
      const f = doc.filter as Record<string, unknown>;
      const rules = Array.isArray(f.rules) ? f.rules.map(String) : [];
      if (rules.length === 0) throw new DetectorError('RULE_INVALID', `filter ${id}: needs rules`);
      const { condition, ...searches } = f;
      delete (searches as Record<string, unknown>).rules;
      const compiled: Record<string, Predicate> = {};
      for (const [n, b] of Object.entries(searches)) compiled[n] = compileSearch(n, b, id);
      return { kind: 'filter', rules, id, match: compileCondition(String(condition ?? 'all of them'), compiled, id) };
    }
    if (doc.correlation !== undefined) {
      const c = doc.correlation as Record<string, unknown>;
      const type = String(c.type) as CorrelationType;
      if (!['event_count', 'value_count', 'temporal', 'temporal_ordered', 'vigil_silence'].includes(type)) {
        throw new DetectorError('RULE_INVALID', `rule ${id}: correlation type must be event_count, value_count, temporal, temporal_ordered or vigil_silence`);
      }
      const refs = Array.isArray(c.rules) ? c.rules.map(String) : typeof c.rules === 'string' ? [c.rules] : [];
      if (refs.length === 0) throw new DetectorError('RULE_INVALID', `rule ${id}: correlation needs rules`);
      const groupBy = (Array.isArray(c['group-by']) ? c['group-by'].map(String) : typeof c['group-by'] === 'string' ? [c['group-by']] : []).map(getter);
      const cond = (c.condition ?? {}) as Record<string, unknown>;
      const condition: CorrelationRule['condition'] = {};
      for (const op of ['gt', 'gte', 'lt', 'lte', 'eq'] as const) {
        if (cond[op] === undefined) continue;
        const n = Number(cond[op]);
        if (!Number.isFinite(n)) throw new DetectorError('RULE_INVALID', `rule ${id}: condition ${op} must be a number`);
        condition[op] = n;
      }
      if (typeof cond.field === 'string') condition.field = getter(cond.field);
      if ((type === 'event_count' || type === 'value_count') && Object.keys(condition).filter((k) => k !== 'field').length === 0) {
        throw new DetectorError('RULE_INVALID', `rule ${id}: ${type} needs a condition such as {gte: 10}`);
      }
      if (type === 'value_count' && !condition.field) throw new DetectorError('RULE_INVALID', `rule ${id}: value_count needs condition.field`);
      // A window holds at most MAX_WINDOW_EVENTS events (window.ts): a count above it could never be reached.
      const least = Math.max(condition.gt !== undefined ? condition.gt + 1 : 0, condition.gte ?? 0, condition.eq ?? 0);
      if (least > MAX_WINDOW_EVENTS) throw new DetectorError('RULE_INVALID', `rule ${id}: ${type} condition needs ${least}, above the ${MAX_WINDOW_EVENTS} events a window holds`);
      return { ...base, kind: 'correlation', type, refs, groupBy, timespanMs: parseTimespan(c.timespan, id), condition, generate: c.generate === true, groups: new Map() };
    }
    const det = doc.detection as Record<string, unknown> | undefined;
    if (!det || typeof det !== 'object') throw new DetectorError('RULE_INVALID', `rule ${id}: needs detection, correlation or filter`);
    const { condition, timeframe: _t, ...searchBodies } = det;
    if (typeof condition !== 'string') throw new DetectorError('RULE_INVALID', `rule ${id}: detection needs a condition`);
    const searches: Record<string, Predicate> = {};
    for (const [n, b] of Object.entries(searchBodies)) searches[n] = compileSearch(n, b, id);
    const rule: DetectionRule = { ...base, kind: 'detection', match: compileCondition(condition, searches, id), generate: true, referencedBy: [] };
    const ls = (doc.logsource ?? {}) as Record<string, unknown>;
    if (typeof ls.service === 'string') rule.kinds = new Set([ls.service]);
    return rule;
  }
}

function compare(c: CorrelationRule['condition'], n: number): boolean {
  if (c.gt !== undefined && !(n > c.gt)) return false;
  if (c.gte !== undefined && !(n >= c.gte)) return false;
  if (c.lt !== undefined && !(n < c.lt)) return false;
  if (c.lte !== undefined && !(n <= c.lte)) return false;
  if (c.eq !== undefined && n !== c.eq) return false;
  return true;
}

function meta(r: RuleMeta): RuleMeta {
  const m: RuleMeta = { id: r.id, title: r.title, description: r.description, level: r.level, score: r.score, tags: r.tags, hash: r.hash };
  if (r.name !== undefined) m.name = r.name;
  if (r.category !== undefined) m.category = r.category;
  return m;
}
