/**
 * The rule book: Sigma detection rules, Sigma correlation rules (every type of the
 * correlation specification 2.x — event_count, value_count, value_sum, value_avg,
 * value_percentile, temporal, temporal_ordered — with group-by, aliases, timespan and
 * chains of correlations), Sigma filters, and two things every rule — and the model and
 * reputation alerts — gets from Vigil: exceptions (events a rule must ignore) and
 * suppression (repeat alerts for the same key folded for a while).
 *
 * Rules reach Vigil's events through a logsource and field mapping (mapping.ts); a rule
 * the mapping has no source for is kept, listed with its status, and never evaluated.
 *
 * Vigil extensions, kept apart from Sigma's own keys so the rules stay valid Sigma:
 * - correlation `type: vigil_silence`: a group whose referenced rule stops matching for
 *   `timespan` raises an alert from `tick(now)` (Sigma has no absence correlation);
 * - a top-level `vigil:` map with `category` (the attack type an alert names), `score`
 *   (0–100, else from `level`) and `suppress: {timespan, group-by}`.
 *
 * Rules are added at run time through the API (`add`, `disable`, `addException`,
 * `addSuppression`); all of these validate first and change nothing on error: `add`
 * compiles and resolves every document before it commits any.
 */
import { parseAllDocuments } from 'yaml';
import { DetectorError } from '../errors.js';
import { compileDocument, type Compiled, type CorrelationRule, type CorrelationType, type DetectionRule, type RuleMeta, type RuleStatus, type RuleSuppression } from './compile.js';
import { combineMappings, defaultSigmaMapping, type SigmaMapping } from './mapping.js';
import { compileSearch, getter, type MatchContext, type Predicate } from './match.js';
import { SlidingWindow } from './window.js';
import { decide, groupKey, meta, type GroupState, type RuleHit } from './correlate.js';

export type { RuleHit };

export type { CorrelationType, RuleMeta, RuleStatus };

export interface Suppression {
  /** Milliseconds during which repeats for the same key are folded. */
  timespanMs: number;
  /** Fields making up the key. @default ['vigil.entity.id'] */
  groupBy: string[];
}

export interface RuleBookOptions {
  /**
   * Logsource and field mappings, tried in order before Vigil's default (mappings/vigil.yml).
   * @default []
   */
  mappings?: readonly SigmaMapping[];
}


interface Exception {
  id: string;
  match: Predicate;
  note?: string;
}

/** `explain`'s answer. */
export interface RuleExplanation {
  matched: boolean;
  /** Each named search: whether it holds on the event. */
  searches: Record<string, boolean>;
  /** Why the rule does not match, in words (empty when it does). */
  reasons: string[];
}

/** One rule as `list()` shows it. */
export type RuleListing = RuleMeta & { kind: 'detection' | 'correlation'; enabled: boolean; type?: CorrelationType; status: RuleStatus };

