/**
 * Sample events written from a Sigma rule's own detection: the condition is solved for
 * one assignment of field values that makes it true (a `not` asks for nothing, since a
 * sample meant for the positive selections does not carry what the filters exclude), and
 * each field matcher is given a value its modifiers accept. The result is in Sigma's own
 * field names; the test maps it through Vigil's logsource mapping and writes an input line.
 *
 * Independent of detector/rules' matcher on purpose: it reads the rule as its author wrote
 * it, so a matcher bug shows as a rule that does not fire on its own sample.
 */

/** Sigma field → value; `keywords` are words the message must contain. */
export interface Sample {
  fields: Map<string, unknown>;
  keywords: string[];
}

type Node = { op: 'and' | 'or'; of: Node[] } | { op: 'not'; of: Node } | { op: 'search'; name: string };

/** Assignments making the rule's condition true (at most `limit`), first the simplest. */
export function samplesFor(detection: Record<string, unknown>, limit = 16): Sample[] {
  const { condition, timeframe: _t, ...searches } = detection;
  const conditions = Array.isArray(condition) ? condition.map(String) : [String(condition)];
  const out: Sample[] = [];
  for (const c of conditions) out.push(...solve(parseCondition(c, Object.keys(searches)), searches, limit));
  return out.slice(0, limit);
}

function solve(n: Node, searches: Record<string, unknown>, limit: number): Sample[] {
  switch (n.op) {
    case 'search':
      return searchSamples(searches[n.name]);
    case 'not':
      return [{ fields: new Map(), keywords: [] }];
    case 'or':
      return n.of.flatMap((x) => solve(x, searches, limit)).slice(0, limit);
    case 'and': {
      let acc: Sample[] = [{ fields: new Map(), keywords: [] }];
      for (const x of n.of) {
        const next: Sample[] = [];
        for (const a of acc) for (const b of solve(x, searches, limit)) if (next.length < limit) next.push(merge(a, b));
        acc = next;
      }
      return acc;
    }
  }
}

function merge(a: Sample, b: Sample): Sample {
  const fields = new Map(a.fields);
  for (const [k, v] of b.fields) {
    const have = fields.get(k);
    // Two selections on one field (contains X, contains Y): one value holding both.
    fields.set(k, have === undefined || v === undefined ? (v ?? have) : typeof have === 'string' && typeof v === 'string' && have !== v ? `${have} ${v}` : v);
  }
  return { fields, keywords: [...a.keywords, ...b.keywords] };
}

