/**
 * One Sigma document (detection rule, correlation rule or filter) into its compiled form,
 * through the logsource and field mapping (mapping.ts). Nothing here changes a rule book:
 * book.ts compiles every document of an addition first and commits only when all compile.
 */
import { sha256Hex } from '../../events/index.js';
import { DetectorError } from '../errors.js';
import type { Severity } from '../types.js';
import { mapField, resolveLogsource, type SigmaMapping } from './mapping.js';
import { compileCondition, compileFieldMatcher, compileSearch, getter, parseTimespan, type Getter, type MatchContext, type Predicate } from './match.js';
import { MAX_WINDOW_EVENTS } from './window.js';

export type CorrelationType =
  | 'event_count' | 'value_count' | 'value_sum' | 'value_avg' | 'value_percentile' | 'temporal' | 'temporal_ordered' | 'vigil_silence';
const CORRELATION_TYPES: readonly CorrelationType[] = ['event_count', 'value_count', 'value_sum', 'value_avg', 'value_percentile', 'temporal', 'temporal_ordered', 'vigil_silence'];
/** Types whose condition reads `condition.field`. */
const VALUE_TYPES = new Set<CorrelationType>(['value_count', 'value_sum', 'value_avg', 'value_percentile']);

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

/** Whether a rule can ever match on this node's events, and if not, why. */
export interface RuleStatus {
  canFire: boolean;
  /** Mapped fields the rule reads that no event of its kinds carries. */
  missing: string[];
  /** Why it cannot fire, in words. */
  reason?: string;
}

export interface Condition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
  neq?: number;
}

/** One field test of a search, kept to say why an event did not match (`vigil rules test`). */
export interface FieldTest {
  /** The search, and which of its alternatives (a list of maps) the test is in. */
  search: string;
  alternative: number;
  /** `field|modifiers` as mapped onto Vigil's fields, and the rule's value(s). */
  key: string;
  expected: unknown;
  test: Predicate;
  read: Getter;
}

export interface DetectionRule extends RuleMeta {
  kind: 'detection';
  kinds?: Set<string>;
  match: Predicate;
  /** Each named search on its own, the logsource's extra conditions, and their field tests. */
  searches: Record<string, Predicate>;
  conditions?: Predicate;
  tests: FieldTest[];
  /** false when only correlations use it (Sigma: referenced rules do not alert unless `generate`). */
  generate: boolean;
  referencedBy: CorrelationRule[];
  status: RuleStatus;
}

export interface CorrelationRule extends RuleMeta {
  kind: 'correlation';
  type: CorrelationType;
  refs: string[];
  /** Group-by fields: the default getter, and per referenced rule where `aliases` name one. */
  groupBy: Array<{ get: Getter; byRef: Map<string, Getter>; alias?: Record<string, string> }>;
  timespanMs: number;
  condition: Condition & { field?: Getter };
  generate: boolean;
  /** false when a correlation refers to it without `generate: true` (a link in a chain). */
  alerts: boolean;
  referencedBy: CorrelationRule[];
  status: RuleStatus;
}

export interface FilterRule {
  kind: 'filter';
  id: string;
  rules: string[];
  match: Predicate;
}

export type Compiled = DetectionRule | CorrelationRule | FilterRule;

const LEVEL_SCORE: Record<Severity, number> = { low: 30, medium: 55, high: 80, critical: 95 };
const LEVELS: Record<string, Severity> = { informational: 'low', low: 'low', medium: 'medium', high: 'high', critical: 'critical' };
/** A Sigma value with no counterpart in a value mapping: matches no Vigil event. */
const UNMAPPED = '\u0000unmapped\u0000';

/** Suppression a rule asks for in its `vigil:` map. */
export interface RuleSuppression {
  timespanMs: number;
  groupBy: string[];
}

