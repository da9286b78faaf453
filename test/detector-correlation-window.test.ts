/**
 * Correlation windows kept incrementally (detector/rules/window.ts): the work per event
 * stays flat however many events a window holds, memory is capped, and the counts agree
 * with a naive rescan of the same events.
 */
import { describe, expect, it } from 'vitest';
import { RuleBook, type RuleHit } from '../detector/index.js';
import { MAX_WINDOW_EVENTS, SlidingWindow, windowWork, type WindowEvent } from '../detector/rules/window.js';
import { seededRandom } from '../detector/model/random.js';
import { ev, T0 } from './detector-fixtures.js';

const entity: WindowEvent['entity'] = { id: 'D-1', type: 'device' };

describe('a password-guessing flood', () => {
  it('costs the same work per event from the first to the 100,000th failure in a minute', () => {
    const book = new RuleBook();
    // One user tried again and again: value_count (distinct users) never fires, so its window only grows.
    book.add(`
title: failed login
id: f
name: fail
detection: { s: { vigil.kind: auth, event.outcome: failure }, condition: s }
generate: false
---
title: spray
id: spray
correlation: { type: value_count, rules: [fail], group-by: [vigil.entity.id], timespan: 1m, condition: { field: user.name, gte: 5 } }
---
title: brute
id: brute
correlation: { type: event_count, rules: [fail], group-by: [vigil.entity.id], timespan: 1m, condition: { gte: 1000000 } }
`.replace('gte: 1000000', `gte: ${MAX_WINDOW_EVENTS}`));
    const hits: RuleHit[] = [];
    const base = ev({ kind: 'auth', device: 'D-1', ts: T0, user: 'admin', outcome: 'failure', src: '198.51.100.7' });
    const stepsPer = (from: number, to: number) => {
      const before = windowWork.steps;
      for (let i = from; i < to; i++) {
        const event = { ...base, id: `e${i}`, vigil: { ...base.vigil, ts: T0 + Math.floor((i * 60_000) / 100_000) } };
        book.evaluate({ event }, i, hits);
      }
      return (windowWork.steps - before) / (to - from);
    };
    stepsPer(0, 20_000);
    const middle = stepsPer(20_000, 30_000);
    stepsPer(30_000, 90_000);
    const last = stepsPer(90_000, 100_000);
    // Flat: a rescan would make each of the last ten thousand cost as many steps as the window holds.
    expect(last).toBeLessThanOrEqual(middle * 1.1);
    expect(last).toBeLessThan(20);
    expect(hits.filter((h) => h.rule.id === 'spray')).toEqual([]);
    // event_count at the cap fires as the window fills, once per fill.
    expect(hits.filter((h) => h.rule.id === 'brute' && !h.continuing).length).toBe(Math.floor(100_000 / MAX_WINDOW_EVENTS));
  });

  it('refuses an event_count condition above what a window can hold', () => {
    const book = new RuleBook();
    expect(() =>
      book.add(`title: f\nid: f\nname: fail\ndetection: { s: { vigil.kind: auth }, condition: s }\n---\ntitle: b\nid: b\ncorrelation: { type: event_count, rules: [fail], timespan: 1m, condition: { gt: ${MAX_WINDOW_EVENTS} } }`),
    ).toThrow(/above the/);
  });
});

describe('the sliding window', () => {
  it('holds at most its cap and says how many left early', () => {
    const w = new SlidingWindow({ spanMs: 60_000, cap: 100 });
    for (let i = 0; i < 250; i++) w.add({ ts: T0 + i, id: `e${i}`, entity, value: `v${i % 7}` });
    expect(w.size).toBe(100);
    expect(w.capped).toBe(150);
    expect(w.evidence(10)).toEqual({ ids: Array.from({ length: 10 }, (_, k) => `e${240 + k}`), omitted: 90 });
  });

  it('ignores an event older than the window measured from the newest one, and counts it', () => {
    const w = new SlidingWindow({ spanMs: 10_000 });
    expect(w.add({ ts: T0 + 20_000, id: 'new', entity })).toBe(true);
    expect(w.add({ ts: T0 + 15_000, id: 'late but inside', entity })).toBe(true);
    expect(w.add({ ts: T0, id: 'too old', entity })).toBe(false);
    expect({ size: w.size, late: w.late }).toEqual({ size: 2, late: 1 });
  });

  it('agrees with a naive rescan on random streams (counts, distinct values, refs, order)', () => {
    const rng = seededRandom(7);
    const refs = ['a', 'b', 'a', 'c'];
    for (let trial = 0; trial < 30; trial++) {
      const span = 1_000 + Math.floor(rng() * 5_000);
      const w = new SlidingWindow({ spanMs: span, refs });
      const seen: WindowEvent[] = [];
      let t = T0;
      for (let i = 0; i < 400; i++) {
        t += Math.floor(rng() * 400);
        const e: WindowEvent = { ts: t, id: `e${i}`, entity, value: `v${Math.floor(rng() * 6)}`, ref: ['a', 'b', 'c', 'd'][Math.floor(rng() * 4)] };
        w.add(e);
        seen.push(e);
        const inside = seen.filter((s) => s.ts >= t - span);
        expect(w.size).toBe(inside.length);
        expect(w.distinct).toBe(new Set(inside.map((s) => s.value)).size);
        expect(w.allRefsPresent()).toBe(refs.every((r) => inside.some((s) => s.ref === r)));
        let k = 0;
        for (const s of inside) if (s.ref === refs[k]) k++;
        expect(w.orderedComplete(), `trial ${trial} event ${i}`).toBe(k >= refs.length);
      }
    }
  });
});
