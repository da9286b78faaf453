/**
 * Compiling Sigma detections (https://sigmahq.io/docs/basics/rules.html) into predicates:
 * field access, value modifiers, selections and the condition language. Rule text comes
 * from files and from analysts through the API, so everything here is checked and a bad
 * rule is a typed RULE_INVALID error naming what is wrong, never a crash at match time.
 */
import { BlockList, isIP } from 'node:net';
import type { VigilEvent } from '../../events/index.js';
import { DetectorError } from '../errors.js';
import { ALL_MODIFIERS, sigmaRegex, TIME_PARTS, timePart, transformValues } from './modifiers.js';

/** What a field matcher needs beyond the rule text. */
export interface FieldOptions {
  /** `expand` placeholders (mapping file). */
  placeholders?: Readonly<Record<string, readonly string[]>>;
}

/** What a rule sees of one event: the event, and its computed features and model score. */
export interface MatchContext {
  event: VigilEvent;
  /** Feature row of the event's family, at `offset`, named through `featureIndex`. */
  features?: Float32Array | undefined;
  offset?: number | undefined;
  featureIndex?: Readonly<Record<string, number>> | undefined;
  /** Calibrated model score 0–100, when a model scored it. */
  score?: number | undefined;
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
    const slot = featureSlot(field.slice('features.'.length));
    return (ctx) => {
      const k = slot(ctx);
      return k < 0 ? undefined : ctx.features![k];
    };
  }
  if (field === 'vigil.score') return (ctx) => ctx.score;
  const parts = field.split('.');
  // The rest of the dotted name from each segment on, joined once here rather than per miss.
  const rests = parts.map((_, i) => parts.slice(i).join('.'));
  const n = parts.length;
  if (n === 2) {
    const [p0, p1] = parts as [string, string];
    return (ctx) => {
      const obj = ctx.event as unknown as Record<string, unknown>;
      const next = obj[p0];
      if (next === undefined) return Object.hasOwn(obj, field) ? obj[field] : undefined;
      if (next === null || typeof next !== 'object') return undefined;
      return (next as Record<string, unknown>)[p1];
    };
  }
  if (n === 3) {
    const [p0, p1, p2] = parts as [string, string, string];
    const rest1 = rests[1]!;
    return (ctx) => {
      const obj = ctx.event as unknown as Record<string, unknown>;
      const o1 = obj[p0];
      if (o1 === undefined) return Object.hasOwn(obj, field) ? obj[field] : undefined;
      if (o1 === null || typeof o1 !== 'object') return undefined;
      const o2 = (o1 as Record<string, unknown>)[p1];
      if (o2 === undefined) return Object.hasOwn(o1, rest1) ? (o1 as Record<string, unknown>)[rest1] : undefined;
      if (o2 === null || typeof o2 !== 'object') return undefined;
      return (o2 as Record<string, unknown>)[p2];
    };
  }
  return (ctx) => {
    let cur: unknown = ctx.event;
    for (let i = 0; i < n; i++) {
      if (cur === null || typeof cur !== 'object') return undefined;
      const obj = cur as Record<string, unknown>;
      const next = obj[parts[i]!];
      if (next === undefined) {
        const rest = rests[i]!;
        return Object.hasOwn(obj, rest) ? obj[rest] : undefined;
      }
      cur = next;
    }
    return cur;
  };
}

/**
 * Where feature `name` of the context's event sits in `ctx.features`, or -1 when it has no
 * such feature. The name's index is looked up once per feature table (one per family), not
 * per event; an integer result keeps the hot path free of boxed numbers.
 */
function featureSlot(name: string): (ctx: MatchContext) => number {
  let table: Readonly<Record<string, number>> | undefined;
  let at = -1;
  return (ctx) => {
    const fi = ctx.featureIndex;
    if (fi !== table) {
      table = fi;
      const i = fi?.[name];
      at = typeof i === 'number' ? i : -1;
    }
    return at < 0 || !ctx.features ? -1 : (ctx.offset ?? 0) + at;
  };
}

/**
 * `features.<name>` compared with one number (`|gt|gte|lt|lte` or plain equality): reads the
 * feature row directly, without passing the value through a getter. The same answers as
 * the general path, where a missing feature is undefined and never matches.
 */
function featureComparison(name: string, op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq', n: number): Predicate {
  const slot = featureSlot(name);
  switch (op) {
    case 'gt':
      return (ctx) => {
        const k = slot(ctx);
        return k >= 0 && ctx.features![k]! > n;
      };
    case 'gte':
      return (ctx) => {
        const k = slot(ctx);
        return k >= 0 && ctx.features![k]! >= n;
      };
    case 'lt':
      return (ctx) => {
        const k = slot(ctx);
        return k >= 0 && ctx.features![k]! < n;
      };
    case 'lte':
      return (ctx) => {
        const k = slot(ctx);
        return k >= 0 && ctx.features![k]! <= n;
      };
    case 'eq':
      return (ctx) => {
        const k = slot(ctx);
        return k >= 0 && ctx.features![k] === n;
      };
  }
}