export function compileDocument(value: unknown, source: string, mapping: SigmaMapping): { rule: Compiled; suppress?: RuleSuppression } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DetectorError('RULE_INVALID', 'a rule document must be a YAML map');
  const doc = value as Record<string, unknown>;
  // Sigma makes `id` optional (recommended); a rule without id or name is known by its content.
  const id = typeof doc.id === 'string' && doc.id !== '' ? doc.id : typeof doc.name === 'string' ? doc.name : `sha256:${sha256Hex(source).slice(0, 16)}`;
  const base = ruleMeta(doc, id, source);
  const ext = (doc.vigil ?? {}) as Record<string, unknown>;
  let suppress: RuleSuppression | undefined;
  if (ext.suppress !== undefined) {
    const s = ext.suppress as Record<string, unknown>;
    suppress = { timespanMs: parseTimespan(s.timespan, id), groupBy: Array.isArray(s['group-by']) ? s['group-by'].map(String) : ['vigil.entity.id'] };
  }
  const rule = doc.filter !== undefined ? compileFilter(doc, id, mapping) : doc.correlation !== undefined ? compileCorrelation(doc, base, mapping) : compileDetection(doc, base, mapping);
  return suppress ? { rule, suppress } : { rule };
}

function ruleMeta(doc: Record<string, unknown>, id: string, source: string): RuleMeta {
  if (typeof doc.title !== 'string') throw new DetectorError('RULE_INVALID', `rule ${id}: needs a title`);
  const level = LEVELS[String(doc.level ?? 'medium').toLowerCase()];
  if (!level) throw new DetectorError('RULE_INVALID', `rule ${id}: level must be one of informational, low, medium, high, critical`);
  const ext = (doc.vigil ?? {}) as Record<string, unknown>;
  const score = ext.score === undefined ? LEVEL_SCORE[level] : Number(ext.score);
  if (!(score >= 0 && score <= 100)) throw new DetectorError('RULE_INVALID', `rule ${id}: vigil.score must be 0–100`);
  const base: RuleMeta = {
    id,
    title: doc.title,
    description: typeof doc.description === 'string' ? doc.description.trim() : doc.title,
    level,
    score,
    tags: Array.isArray(doc.tags) ? doc.tags.map(String) : [],
    hash: sha256Hex(source),
  };
  if (typeof doc.name === 'string') base.name = doc.name;
  if (typeof ext.category === 'string') base.category = ext.category;
  return base;
}

function compileFilter(doc: Record<string, unknown>, id: string, mapping: SigmaMapping): FilterRule {
  const f = doc.filter as Record<string, unknown>;
  const rules = Array.isArray(f.rules) ? f.rules.map(String) : typeof f.rules === 'string' ? [f.rules] : [];
  if (rules.length === 0) throw new DetectorError('RULE_INVALID', `filter ${id}: needs rules`);
  const { condition, rules: _r, ...searches } = f;
  const ls = resolveLogsource(mapping, doc.logsource) ?? resolveLogsource(mapping, undefined)!;
  const compiled: Record<string, Predicate> = {};
  for (const [n, b] of Object.entries(searches)) compiled[n] = compileSearch(n, mapBody(b, ls, new Set(), id), id, { placeholders: mapping.placeholders });
  return { kind: 'filter', rules, id, match: compileCondition(String(condition ?? 'all of them'), compiled, id) };
}

function compileDetection(doc: Record<string, unknown>, base: RuleMeta, mapping: SigmaMapping): DetectionRule {
  const id = base.id;
  const det = doc.detection as Record<string, unknown> | undefined;
  if (!det || typeof det !== 'object') throw new DetectorError('RULE_INVALID', `rule ${id}: needs detection, correlation or filter`);
  const { condition, timeframe: _t, ...bodies } = det;
  if (typeof condition !== 'string' && !(Array.isArray(condition) && condition.every((c) => typeof c === 'string'))) {
    throw new DetectorError('RULE_INVALID', `rule ${id}: detection needs a condition`);
  }
  const ls = resolveLogsource(mapping, doc.logsource);
  const used = new Set<string>();
  const mapper: Mapper = ls ?? { field: (name: string) => ({ field: name }), constants: {} };
  const options = { placeholders: mapping.placeholders };
  const searches: Record<string, Predicate> = {};
  for (const [n, b] of Object.entries(bodies)) searches[n] = compileSearch(n, mapBody(b, mapper, used, id), id, options);
  // Sigma: a list of conditions is their disjunction.
  const conditions = Array.isArray(condition) ? condition : [condition];
  let match = compileCondition(conditions.map((c) => `(${c})`).join(' or '), searches, id);
  if (ls?.conditions) {
    const extra = compileSearch('logsource', ls.conditions, id, options);
    const inner = match;
    match = (ctx) => extra(ctx) && inner(ctx);
  }
  const tests: FieldTest[] = [];
  for (const [n, b] of Object.entries(bodies)) tests.push(...fieldTests(n, mapBody(b, mapper, used, id), id, options));
  const rule: DetectionRule = { ...base, kind: 'detection', match, searches, tests, generate: true, referencedBy: [], status: detectionStatus(doc.logsource, ls, used) };
  if (ls) rule.kinds = new Set(ls.kinds);
  if (ls?.conditions) rule.conditions = compileSearch('logsource', ls.conditions, id, options);
  return rule;
}

