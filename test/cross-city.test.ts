import { describe, expect, it } from 'vitest';
import { formatExplain, formatMatrix, runMatrix } from '../bench/cross-city.js';

describe('the cross-city matrix harness', () => {
  it('trains per profile without labels, scores every test profile and puts the baseline beside each cell', async () => {
    const progress: string[] = [];
    const m = await runMatrix({ train: ['dev-grid', 'dev-ring'], test: ['dev-grid', 'dev-ring'], vehicles: 6, duration: 12, epochs: 1, attackRate: 0.1, explain: true, progress: (x) => progress.push(x) });
    expect(m.cells.map((c) => `${c.train}>${c.test}`)).toEqual(['dev-grid>dev-grid', 'dev-grid>dev-ring', 'dev-ring>dev-grid', 'dev-ring>dev-ring']);
    for (const c of m.cells) {
      expect(c.messages).toBeGreaterThan(0);
      expect(c.attacks).toBeGreaterThan(0);
      for (const fig of [c.validated, c.budget, c.baseline]) {
        expect(fig.fpRate).toBeGreaterThanOrEqual(0);
        expect(fig.fpRate).toBeLessThanOrEqual(1);
        expect(fig.f1).toBeGreaterThanOrEqual(0);
        expect(Object.keys(fig.perAttack).length).toBeGreaterThan(0);
      }
    }
    // The same test run under both models: the baseline (no learning) reads the same on it.
    expect(m.cells[0]!.baseline).toEqual(m.cells[2]!.baseline);
    expect(progress.some((p) => /validation run \(seed 2\)/.test(p))).toBe(true);
    const text = formatMatrix(m);
    expect(text).toMatch(/dev-grid → dev-ring/);
    expect(text).toMatch(/per-attack F1/);
    // --explain: every cell's flags attributed; the rules are named by the features they read
    for (const c of m.cells) expect(c.explain!.validated.honest).toBe(c.explain!.budget.honest);
    const why = formatExplain(m);
    expect(why).toMatch(/dev-grid → dev-ring: honest flagged \(a\) \d+/);
    expect(why).toMatch(/rate_1s|teleport_m|dead_reckoning_z|replay/);
  }, 240_000);
});
