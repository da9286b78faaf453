/**
 * Sigma 2.x value modifiers that rewrite a rule's values before they are matched
 * (appendix "Sigma Modifiers" of the specification): `windash`, `base64`, `base64offset`,
 * `utf16le` / `utf16be` / `utf16` / `wide`, and `expand` with placeholders configured in
 * the mapping file. What is left (`contains`, `re`, `cidr`, `gt`, …) is matched by match.ts.
 *
 * Rule text is untrusted (analysts add rules through the API), so the expansions are
 * bounded: `windash` permutations are capped, and an unknown placeholder is a typed error.
 */
import { DetectorError } from '../errors.js';

/** The modifiers applied here, in the order the specification chains them. */
export const TRANSFORMS = new Set(['windash', 'base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide', 'expand']);

/** Date-part modifiers of Sigma 2.x (`@timestamp|hour: 3`). */
export const TIME_PARTS = new Set(['minute', 'hour', 'day', 'week', 'month', 'year']);

/** Every modifier Vigil accepts. */
export const ALL_MODIFIERS = new Set([
  ...TRANSFORMS,
  ...TIME_PARTS,
  'contains', 'startswith', 'endswith', 'all', 're', 'i', 'm', 's', 'cidr', 'gt', 'gte', 'lt', 'lte', 'exists', 'fieldref', 'cased', 'neq',
]);

/** windash: the characters a Windows command line accepts for a flag's leading dash. */
const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];
/** A value with more dashes than this would expand past 5^4 = 625 variants. */
const MAX_WINDASH = 4;

export interface TransformOptions {
  /** `expand` placeholders (`%admin_users%` → values), from the mapping file. */
  placeholders: Readonly<Record<string, readonly string[]>>;
  ruleId: string;
  key: string;
}

/** Applies the value-rewriting modifiers of `mods` to `values`, left to right. */
export function transformValues(mods: readonly string[], values: readonly unknown[], o: TransformOptions): unknown[] {
  let out: unknown[] = [...values];
  for (const m of mods) {
    if (!TRANSFORMS.has(m)) continue;
    out = out.flatMap((v) => {
      if (typeof v !== 'string') {
        if (m === 'expand' || m === 'windash') return [v];
        throw new DetectorError('RULE_INVALID', `rule ${o.ruleId}: "${o.key}": ${m} needs a string value, got ${JSON.stringify(v)}`);
      }
      return transformOne(m, v, o);
    });
  }
  return out;
}

function transformOne(m: string, v: string, o: TransformOptions): string[] {
  switch (m) {
    case 'windash':
      return windash(v, o);
    case 'base64':
      return [Buffer.from(v, 'latin1').toString('base64').replace(/=+$/, '')];
    case 'base64offset':
      return base64Offsets(Buffer.from(v, 'latin1'));
    case 'utf16le':
    case 'wide':
      return [Buffer.from(v, 'utf16le').toString('latin1')];
    case 'utf16be':
      return [Buffer.from(v, 'utf16le').swap16().toString('latin1')];
    case 'utf16':
      return [`\xff\xfe${Buffer.from(v, 'utf16le').toString('latin1')}`];
    case 'expand':
      return expand(v, o);
    default:
      return [v];
  }
}

function windash(v: string, o: TransformOptions): string[] {
  const at: number[] = [];
  for (let i = 0; i < v.length; i++) if (DASHES.includes(v[i]!)) at.push(i);
  if (at.length > MAX_WINDASH) throw new DetectorError('RULE_INVALID', `rule ${o.ruleId}: "${o.key}": windash on a value with more than ${MAX_WINDASH} dashes`);
  let out = [v];
  for (const i of at) out = out.flatMap((s) => DASHES.map((d) => s.slice(0, i) + d + s.slice(i + 1)));
  return [...new Set(out)];
}

/**
 * The three base64 forms a string takes inside a longer encoded text, one per offset
 * 0, 1, 2 (pySigma's Base64OffsetModifier): the characters that depend on neighbouring
 * bytes are cut off, so what is left appears verbatim whatever surrounds the value.
 */
function base64Offsets(bytes: Buffer): string[] {
  const start = [0, 2, 3];
  const end = [0, -3, -2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), bytes]).toString('base64');
    const cut = end[(bytes.length + i) % 3]!;
    out.push(enc.slice(start[i]!, cut === 0 ? undefined : cut));
  }
  return out;
}

function expand(v: string, o: TransformOptions): string[] {
  const m = /%([A-Za-z0-9_.-]{1,64})%/.exec(v);
  if (!m) return [v];
  const list = o.placeholders[m[1]!];
  if (!list) throw new DetectorError('RULE_INVALID', `rule ${o.ruleId}: "${o.key}": placeholder %${m[1]}% is not configured (mapping file, placeholders)`);
  return list.flatMap((x) => expand(v.slice(0, m.index) + x + v.slice(m.index + m[0].length), o));
}

/**
 * A JavaScript RegExp for a Sigma (PCRE) pattern: a leading `(?i)`, `(?s)`, `(?m)` or their
 * combination (as SigmaHQ rules write them) becomes flags, since JavaScript has no inline flags.
 */
export function sigmaRegex(pattern: string, mods: readonly string[]): { source: string; flags: string } {
  let flags = (mods.includes('i') ? 'i' : '') + (mods.includes('m') ? 'm' : '') + (mods.includes('s') ? 's' : '');
  let source = pattern;
  const inline = /^\(\?([ims]+)\)/.exec(source);
  if (inline) {
    for (const f of inline[1]!) if (!flags.includes(f)) flags += f;
    source = source.slice(inline[0].length);
  }
  return { source, flags };
}

/** The date part a time modifier reads from an ISO-8601 text or epoch milliseconds (UTC). */
export function timePart(part: string, v: unknown): number | undefined {
  const t = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(t)) return undefined;
  const d = new Date(t);
  switch (part) {
    case 'minute':
      return d.getUTCMinutes();
    case 'hour':
      return d.getUTCHours();
    case 'day':
      return d.getUTCDate();
    case 'month':
      return d.getUTCMonth() + 1;
    case 'year':
      return d.getUTCFullYear();
    default: {
      // ISO-8601 week number
      const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
      const dow = day.getUTCDay() || 7;
      day.setUTCDate(day.getUTCDate() + 4 - dow);
      const jan1 = Date.UTC(day.getUTCFullYear(), 0, 1);
      return Math.ceil(((day.getTime() - jan1) / 86_400_000 + 1) / 7);
    }
  }
}
