/**
 * The authority's decisions in the reputation book: an overrule stops the evidence so far
 * from counting and lets the entity recover at the ordinary rate (flagged again only on
 * new lies); a hand flag holds through any amount of good evidence until overruled.
 */
import { describe, expect, it } from 'vitest';
import { ReputationBook } from '../detector/index.js';

function lie(book: ReputationBook, id: string, from: number, n: number): number {
  let ts = from;
  for (let i = 0; i < n; i++) book.observe(id, 'vehicle', (ts += 500), 1);
  return ts;
}

describe('when the authority overrules the detector', () => {
  it('lifts the flag, drops the overruled evidence, recovers at the normal rate, and re-flags on new lies', () => {
    const book = new ReputationBook();
    let ts = lie(book, 'V-1', 0, 20);
    expect(book.isFlagged('V-1')).toBe(true);
    expect(book.trust('V-1')).toBeLessThan(0.1);
    const point = book.overrule('V-1')!;
    expect(point).toMatchObject({ flagged: false, entity: { id: 'V-1', type: 'vehicle' } });
    expect(point.ts).toBeGreaterThan(ts);
    expect(book.isFlagged('V-1')).toBe(false);
    const after = book.trust('V-1');
    expect(after).toBeGreaterThanOrEqual(0.5);
    // Honest reports raise it; nothing holds it down any more.
    for (let i = 1; i <= 10; i++) {
      book.observe('V-1', 'vehicle', ts + i * 1000, 0);
    }
    expect(book.trust('V-1')).toBeGreaterThan(after);
    ts = lie(book, 'V-1', ts + 10_000, 40);
    expect(book.isFlagged('V-1')).toBe(true);
  });

  it('returns nothing for an entity it never saw', () => {
    expect(new ReputationBook().overrule('V-9')).toBeUndefined();
  });
});

describe('when the authority flags by hand', () => {
  it('stays flagged through good evidence well past the recovery time, until overruled', () => {
    const book = new ReputationBook();
    const p = book.flagByHand('V-3', 'vehicle', 1000);
    expect(p.flagged).toBe(true);
    for (let i = 1; i <= 400; i++) book.observe('V-3', 'vehicle', 1000 + i * 1000, 0);
    expect(book.trust('V-3')).toBeGreaterThan(0.9);
    expect(book.isFlagged('V-3')).toBe(true);
    expect(book.evictIdle(Number.MAX_SAFE_INTEGER)).toBe(0);
    book.overrule('V-3');
    expect(book.isFlagged('V-3')).toBe(false);
  });
});