/**
 * `a.b.c|gt|gte|lt|lte: n` of an event field: a number read by the getter's ordinary path
 * (a and a.b objects) is compared here, in the predicate itself, rather than returned by a
 * getter (which boxes it); anything else (a missing segment, a string, a list) goes to the
 * general matcher, so the answers are the same.
 */
function eventNumberComparison([p0, p1, p2]: [string, string, string], op: 'gt' | 'gte' | 'lt' | 'lte', n: number, general: Predicate): Predicate {
  const code = op === 'gt' ? 0 : op === 'gte' ? 1 : op === 'lt' ? 2 : 3;
  return (ctx) => {
    const o1 = (ctx.event as unknown as Record<string, unknown>)[p0];
    if (o1 === null || typeof o1 !== 'object') return general(ctx);
    const o2 = (o1 as Record<string, unknown>)[p1];
    if (o2 === null || typeof o2 !== 'object') return general(ctx);
    const v = (o2 as Record<string, unknown>)[p2];
    if (typeof v !== 'number') return general(ctx);
    return code === 0 ? v > n : code === 1 ? v >= n : code === 2 ? v < n : v <= n;
  };
}


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

/**
 * Compiles `field|mod|mod: value(s)` into a predicate. An empty field (`'|all': [a, b]`) is
 * a keyword search of `message`; `neq` negates what the other modifiers describe.
 */
