/**
 * RFC 8785 (JSON Canonicalization Scheme): the one canonical JSON encoding Vigil hashes.
 * Events (their ids) and the ledger (its leaves) both use it, and neither may import the
 * other, so it is a package of its own, like the hashing libraries: no dependencies, no
 * Node APIs, so an auditor's verifier in a browser encodes exactly what the node did.
 *
 * - Object members are sorted by their names' UTF-16 code units (section 3.2.3).
 * - Numbers print in ECMAScript's shortest round-trip form, `Number.prototype.toString`
 *   (section 3.2.2.3); -0 prints as 0.
 * - Strings are escaped as `JSON.stringify` does (section 3.2.2.2).
 * - What I-JSON (RFC 7493) cannot carry is refused with a `JcsError`: NaN, Infinity, lone
 *   surrogates, bigints, functions, symbols, `undefined` in an array, class instances
 *   (a Date, a Map) and nesting deeper than 64 levels (or a cycle). Object members whose
 *   value is `undefined` are left out, as `JSON.stringify` does.
 *
 * Agrees with the `canonicalize` package (the scheme's reference for JavaScript) on JSON
 * data — the tests hold the two together — and is several times faster, which matters on
 * the ledger's append path and the event validation path.
 */

export type JcsErrorCode = 'NOT_FINITE' | 'LONE_SURROGATE' | 'TOO_DEEP' | 'NOT_JSON';

export class JcsError extends Error {
  override readonly name = 'JcsError';
  constructor(
    readonly code: JcsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_DEPTH = 64;

/** The RFC 8785 canonical text of `value`. */
export function canonicalize(value: unknown): string {
  return encodeValue(value, 0);
}

/**
 * The canonical text of a plain object's member value at `depth` (the top level being 0):
 * for callers that write the outer members themselves, in canonical order.
 */
export function canonicalizeAt(value: unknown, depth: number): string {
  return encodeValue(value, depth);
}

const LONE_SURROGATE = /\p{Cs}/u;
// Native String.prototype.isWellFormed (ES2024) where there is one, else the regex.
const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !LONE_SURROGATE.test(s);

/** What JSON.stringify escapes in a well-formed string (RFC 8785 3.2.2.2). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** Quoted member names, cached: the same few names recur in every event and entry. */
const quotedNames = new Map<string, string>();
/** Bounded, so attacker-chosen names (metric names) cannot grow the caches without end. */
const MAX_CACHED_NAMES = 4096;

function quoteName(name: string): string {
  let q = quotedNames.get(name);
  if (q === undefined) {
    if (!isWellFormed(name)) throw new JcsError('LONE_SURROGATE', 'a member name holds a lone UTF-16 surrogate, which RFC 8785 forbids');
    q = `${JSON.stringify(name)}:`;
    if (quotedNames.size < MAX_CACHED_NAMES) quotedNames.set(name, q);
  }
  return q;
}

/** Insertion sort: member lists are short, and `<` on strings compares UTF-16 code units, as RFC 8785 3.2.3 asks. */
function sortNames(names: string[]): string[] {
  for (let i = 1; i < names.length; i++) {
    const n = names[i]!;
    let j = i - 1;
    while (j >= 0 && names[j]! > n) {
      names[j + 1] = names[j]!;
      j--;
    }
    names[j + 1] = n;
  }
  return names;
}

interface MemberOrder {
  /** Object.keys as it came (insertion order). */
  keys: string[];
  /** The same names in RFC 8785 order, and each quoted with its colon. */
  names: string[];
  quoted: string[];
}

/**
 * Objects of one shape list their names in one insertion order, so the sorted order is
 * remembered per first name and reused when the whole list matches.
 */
const orders = new Map<string, MemberOrder>();

function memberOrder(keys: string[]): MemberOrder {
  const cached = keys.length > 0 ? orders.get(keys[0]!) : undefined;
  if (cached && cached.keys.length === keys.length) {
    let same = true;
    for (let k = 1; k < keys.length; k++) {
      if (cached.keys[k] !== keys[k]) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  const names = sortNames([...keys]);
  const order = { keys, names, quoted: names.map(quoteName) };
  if (keys.length > 0 && orders.size < MAX_CACHED_NAMES) orders.set(keys[0]!, order);
  return order;
}

function encodeValue(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) throw new JcsError('LONE_SURROGATE', 'a string holds a lone UTF-16 surrogate, which RFC 8785 forbids');
      // Most strings need no escape, and quoting them here skips JSON.stringify's set-up.
      return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
    case 'number':
      if (!Number.isFinite(value)) throw new JcsError('NOT_FINITE', `${value} is not a JSON number`);
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new JcsError('TOO_DEEP', `JSON nested deeper than ${MAX_DEPTH} levels (or a cycle)`);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          if (item === undefined) throw new JcsError('NOT_JSON', 'an array holds undefined, which is not JSON');
          out += encodeValue(item, depth + 1);
        }
        return `${out}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new JcsError('NOT_JSON', 'only plain objects are JSON (found a class instance)');
      const record = value as Record<string, unknown>;
      const order = memberOrder(Object.keys(record));
      let out = '{';
      let first = true;
      for (let k = 0; k < order.names.length; k++) {
        const member = record[order.names[k]!];
        if (member === undefined) continue;
        out += first ? order.quoted[k]! : `,${order.quoted[k]!}`;
        first = false;
        out += encodeValue(member, depth + 1);
      }
      return `${out}}`;
    }
    default:
      throw new JcsError('NOT_JSON', `a ${typeof value} is not JSON`);
  }
}
