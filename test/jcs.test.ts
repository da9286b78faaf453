/**
 * @vigil/jcs, the one RFC 8785 encoder events and the ledger share: the RFC's own
 * examples, the `canonicalize` reference package on random JSON, and the hashes the code
 * before it made (test/fixtures/canonical-golden.json: event ids, canonical texts and
 * ledger leaf hashes written by the two hand-written encoders it replaced).
 */
import { readFileSync } from 'node:fs';
import canonicalizeReference from 'canonicalize';
import { canonicalize, JcsError } from '@vigil/jcs';
import { describe, expect, it } from 'vitest';
import { canonicalJson as eventCanonicalJson, resolveValidationOptions, validateInput } from '../events/index.js';
import { canonicalJson as ledgerCanonicalJson, entryHash, type LedgerEntry } from '../ledger/index.js';
import { seededRandom } from './helpers.js';

interface Golden {
  events: Array<{ input: { ts: number }; id: string }>;
  documents: Array<{ value: unknown; canonical: string }>;
  entries: Array<{ entry: LedgerEntry; leafHash: string }>;
}
const golden = JSON.parse(readFileSync('test/fixtures/canonical-golden.json', 'utf8')) as Golden;

describe('RFC 8785 examples', () => {
  it('sorts members, prints numbers and escapes strings as section 3.2.2 shows', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalize(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('orders member names by UTF-16 code units, as section 3.2.3 shows', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    );
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('prints the IEEE 754 value %s as %s (appendix B)', (hex, expected) => {
    expect(canonicalize(Buffer.from(hex, 'hex').readDoubleBE(0))).toBe(expected);
  });

  it.each([
    ['NaN', NaN, 'NOT_FINITE'],
    ['Infinity', Infinity, 'NOT_FINITE'],
    ['a lone surrogate', '\ud800', 'LONE_SURROGATE'],
    ['a lone surrogate in a name', { '\udc00': 1 }, 'LONE_SURROGATE'],
    ['a function member', { a: () => 1 }, 'NOT_JSON'],
    ['a Date', new Date(0), 'NOT_JSON'],
    ['undefined in an array', [undefined], 'NOT_JSON'],
    ['a bigint', 10n, 'NOT_JSON'],
  ])('refuses %s, which I-JSON cannot carry', (_name, value, code) => {
    expect(() => canonicalize(value)).toThrow(expect.objectContaining({ code }) as JcsError);
  });

  it('refuses a cycle as nesting too deep rather than overflowing the stack', () => {
    const a: Record<string, unknown> = {};
    a['self'] = a;
    expect(() => canonicalize(a)).toThrow(expect.objectContaining({ code: 'TOO_DEEP' }) as JcsError);
  });

  it('leaves out object members that are undefined, as JSON.stringify does', () => {
    expect(canonicalize({ b: undefined, a: 1 })).toBe('{"a":1}');
  });
});

describe('agreement with the canonicalize reference package', () => {
  const random = seededRandom(87850);
  const strings = ['', 'a', 'é€', '"\\', '\n\t\u0001', '😀', '\u2028', 'z1', 'A'];
  function randomJson(depth: number): unknown {
    const r = random();
    if (depth > 3 || r < 0.35) {
      const pick = Math.floor(random() * 6);
      if (pick === 0) return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
      if (pick === 1) return Math.floor(random() * 2 ** 53);
      if (pick === 2) return strings[Math.floor(random() * strings.length)]!;
      return [true, false, null][pick - 3];
    }
    if (r < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(random() * 5); i > 0; i--) o[strings[Math.floor(random() * strings.length)]! + String(i)] = randomJson(depth + 1);
    return o;
  }

  it('gives the same text on 3,000 random documents', () => {
    for (let i = 0; i < 3000; i++) {
      const value = randomJson(0);
      expect(canonicalize(value)).toBe(canonicalizeReference(value));
    }
  });
});

describe('hashes made before the one encoder', () => {
  it('gives every event the id the old events/ encoder gave it', () => {
    expect(golden.events.length).toBeGreaterThan(30);
    for (const { input, id } of golden.events) {
      const r = validateInput(input, resolveValidationOptions({ now: () => input.ts + 1000 }));
      expect(r.ok && r.event.id).toBe(id);
    }
  });

  it('encodes every document as both old encoders did', () => {
    for (const { value, canonical } of golden.documents) {
      expect(eventCanonicalJson(value)).toBe(canonical);
      expect(ledgerCanonicalJson(value)).toBe(canonical);
    }
  });

  it('gives every ledger entry the leaf hash the old ledger/ encoder gave it', () => {
    expect(new Set(golden.entries.map((e) => e.entry.type))).toEqual(new Set(['event', 'alert', 'action', 'model']));
    for (const { entry, leafHash } of golden.entries) expect(entryHash(entry)).toBe(leafHash);
  });
});