/** Chains of correlations deeper than this are refused (a cycle cannot be built: refs must exist first). */
const MAX_CHAIN = 8;

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
  /** Each correlation's groups (by group-by key). */
  private readonly groups = new Map<CorrelationRule, Map<string, GroupState>>();
  private anyKind: DetectionRule[] = [];

  private readonly mapping: SigmaMapping;

  constructor(options: RuleBookOptions = {}) {
    this.mapping = combineMappings([...(options.mappings ?? []), defaultSigmaMapping()]);
  }

  /**
   * Adds every rule in a YAML text (one or more `---` documents); returns their ids.
   * All or nothing: every document is parsed, compiled and its references resolved before
   * the first is committed, and committing cannot fail.
   */
  add(yamlText: string): string[] {
    const staged = this.stage(yamlText);
    this.commit(staged);
    return staged.ids;
  }

  /** Parses, compiles and resolves `yamlText` without changing the book (what `add` commits). */
  check(yamlText: string): { ids: string[]; statuses: Array<{ id: string; status: RuleStatus }> } {
    const staged = this.stage(yamlText);
    return { ids: staged.ids, statuses: staged.rules.flatMap((r) => (r.kind === 'filter' ? [] : [{ id: r.id, status: r.status }])) };
  }

  /** What `list` would show for the rules of `yamlText` once added, without changing the book. */
  preview(yamlText: string): RuleListing[] {
    return this.stage(yamlText).rules.flatMap((r): RuleListing[] =>
      r.kind === 'filter' ? [] : r.kind === 'detection' ? [{ ...meta(r), kind: 'detection', enabled: true, status: r.status }] : [{ ...meta(r), kind: 'correlation', enabled: true, type: r.type, status: r.status }],
    );
  }

  private stage(yamlText: string): Staged {
    const docs = parseAllDocuments(yamlText);
    const rules: Compiled[] = [];
    const suppress = new Map<string, RuleSuppression>();
    for (const doc of docs) {
      if (doc.errors.length > 0) throw new DetectorError('RULE_INVALID', `rule YAML: ${doc.errors[0]!.message}`);
      const value: unknown = doc.toJSON();
      if (value === null || value === undefined) continue;
      const c = compileDocument(value, String(doc), this.mapping);
      rules.push(c.rule);
      if (c.suppress) suppress.set(c.rule.id, c.suppress);
    }
    const ids: string[] = [];
    const names = new Map<string, string>();
    for (const r of rules) {
      if (r.kind === 'filter') continue;
      if (this.detections.has(r.id) || this.correlations.has(r.id) || ids.includes(r.id)) throw new DetectorError('RULE_DUPLICATE', `rule ${r.id} already exists`);
      if (r.name && (names.has(r.name) || this.byName.has(r.name))) throw new DetectorError('RULE_DUPLICATE', `rule name ${r.name} is already taken`);
      ids.push(r.id);
      if (r.name) names.set(r.name, r.id);
    }
    const staged = new Map(rules.flatMap((r) => (r.kind === 'filter' ? [] : [[r.id, r] as const])));
    const find = (ref: string): DetectionRule | CorrelationRule | undefined => {
      const id = names.get(ref) ?? this.byName.get(ref) ?? ref;
      return staged.get(id) ?? this.detections.get(id) ?? this.correlations.get(id);
    };
    const resolved = new Map<string, string[]>();
    for (const r of rules) {
      if (r.kind === 'detection') continue;
      const refs = r.kind === 'filter' ? r.rules : r.refs;
      const out = refs.map((ref) => {
        const t = find(ref);
        if (!t) throw new DetectorError('RULE_NOT_FOUND', `rule ${r.id} refers to ${ref}, which is not a rule here`);
        if (t.id === r.id) throw new DetectorError('RULE_INVALID', `rule ${r.id} refers to itself`);
        return t.id;
      });
      resolved.set(r.id, out);
    }
    for (const r of rules) if (r.kind === 'correlation') this.stageCorrelation(r, resolved.get(r.id)!, find);
    return { rules, ids, suppress, resolved };
  }

  /** Checks a staged correlation's chain depth and aliases, and works out its status. */
  private stageCorrelation(r: CorrelationRule, refs: string[], find: (ref: string) => DetectionRule | CorrelationRule | undefined): void {
    const depth = (c: DetectionRule | CorrelationRule, seen: number): number => {
      if (seen > MAX_CHAIN) throw new DetectorError('RULE_INVALID', `rule ${r.id}: correlations chained deeper than ${MAX_CHAIN} (or in a cycle)`);
      if (c.kind === 'detection') return 0;
      const inner = c === r ? refs : c.refs;
      return 1 + Math.max(0, ...inner.map((x) => depth(find(x)!, seen + 1)));
    };
    depth(r, 0);
    for (const g of r.groupBy) {
      if (!g.alias) continue;
      for (const [ruleName, field] of Object.entries(g.alias)) {
        const t = find(ruleName);
        if (!t || !refs.includes(t.id)) throw new DetectorError('RULE_INVALID', `rule ${r.id}: alias names ${ruleName}, which the correlation does not refer to`);
        g.byRef.set(t.id, getter(field));
      }
    }
    const blocked = refs.map((x) => find(x)!).filter((t) => !t.status.canFire);
    if (blocked.length === refs.length || ((r.type === 'temporal' || r.type === 'temporal_ordered') && blocked.length > 0)) {
      r.status = { canFire: false, missing: [...new Set(blocked.flatMap((b) => b.status.missing))].sort(), reason: `refers to ${blocked.map((b) => b.id).join(', ')}, which cannot fire` };
    }
  }

  private commit(s: Staged): void {
    for (const r of s.rules) {
      if (r.kind === 'detection') this.detections.set(r.id, r);
      else if (r.kind === 'correlation') {
        r.refs = s.resolved.get(r.id)!;
        this.correlations.set(r.id, r);
      } else r.rules = s.resolved.get(r.id)!;
      if (r.kind !== 'filter' && r.name) this.byName.set(r.name, r.id);
    }
    for (const [id, sup] of s.suppress) this.suppressions.set(id, sup);
    for (const r of s.rules) {
      if (r.kind === 'correlation') {
        for (const ref of r.refs) {
          const t = this.detections.get(ref) ?? this.correlations.get(ref)!;
          t.referencedBy.push(r);
          if (!r.generate) {
            if (t.kind === 'detection') t.generate = false;
            else t.alerts = false;
          }
        }
      } else if (r.kind === 'filter') {
        for (const id of r.rules) this.pushException(id, { id: r.id, match: (ctx) => !r.match(ctx) });
      }
    }
    this.refresh();
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

  /** Every rule's metadata and status, for the API and `vigil rules list`. */
  list(): RuleListing[] {
    const out: RuleListing[] = [];
    for (const r of this.detections.values()) out.push({ ...meta(r), kind: 'detection', enabled: !this.disabled.has(r.id), status: r.status });
    for (const r of this.correlations.values()) out.push({ ...meta(r), kind: 'correlation', enabled: !this.disabled.has(r.id), type: r.type, status: r.status });
    return out;
  }

  /**
   * Why `ctx` matches detection rule `id` or not: the event kind, the logsource's
   * conditions, each search, and for a search that failed the field tests that failed with
   * the value the event has.
   */
  explain(id: string, ctx: MatchContext): RuleExplanation {
    const r = this.detections.get(id);
    if (!r) throw new DetectorError('RULE_NOT_FOUND', `no detection rule with id ${id}`);
    const reasons: string[] = [];
    const matched = r.status.canFire && (!r.kinds || r.kinds.has(ctx.event.vigil.kind)) && r.match(ctx) && !this.excepted(r.id, ctx);
    if (!r.status.canFire) reasons.push(`the rule cannot fire: ${r.status.reason}`);
    if (r.kinds && !r.kinds.has(ctx.event.vigil.kind)) reasons.push(`event kind ${ctx.event.vigil.kind} is not among the rule's kinds (${[...r.kinds].join(', ')})`);
    if (r.conditions && !r.conditions(ctx)) reasons.push('the logsource condition does not hold (another program or source)');
    const searches: Record<string, boolean> = {};
    for (const [name, p] of Object.entries(r.searches)) searches[name] = p(ctx);
    if (!matched) {
      for (const t of r.tests) {
        if (searches[t.search] || t.test(ctx)) continue;
        reasons.push(`${t.search}: ${t.key} expects ${JSON.stringify(t.expected)}, the event has ${JSON.stringify(t.read(ctx) ?? null)}`);
      }
      if (r.match(ctx) && this.excepted(r.id, ctx)) reasons.push('an exception or filter of the rule matches');
      else if (reasons.length === 0) reasons.push(`the condition is false with ${Object.entries(searches).map(([n, v]) => `${n}=${v}`).join(', ')}`);
    }
    return { matched, searches, reasons };
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
      for (const [, g] of this.groups.get(c) ?? []) {
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
    const key = groupKey(c, ref, ctx);
    let groups = this.groups.get(c);
    if (!groups) this.groups.set(c, (groups = new Map()));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = {}));
    if (c.type === 'vigil_silence') {
      const prev = g.last;
      // a gap (an earlier silence) is not the rhythm: it counts at most three intervals
      if (prev && ts > prev.ts) g.interval = g.interval === undefined ? ts - prev.ts : 0.9 * g.interval + 0.1 * Math.min(ts - prev.ts, 3 * g.interval);
      g.last = { ts, id: e.id, entity: e.vigil.entity };
      g.reported = false;
      return;
    }
    let value: string | undefined;
    let num: number | undefined;
    if (c.condition.field && c.type !== 'event_count') {
      const v = c.condition.field(ctx);
      if (v === undefined || v === null) return;
      if (c.type === 'value_sum' || c.type === 'value_avg') {
        num = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
        if (!Number.isFinite(num)) return;
      } else value = String(v);
    }
    const w = (g.window ??= new SlidingWindow({ spanMs: c.timespanMs, refs: c.refs }));
    if (!w.add({ ts, id: e.id, entity: e.vigil.entity, value, num, ref })) return;
    const { fired, detail: said } = decide(c, w, value);
    let detail = said;
    if (!fired) {
      if (c.alerts && g.activeUntil !== undefined && ts <= g.activeUntil) {
        hits.push({ rule: c, origin: 'correlation', entity: e.vigil.entity, ts, evidence: [e.id], eventIndex, continuing: true });
        g.activeUntil = ts + c.timespanMs;
      }
      return;
    }
    const evidence = w.evidence();
    if (evidence.omitted > 0) detail += ` (evidence: the newest ${evidence.ids.length}, ${evidence.omitted} older left out)`;
    if (c.alerts) hits.push({ rule: c, origin: 'correlation', entity: e.vigil.entity, ts, evidence: evidence.ids, eventIndex, detail });
    // A fired window starts over: the next alert needs fresh evidence; until the activity
    // pauses for a timespan, matching events count as part of this finding.
    w.reset();
    g.activeUntil = ts + c.timespanMs;
    // A chain: this correlation's firing is one matching "event" of those referring to it.
    for (const next of c.referencedBy) {
      if (this.disabled.has(next.id) || this.excepted(next.id, ctx)) continue;
      this.correlate(next, c.id, ctx, eventIndex, hits);
    }
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
    this.active = [...this.detections.values()].filter((r) => r.status.canFire && !this.disabled.has(r.id) && (r.generate || r.referencedBy.some((c) => !this.disabled.has(c.id))));
    this.anyKind = this.active.filter((r) => !r.kinds);
    this.byKind = new Map();
    for (const r of this.active) for (const k of r.kinds ?? []) if (!this.byKind.has(k)) this.byKind.set(k, this.active.filter((x) => !x.kinds || x.kinds.has(k)));
  }
}


interface Staged {
  rules: Compiled[];
  ids: string[];
  suppress: Map<string, RuleSuppression>;
  /** Rule and correlation references, resolved to ids. */
  resolved: Map<string, string[]>;
}