function searchSamples(body: unknown): Sample[] {
  if (Array.isArray(body)) {
    if (body.every((b) => typeof b !== 'object' || b === null)) return body.map((k) => ({ fields: new Map(), keywords: [plain(String(k))] }));
    return body.flatMap(searchSamples);
  }
  const s: Sample = { fields: new Map(), keywords: [] };
  for (const [key, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    const [field, ...mods] = key.split('|');
    const v = fieldValue(mods, Array.isArray(value) ? value : [value]);
    if (!field) s.keywords.push(String(v));
    else if (mods.includes('exists') && v === false) continue;
    else if (mods.includes('fieldref')) s.fields.set(field, { ref: String(Array.isArray(value) ? value[0] : value) });
    else if (v !== undefined) s.fields.set(field, v);
  }
  return [s];
}

/** A value the matcher `field|mods: values` accepts (`|all` needs every value at once). */
function fieldValue(mods: string[], values: unknown[]): unknown {
  if (mods.includes('exists')) return values[0] === true || values[0] === 'true' ? 'present' : false;
  const chosen = mods.includes('all') ? values : [values[0]];
  const parts = chosen.map((raw) => one(mods, raw));
  if (parts.some((p) => p === undefined)) return undefined;
  return parts.length === 1 ? parts[0] : parts.join(' ');
}

function one(mods: string[], raw: unknown): unknown {
  if (raw === null) return undefined;
  const num = Number(raw);
  if (mods.includes('gt')) return num + 1;
  if (mods.includes('gte') || mods.includes('lte')) return num;
  if (mods.includes('lt')) return num - 1;
  if (mods.includes('cidr')) return cidrHost(String(raw));
  if (mods.includes('re')) return regexSample(String(raw));
  if (typeof raw === 'number' || typeof raw === 'boolean') return raw;
  let v = plain(String(raw));
  if (mods.includes('wide') || mods.includes('utf16le')) v = Buffer.from(v, 'utf16le').toString('latin1');
  if (mods.includes('base64') || mods.includes('base64offset')) v = Buffer.from(v, 'latin1').toString('base64');
  return v;
}

/** A Sigma wildcard pattern's shortest match: `*` nothing, `?` one letter, escapes kept. */
function plain(p: string): string {
  return p.replace(/\\([*?\\])|\*|\?/g, (m, esc: string | undefined) => (esc !== undefined ? esc : m === '?' ? 'x' : ''));
}

function cidrHost(c: string): string {
  const [net] = c.split('/');
  if (net!.includes(':')) return net!.endsWith('::') ? `${net}1` : net!;
  const o = net!.split('.').map(Number);
  o[3] = (o[3] ?? 0) + 1;
  return o.join('.');
}

/** A string the (simple, SigmaHQ-style) regular expression matches: first alternatives, fewest repeats. */
export function regexSample(re: string): string {
  let src = re.replace(/^\(\?[ims]+\)/, '');
  let i = 0;
  const seq = (): string => {
    let out = '';
    while (i < src.length && src[i] !== '|' && src[i] !== ')') {
      let atom = '';
      const c = src[i]!;
      if (c === '(') {
        i++;
        if (src.startsWith('?:', i)) i += 2;
        atom = alt();
        i++; // ')'
      } else if (c === '[') {
        const end = src.indexOf(']', i + 2);
        const body = src.slice(i + 1, end);
        i = end + 1;
        atom = body.startsWith('^') ? (body.includes('a') ? 'q' : 'a') : body.startsWith('\\') ? classChar(body[1]!) : body[0]!;
      } else if (c === '\\') {
        atom = classChar(src[i + 1]!);
        i += 2;
      } else if (c === '^' || c === '$') {
        i++;
        continue;
      } else {
        atom = c === '.' ? 'a' : c;
        i++;
      }
      const q = /^(\*|\+|\?|\{(\d+)(?:,(\d*))?\})\??/.exec(src.slice(i));
      if (q) {
        i += q[0].length;
        const n = q[1] === '*' || q[1] === '?' ? 0 : q[1] === '+' ? 1 : Number(q[2]);
        atom = atom.repeat(n);
      }
      out += atom;
    }
    return out;
  };
  const alt = (): string => {
    const first = seq();
    let depth = 0;
    // skip the other alternatives of this group
    while (i < src.length && !(depth === 0 && src[i] === ')')) {
      if (src[i] === '\\') i++;
      else if (src[i] === '(') depth++;
      else if (src[i] === ')') depth--;
      i++;
    }
    return first;
  };
  src = src.trim();
  return alt();
}

function classChar(c: string): string {
  return c === 's' ? ' ' : c === 'd' ? '0' : c === 'w' ? 'a' : c === 'S' || c === 'W' ? 'a' : c;
}

/** The condition grammar of Sigma (or, and, not, parentheses, `1 of`, `all of`, `them`). */
export function parseCondition(text: string, names: string[]): Node {
  const t = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let pos = 0;
  const pick = (p: string): Node[] => {
    const re = p === 'them' ? /^(?!_)/ : new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    return names.filter((n) => re.test(n)).map((name) => ({ op: 'search', name }));
  };
  const or = (): Node => {
    const of = [and()];
    while (t[pos]?.toLowerCase() === 'or') {
      pos++;
      of.push(and());
    }
    return of.length === 1 ? of[0]! : { op: 'or', of };
  };
  const and = (): Node => {
    const of = [not()];
    while (t[pos]?.toLowerCase() === 'and') {
      pos++;
      of.push(not());
    }
    return of.length === 1 ? of[0]! : { op: 'and', of };
  };
  const not = (): Node => {
    if (t[pos]?.toLowerCase() === 'not') {
      pos++;
      return { op: 'not', of: not() };
    }
    const x = t[pos++]!;
    if (x === '(') {
      const inner = or();
      pos++;
      return inner;
    }
    const l = x.toLowerCase();
    if ((l === '1' || l === 'any' || l === 'all') && t[pos]?.toLowerCase() === 'of') {
      const chosen = pick(t[pos + 1]!);
      pos += 2;
      return { op: l === 'all' ? 'and' : 'or', of: chosen };
    }
    return { op: 'search', name: x };
  };
  return or();
}