function fieldTests(search: string, body: unknown, id: string, options: { placeholders: Record<string, string[]> }): FieldTest[] {
  const maps = Array.isArray(body) ? body : [body];
  const out: FieldTest[] = [];
  maps.forEach((m, alternative) => {
    if (m === null || typeof m !== 'object') {
      out.push({ search, alternative, key: 'message (keywords)', expected: maps, test: compileSearch(search, maps, id, options), read: getter('message') });
      return;
    }
    for (const [key, expected] of Object.entries(m as Record<string, unknown>)) {
      out.push({ search, alternative, key, expected, test: compileFieldMatcher(key, expected, id, options), read: getter(key.split('|')[0] || 'message') });
    }
  });
  // keywords: one test for the whole list
  return Array.isArray(body) && body.every((b) => b === null || typeof b !== 'object') ? out.slice(0, 1) : out;
}

function detectionStatus(logsource: unknown, ls: ReturnType<typeof resolveLogsource>, used: Set<string>): RuleStatus {
  if (!ls) {
    const l = (logsource ?? {}) as Record<string, unknown>;
    const what = ['product', 'service', 'category'].filter((k) => typeof l[k] === 'string').map((k) => `${k}=${String(l[k])}`).join(' ');
    return { canFire: false, missing: [], reason: `no Vigil source for logsource ${what}` };
  }
  const missing = [...used].filter((f) => !ls.produces(f)).sort();
  return missing.length === 0 ? { canFire: true, missing } : { canFire: false, missing, reason: `no Vigil event of kind ${ls.kinds.join('/')} carries ${missing.join(', ')}` };
}

type Mapper = Pick<NonNullable<ReturnType<typeof resolveLogsource>>, 'field' | 'constants'>;

/** Search entries that always / never hold (what a constant field's matcher comes to). */
const ALWAYS: Readonly<Record<string, unknown>> = { 'vigil.ts|exists': true };
const NEVER: Readonly<Record<string, unknown>> = { 'vigil.kind|exists': false };

/**
 * A search body with its field names (and mapped values) translated to Vigil's; every
 * Vigil field read is added to `used`. Keyword searches read `message`; a field the source
 * fixes (`constants`) is decided here, once.
 */
function mapBody(body: unknown, map: Mapper, used: Set<string>, ruleId: string): unknown {
  if (Array.isArray(body)) {
    if (body.every((b) => typeof b === 'string' || typeof b === 'number')) {
      used.add('message');
      return body;
    }
    return body.map((b) => mapBody(b, map, used, ruleId));
  }
  if (body === null || typeof body !== 'object') return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const [field, ...mods] = key.split('|');
    if (!field) {
      used.add('message');
      out[key] = value;
      continue;
    }
    if (Object.hasOwn(map.constants, field)) {
      const fixed = { event: { [field]: map.constants[field] } } as unknown as MatchContext;
      Object.assign(out, compileFieldMatcher(key, value, ruleId)(fixed) ? ALWAYS : NEVER);
      continue;
    }
    const target = map.field(field);
    used.add(target.field);
    let v = value;
    if (mods.includes('fieldref')) {
      v = (Array.isArray(value) ? value : [value]).map((x) => {
        const t = map.field(String(x)).field;
        used.add(t);
        return t;
      });
    } else if (target.values) {
      const table = target.values;
      v = (Array.isArray(value) ? value : [value]).map((x) => table[String(x).toLowerCase()] ?? UNMAPPED);
    }
    out[[target.field, ...mods].join('|')] = v;
  }
  return out;
}

