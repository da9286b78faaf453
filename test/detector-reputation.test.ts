import { describe, expect, it } from 'vitest';
import { ReputationBook } from '../detector/index.js';

const observeFor = (book: ReputationBook, id: string, from: number, to: number, badness: number, step = 100) => {
  for (let t = from; t < to; t += step) book.observe(id, 'vehicle', t, badness);
};

describe('reputation', () => {
  it('starts neutral, rises with consistent reports and falls with lies', () => {
    const book = new ReputationBook();
    book.observe('V', 'vehicle', 0, 0);
    expect(book.get('V')!.value).toBeCloseTo(2 / 3);
    observeFor(book, 'V', 100, 10_000, 0);
    expect(book.get('V')!.value).toBeGreaterThan(0.9);
    observeFor(book, 'V', 10_000, 20_000, 1);
    expect(book.get('V')!.value).toBeLessThan(0.1);
  });

  it('flags only after trust stays low for flagAfterMs', () => {
    const book = new ReputationBook({ flagAfterMs: 3_000 });
    observeFor(book, 'V', 0, 2_000, 1);
    expect(book.get('V')!.flagged).toBe(false);
    observeFor(book, 'V', 2_000, 6_000, 1);
    expect(book.get('V')!.flagged).toBe(true);
    expect(book.get('V')!.history.some((p) => p.flagged)).toBe(true);
  });

  it('recovers only through sustained good behaviour', () => {
    const book = new ReputationBook({ flagAfterMs: 1_000, recoverAfterMs: 60_000 });
    observeFor(book, 'V', 0, 5_000, 1);
    expect(book.get('V')!.flagged).toBe(true);
    observeFor(book, 'V', 5_000, 30_000, 0); // trust is back up, but not for long enough
    expect(book.get('V')!.value).toBeGreaterThan(0.7);
    expect(book.get('V')!.flagged).toBe(true);
    observeFor(book, 'V', 30_000, 32_000, 1); // a relapse under the recovery level restarts the clock
    observeFor(book, 'V', 32_000, 80_000, 0);
    expect(book.get('V')!.flagged).toBe(true);
    observeFor(book, 'V', 80_000, 120_000, 0);
    expect(book.get('V')!.flagged).toBe(false);
  });

  it('forgets: old evidence decays with the half-life', () => {
    const book = new ReputationBook({ halfLifeMs: 1_000, maxEvidence: 1_000 });
    observeFor(book, 'D', 0, 1_000, 1, 10);
    const before = book.get('D')!.value;
    book.observe('D', 'device', 20_000, 0);
    expect(before).toBeLessThan(0.05);
    expect(book.get('D')!.value).toBeGreaterThan(0.6);
  });
});
