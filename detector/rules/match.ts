/**
 * Compiling Sigma detections (https://sigmahq.io/docs/basics/rules.html) into predicates:
 * field access, value modifiers, selections and the condition language. Rule text comes
 * from files and from analysts through the API, so everything here is checked and a bad
 * rule is a typed RULE_INVALID error naming what is wrong, never a crash at match time.
 */
import { BlockList, isIP } from 'node:net';
import type { VigilEvent } from '../../events/index.js';
import { DetectorError } from '../errors.js';

/** What a rule sees of one event: the event, and its computed features and model score. */
export interface MatchContext {
  event: VigilEvent;
  /** Feature row of the event's family, at `offset`, named through `featureIndex`. */
  features?: Float32Array;
  offset?: number;
  featureIndex?: Readonly<Record<string, number>>;
  /** Calibrated model score 0–100, when a model scored it. */
  score?: number;
}

export type Getter = (ctx: MatchContext) => unknown;
export type Predicate = (ctx: MatchContext) => boolean;

/**
 * A getter for a dotted field name. `features.<name>` reads a computed feature and
 * `vigil.score` the model's score; anything else walks the event, trying the remaining
 * dotted name as one key when a segment is missing (metric names may contain dots).
 */
export function getter(field: string): Getter {
  if (field.startsWith('features.')) {
    const name = field.slice('features.'.length);
    return (ctx) => {
      const i = ctx.featureIndex?.[name];
      return i === undefined || !ctx.features ? undefined : ctx.features[(ctx.offset ?? 0) + i];
    };
  }
  if (field === 'vigil.score') return (ctx) => ctx.score;
  const parts = field.split('.');
  return (ctx) => {
    let cur: unknown = ctx.event;
    for (let i = 0; i < parts.length; i++) {
      if (cur === null || typeof cur !== 'object') return undefined;
      const obj = cur as Record<string, unknown>;
      const next = obj[parts[i]!];
      if (next === undefined) {
        const rest = parts.slice(i).join('.');
        return Object.hasOwn(obj, rest) ? obj[rest] : undefined;
      }
      cur = next;
    }
    return cur;
  };
}

const MODIFIERS = new Set(['contains', 'startswith', 'endswith', 'all', 're', 'i', 'm', 's', 'cidr', 'gt', 'gte', 'lt', 'lte', 'exists', 'fieldref', 'cased']);

function wildcardRegex(pattern: string, cased: boolean): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length && '*?\\'.includes(pattern[i + 1]!)) {
      out += `\\${pattern[++i]!}`;
    } else if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else out += c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, cased ? 's' : 'is');
}

function toText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Compiles `field|mod|mod: value(s)` into a predicate. */
export function compileFieldMatcher(key: string, value: unknown, ruleId: string): Predicate {
  const [field, ...mods] = key.split('|');
  if (!field) throw new DetectorError('RULE_INVALID', `rule ${ruleId}: empty field name in "${key}"`);
  for (const m of mods) if (!MODIFIERS.has(m)) throw new DetectorError('RULE_INVALID', `rule ${ruleId}: unknown modifier "${m}" in "${key}"`);
  const get = getter(field);
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) throw new DetectorError('RULE_INVALID', `rule ${ruleId}: "${key}" has an empty list`);
  const has = (m: string) => mods.includes(m);
  if (has('exists')) {
    const want = values[0] === true || values[0] === 'true';
    return (ctx) => {
      const v = get(ctx);
      return (v !== undefined && v !== null) === want;
    };
  }
  const tests: Array<(v: unknown, ctx: MatchContext) => boolean> = values.map((raw) => {
    if (has('fieldref')) {
      const other = getter(String(raw));
      return (v, ctx) => v !== undefined && toText(v) === toText(other(ctx));
    }
    for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
      if (!has(op)) continue;
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new DetectorError('RULE_INVALID', `rule ${ruleId}: "${key}" expects a number, got ${JSON.stringify(raw)}`);
      return (v) => {
        const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
        if (Number.isNaN(x)) return false;
        return op === 'gt' ? x > n : op === 'gte' ? x >= n : op === 'lt' ? x < n : x <= n;
      };
    }
    if (has('cidr')) {
      const list = new BlockList();
      const [net, bits] = String(raw).split('/');
      const family = isIP(net ?? '');
      if (!family || bits === undefined || !/^\d+$/.test(bits)) throw new DetectorError('RULE_INVALID', `rule ${ruleId}: "${key}": not a CIDR block: ${JSON.stringify(raw)}`);
      list.addSubnet(net!, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
      return (v) => {
        if (typeof v !== 'string') return false;
        const f = isIP(v);
        return f !== 0 && list.check(v, f === 6 ? 'ipv6' : 'ipv4');
      };
    }
    if (has('re')) {
      let re: RegExp;
      try {
        re = new RegExp(String(raw), (has('i') ? 'i' : '') + (has('m') ? 'm' : '') + (has('s') ? 's' : ''));
      } catch (err) {
        throw new DetectorError('RULE_INVALID', `rule ${ruleId}: "${key}": bad regular expression`, { cause: err });
      }
      return (v) => {
        const t = toText(v);
        return t !== undefined && re.test(t);
      };
    }
    if (raw === null) return (v) => v === undefined || v === null;
    if (typeof raw === 'number' && !has('contains') && !has('startswith') && !has('endswith')) {
      return (v) => (typeof v === 'number' ? v === raw : toText(v) === String(raw));
    }
    if (typeof raw === 'boolean') return (v) => v === raw || toText(v) === String(raw);
    if (typeof raw !== 'string' && typeof raw !== 'number') throw new DetectorError('RULE_INVALID', `rule ${ruleId}: "${key}": unsupported value ${JSON.stringify(raw)}`);
    let pattern = String(raw);
    if (has('contains')) pattern = `*${pattern}*`;
    if (has('startswith')) pattern = `${pattern}*`;
    if (has('endswith')) pattern = `*${pattern}`;
    const cased = has('cased');
    if (!/[*?]/.test(pattern)) {
      const want = cased ? pattern : pattern.toLowerCase();
      return (v) => {
        const t = toText(v);
        return t !== undefined && (cased ? t : t.toLowerCase()) === want;
      };
    }
    const re = wildcardRegex(pattern, cased);
    return (v) => {
      const t = toText(v);
      return t !== undefined && re.test(t);
    };
  });
  const all = has('all');
  // Hot path (every event × every rule): no allocation for the common scalar, one-value case.
  const one = (t: (x: unknown, c: MatchContext) => boolean, v: unknown, ctx: MatchContext): boolean => {
    if (!Array.isArray(v)) return t(v, ctx);
    for (const x of v) if (t(x, ctx)) return true;
    return false;
  };
  if (tests.length === 1) {
    const t = tests[0]!;
    return (ctx) => one(t, get(ctx), ctx);
  }
  return (ctx) => {
    const v = get(ctx);
    if (all) {
      for (const t of tests) if (!one(t, v, ctx)) return false;
      return true;
    }
    for (const t of tests) if (one(t, v, ctx)) return true;
    return false;
  };
}