function compileCorrelation(doc: Record<string, unknown>, base: RuleMeta, mapping: SigmaMapping): CorrelationRule {
  const id = base.id;
  const c = doc.correlation as Record<string, unknown>;
  const type = String(c.type) as CorrelationType;
  if (!CORRELATION_TYPES.includes(type)) throw new DetectorError('RULE_INVALID', `rule ${id}: correlation type must be one of ${CORRELATION_TYPES.join(', ')}`);
  const refs = Array.isArray(c.rules) ? c.rules.map(String) : typeof c.rules === 'string' ? [c.rules] : [];
  if (refs.length === 0) throw new DetectorError('RULE_INVALID', `rule ${id}: correlation needs rules`);
  const aliases = (c.aliases ?? {}) as Record<string, unknown>;
  if (typeof aliases !== 'object' || Array.isArray(aliases)) throw new DetectorError('RULE_INVALID', `rule ${id}: aliases must be a map of alias → {rule name: field}`);
  const names = Array.isArray(c['group-by']) ? c['group-by'].map(String) : typeof c['group-by'] === 'string' ? [c['group-by']] : [];
  const groupBy = names.map((name) => {
    const a = aliases[name];
    if (a === undefined) return { get: getter(mapField(mapping, name)), byRef: new Map<string, Getter>() };
    if (a === null || typeof a !== 'object' || Array.isArray(a)) throw new DetectorError('RULE_INVALID', `rule ${id}: alias ${name} must map rule names to fields`);
    const alias: Record<string, string> = {};
    for (const [rule, field] of Object.entries(a as Record<string, unknown>)) alias[rule] = mapField(mapping, String(field));
    // Resolved to rule ids by the book, once the referenced rules are known.
    return { get: (() => undefined) as Getter, byRef: new Map<string, Getter>(), alias };
  });
  const condition = correlationCondition(c.condition, type, id, mapping);
  return { ...base, kind: 'correlation', type, refs, groupBy, timespanMs: parseTimespan(c.timespan, id), condition, generate: c.generate === true, alerts: true, referencedBy: [], status: { canFire: true, missing: [] } };
}

function correlationCondition(raw: unknown, type: CorrelationType, id: string, mapping: SigmaMapping): CorrelationRule['condition'] {
  const cond = (raw ?? {}) as Record<string, unknown>;
  const condition: CorrelationRule['condition'] = {};
  for (const op of ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const) {
    if (cond[op] === undefined) continue;
    const n = Number(cond[op]);
    if (!Number.isFinite(n)) throw new DetectorError('RULE_INVALID', `rule ${id}: condition ${op} must be a number, got ${JSON.stringify(cond[op])}`);
    condition[op] = n;
  }
  if (typeof cond.field === 'string') condition.field = getter(mapField(mapping, cond.field));
  const ops = Object.keys(condition).filter((k) => k !== 'field').length;
  if ((type === 'event_count' || VALUE_TYPES.has(type)) && ops === 0) throw new DetectorError('RULE_INVALID', `rule ${id}: ${type} needs a condition such as {gte: 10}`);
  if (VALUE_TYPES.has(type) && !condition.field) throw new DetectorError('RULE_INVALID', `rule ${id}: ${type} needs condition.field`);
  if (type === 'value_percentile' && [condition.gt, condition.gte, condition.lt, condition.lte, condition.eq].some((n) => n !== undefined && (n < 0 || n > 100))) {
    throw new DetectorError('RULE_INVALID', `rule ${id}: value_percentile condition is a percentage, 0 to 100`);
  }
  if (type === 'event_count' || type === 'value_count') {
    // A window holds at most MAX_WINDOW_EVENTS events (window.ts): a count above it could never be reached.
    const least = Math.max(condition.gt !== undefined ? condition.gt + 1 : 0, condition.gte ?? 0, condition.eq ?? 0);
    if (least > MAX_WINDOW_EVENTS) throw new DetectorError('RULE_INVALID', `rule ${id}: ${type} condition needs ${least}, above the ${MAX_WINDOW_EVENTS} events a window holds`);
  }
  return condition;
}

/** Whether a count or aggregate meets a correlation condition (all bounds given hold). */
export function meets(c: Condition, n: number): boolean {
  if (c.gt !== undefined && !(n > c.gt)) return false;
  if (c.gte !== undefined && !(n >= c.gte)) return false;
  if (c.lt !== undefined && !(n < c.lt)) return false;
  if (c.lte !== undefined && !(n <= c.lte)) return false;
  if (c.eq !== undefined && n !== c.eq) return false;
  if (c.neq !== undefined && n === c.neq) return false;
  return true;
}