export function compileFieldMatcher(key: string, value: unknown, ruleId: string, options: FieldOptions = {}): Predicate {
  const [rawField, ...given] = key.split('|');
  for (const m of given) if (!ALL_MODIFIERS.has(m)) throw new DetectorError('RULE_INVALID', `rule ${ruleId}: unknown modifier "${m}" in "${key}"`);
  if (given.includes('neq')) {
    const inner = compileFieldMatcher([rawField, ...given.filter((m) => m !== 'neq')].join('|'), value, ruleId, options);
    return (ctx) => !inner(ctx);
  }
  const keyword = !rawField;
  const field = keyword ? 'message' : rawField;
  let mods = given;
  // Sigma keywords match anywhere in the message, like `contains`.
  if (keyword && !['contains', 'startswith', 'endswith', 're', 'cidr'].some((m) => mods.includes(m))) mods = [...mods, 'contains'];
  const part = mods.find((m) => TIME_PARTS.has(m));
  const base = getter(field);
  const get: Getter = part ? (ctx) => timePart(part, base(ctx)) : base;
  const given0 = Array.isArray(value) ? value : [value];
  if (given0.length === 0) throw new DetectorError('RULE_INVALID', `rule ${ruleId}: "${key}" has an empty list`);
  const values = transformValues(mods, given0, { placeholders: options.placeholders ?? {}, ruleId, key });
  const has = (m: string) => mods.includes(m);
  if (has('exists')) {
    const want = values[0] === true || values[0] === 'true';
    return (ctx) => {
      const v = get(ctx);
      return (v !== undefined && v !== null) === want;
    };
  }
  const tests = values.map((raw) => valueTest(raw, mods, ruleId, key));
  if (field.startsWith('features.') && values.length === 1 && !has('fieldref') && !part) {
    // (the tests above have validated the value)
    const raw = values[0];
    const op = (['gt', 'gte', 'lt', 'lte'] as const).find(has);
    const name = field.slice('features.'.length);
    if (op) return featureComparison(name, op, Number(raw));
    if (typeof raw === 'number' && !has('cidr') && !has('re') && !has('contains') && !has('startswith') && !has('endswith')) return featureComparison(name, 'eq', raw);
  }
  // Hot path (every event × every rule): no allocation for the common scalar, one-value case.
  const one = (t: (x: unknown, c: MatchContext) => boolean, v: unknown, ctx: MatchContext): boolean => {
    if (!Array.isArray(v)) return t(v, ctx);
    for (const x of v) if (t(x, ctx)) return true;
    return false;
  };
  const op = mods.length === 1 && values.length === 1 ? (['gt', 'gte', 'lt', 'lte'] as const).find(has) : undefined;
  const parts = field.split('.');
  if (op && !part && parts.length === 3 && field !== 'vigil.score' && !field.startsWith('features.')) {
    const t = tests[0]!;
    const general: Predicate = (ctx) => {
      const v = get(ctx);
      return Array.isArray(v) ? one(t, v, ctx) : t(v, ctx);
    };
    return eventNumberComparison(parts as [string, string, string], op, Number(values[0]), general);
  }
  const all = has('all');
  if (tests.length === 1) {
    const t = tests[0]!;
    return (ctx) => {
      const v = get(ctx);
      return Array.isArray(v) ? one(t, v, ctx) : t(v, ctx);
    };
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

type ValueTest = (v: unknown, ctx: MatchContext) => boolean;

/** The test of one value of `key` (its modifiers `mods`) against a field's value. */
function valueTest(raw: unknown, mods: readonly string[], ruleId: string, key: string): ValueTest {
  const has = (m: string) => mods.includes(m);
  if (has('fieldref')) {
    const other = getter(String(raw));
    return (v, ctx) => v !== undefined && toText(v) === toText(other(ctx));
  }
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    if (!has(op)) continue;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new DetectorError('RULE_INVALID', `rule ${ruleId}: "${key}" expects a number, got ${JSON.stringify(raw)}`);
    const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN);
    // One closure per operator (a NaN compares false either way).
    if (op === 'gt') return (v) => num(v) > n;
    if (op === 'gte') return (v) => num(v) >= n;
    if (op === 'lt') return (v) => num(v) < n;
    return (v) => num(v) <= n;
  }
  if (has('cidr')) return cidrTest(raw, ruleId, key);
  if (has('re')) return regexTest(raw, mods, ruleId, key);
  if (raw === null) return (v) => v === undefined || v === null;
  if (typeof raw === 'number' && !has('contains') && !has('startswith') && !has('endswith')) {
    const text = String(raw);
    return (v) => (typeof v === 'number' ? v === raw : toText(v) === text);
  }
  if (typeof raw === 'boolean') {
    const text = String(raw);
    return (v) => v === raw || toText(v) === text;
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') throw new DetectorError('RULE_INVALID', `rule ${ruleId}: "${key}": unsupported value ${JSON.stringify(raw)}`);
  return textTest(String(raw), mods);
}

/** `|cidr`: an IPv4 or IPv6 address within the block. */
function cidrTest(raw: unknown, ruleId: string, key: string): ValueTest {
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

/** `|re` (with its `i`, `m`, `s` sub-modifiers). */
function regexTest(raw: unknown, mods: readonly string[], ruleId: string, key: string): ValueTest {
  let re: RegExp;
  try {
    const { source, flags } = sigmaRegex(String(raw), mods);
    re = new RegExp(source, flags);
  } catch (err) {
    throw new DetectorError('RULE_INVALID', `rule ${ruleId}: "${key}": bad regular expression`, { cause: err });
  }
  return (v) => {
    const t = toText(v);
    return t !== undefined && re.test(t);
  };
}

/** A string, with `contains` / `startswith` / `endswith` as wildcards, case-insensitive unless `|cased`. */
function textTest(raw: string, mods: readonly string[]): ValueTest {
  const has = (m: string) => mods.includes(m);
  let pattern = raw;
  if (has('contains')) pattern = `*${pattern}*`;
  if (has('startswith')) pattern = `${pattern}*`;
  if (has('endswith')) pattern = `*${pattern}`;
  const cased = has('cased');
  if (!/[*?]/.test(pattern)) {
    if (cased) return (v) => toText(v) === pattern;
    const want = pattern.toLowerCase();
    return (v) => {
      // an exact match needs no lower-casing (lower-casing is idempotent)
      if (v === want) return true;
      const t = toText(v);
      return t !== undefined && t.toLowerCase() === want;
    };
  }
  const re = wildcardRegex(pattern, cased);
  return (v) => {
    const t = toText(v);
    return t !== undefined && re.test(t);
  };
}

/** A named search of a detection: a map (all fields match), a list of maps (any), or keywords. */
export function compileSearch(name: string, body: unknown, ruleId: string, options: FieldOptions = {}): Predicate {
  if (Array.isArray(body)) {
    if (body.every((b) => typeof b === 'string' || typeof b === 'number')) {
      // keywords: full-text search of the message
      const res = body.map((k) => wildcardRegex(`*${String(k)}*`, false));
      const msg = getter('message');
      return (ctx) => {
        const m = msg(ctx);
        if (typeof m !== 'string') return false;
        for (let i = 0; i < res.length; i++) if (res[i]!.test(m)) return true;
        return false;
      };
    }
    return anyOf(body.map((b, i) => compileSearch(`${name}[${i}]`, b, ruleId, options)));
  }
  if (body === null || typeof body !== 'object') throw new DetectorError('RULE_INVALID', `rule ${ruleId}: search "${name}" must be a map or a list`);
  return allOf(Object.entries(body as Record<string, unknown>).map(([k, v]) => compileFieldMatcher(k, v, ruleId, options)));
}

/** True when every predicate holds, in order, stopping at the first that fails (an empty list holds). */
function allOf(preds: Predicate[]): Predicate {
  if (preds.length === 1) return preds[0]!;
  if (preds.length === 2) {
    const [a, b] = preds as [Predicate, Predicate];
    return (ctx) => a(ctx) && b(ctx);
  }
  return (ctx) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i]!(ctx)) return false;
    return true;
  };
}

/** True when some predicate holds, in order, stopping at the first that does (an empty list fails). */
function anyOf(preds: Predicate[]): Predicate {
  if (preds.length === 1) return preds[0]!;
  if (preds.length === 2) {
    const [a, b] = preds as [Predicate, Predicate];
    return (ctx) => a(ctx) || b(ctx);
  }
  return (ctx) => {
    for (let i = 0; i < preds.length; i++) if (preds[i]!(ctx)) return true;
    return false;
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
    return anyOf(parts);
  };
  const parseAnd = (): Predicate => {
    const parts = [parseNot()];
    while (peek() === 'and') {
      pos++;
      parts.push(parseNot());
    }
    return allOf(parts);
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
      return lower === 'all' ? allOf(chosen) : anyOf(chosen);
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