/** A named search of a detection: a map (all fields match), a list of maps (any), or keywords. */
export function compileSearch(name: string, body: unknown, ruleId: string): Predicate {
  if (Array.isArray(body)) {
    if (body.every((b) => typeof b === 'string' || typeof b === 'number')) {
      // keywords: full-text search of the message
      const res = body.map((k) => wildcardRegex(`*${String(k)}*`, false));
      const msg = getter('message');
      return (ctx) => {
        const m = msg(ctx);
        return typeof m === 'string' && res.some((r) => r.test(m));
      };
    }
    const alts = body.map((b, i) => compileSearch(`${name}[${i}]`, b, ruleId));
    return (ctx) => alts.some((p) => p(ctx));
  }
  if (body === null || typeof body !== 'object') throw new DetectorError('RULE_INVALID', `rule ${ruleId}: search "${name}" must be a map or a list`);
  const preds = Object.entries(body as Record<string, unknown>).map(([k, v]) => compileFieldMatcher(k, v, ruleId));
  return (ctx) => {
    for (const p of preds) if (!p(ctx)) return false;
    return true;
  };
}

/** Compiles a Sigma condition over named searches. */
export function compileCondition(condition: string, searches: Record<string, Predicate>, ruleId: string): Predicate {
  const tokens = condition.match(/\(|\)|[^\s()]+/g) ?? [];
  let pos = 0;
  const fail = (msg: string): never => {
    throw new DetectorError('RULE_INVALID', `rule ${ruleId}: condition "${condition}": ${msg}`);
  };
  const peek = () => tokens[pos]?.toLowerCase();
  const names = Object.keys(searches);
  const pick = (pattern: string): Predicate[] => {
    const re = pattern === 'them' ? /^(?!_)/ : wildcardRegex(pattern, true);
    const chosen = names.filter((n) => re.test(n)).map((n) => searches[n]!);
    if (chosen.length === 0) fail(`"${pattern}" names no search`);
    return chosen;
  };
  const parseOr = (): Predicate => {
    const parts = [parseAnd()];
    while (peek() === 'or') {
      pos++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : (ctx) => parts.some((p) => p(ctx));
  };
  const parseAnd = (): Predicate => {
    const parts = [parseNot()];
    while (peek() === 'and') {
      pos++;
      parts.push(parseNot());
    }
    return parts.length === 1 ? parts[0]! : (ctx) => parts.every((p) => p(ctx));
  };
  const parseNot = (): Predicate => {
    if (peek() === 'not') {
      pos++;
      const inner = parseNot();
      return (ctx) => !inner(ctx);
    }
    return parsePrimary();
  };
  const parsePrimary = (): Predicate => {
    const t = tokens[pos];
    if (t === undefined) return fail('ends too early');
    if (t === '(') {
      pos++;
      const inner = parseOr();
      if (tokens[pos] !== ')') fail('missing )');
      pos++;
      return inner;
    }
    const lower = t.toLowerCase();
    if ((lower === '1' || lower === 'all' || lower === 'any') && tokens[pos + 1]?.toLowerCase() === 'of') {
      const target = tokens[pos + 2];
      if (target === undefined) fail('"of" needs a pattern');
      pos += 3;
      const chosen = pick(target!);
      return lower === 'all' ? (ctx) => chosen.every((p) => p(ctx)) : (ctx) => chosen.some((p) => p(ctx));
    }
    if (['and', 'or', ')'].includes(lower)) fail(`unexpected "${t}"`);
    pos++;
    const s = searches[t];
    if (!s) fail(`"${t}" names no search`);
    return s!;
  };
  const pred = parseOr();
  if (pos !== tokens.length) fail(`unexpected "${tokens[pos]}"`);
  return pred;
}

/** Parses Sigma timespans: 30s, 5m, 1h, 1d (milliseconds). */
export function parseTimespan(text: unknown, ruleId: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(String(text ?? '').trim());
  if (!m) throw new DetectorError('RULE_INVALID', `rule ${ruleId}: timespan must look like 30s, 5m, 1h or 1d, got ${JSON.stringify(text)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
