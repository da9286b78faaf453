import { describe, expect, it } from 'vitest';
import { explainFlags, MODEL_ONLY, readLabels, scoreLabelled, type ScoredSet } from '../detector/index.js';
import type { VigilEvent } from '../events/index.js';
import { ev, M, northTrack, T0 } from './detector-fixtures.js';

describe('explaining what flagged a scored set', () => {
  it('counts each flagged event under the rules it matched, the model alone when none, and an attacker’s own honest messages apart', () => {
    const set: ScoredSet = {
      scores: Float32Array.from([100, 100, 95, 10, 100, 97, 100]),
      labels: Uint8Array.from([0, 1, 0, 0, 0, 1, 1]),
      attacks: ['', 'dos', '', '', '', 'sybil', 'dos'],
      families: Array(7).fill('vehicle'),
      rules: [['r-flood', 'r-speed'], ['r-flood'], [], [], ['r-speed'], [], ['r-flood']],
      entities: ['V-1', 'V-2', 'V-3', 'V-4', 'V-2', 'V-5', 'V-2'],
      events: 7,
      matched: 7,
    };
    const x = explainFlags(set, 90);
    expect(x.honest).toBe(4);
    expect(x.honestFlagged).toBe(3);
    expect(x.honestBy).toEqual({ 'r-flood': 1, 'r-speed': 2, [MODEL_ONLY]: 1 });
    // V-2's honest message came after its flood began
    expect(x.honestOfAttackersBy).toEqual({ 'r-speed': 1 });
    expect(x.honestAfterBy).toEqual({ 'r-speed': { dos: 1 } });
    expect(x.caughtBy).toEqual({ 'r-flood': { dos: 2 }, [MODEL_ONLY]: { sybil: 1 } });
    // a threshold per event: the model's 95 and 97 no longer count
    const y = explainFlags(set, Float32Array.from([90, 90, 99, 99, 90, 99, 90]));
    expect(y.honestBy[MODEL_ONLY]).toBeUndefined();
    expect(y.caughtBy[MODEL_ONLY]).toBeUndefined();
    const { rules: _r, ...unexplained } = set;
    expect(() => explainFlags(unexplained, 90)).toThrow(/explain: true/);
  });

  it('a scored stream records the rules each event matched: a flood under one identity is the flood rule, the honest traffic beside it nothing', async () => {
    const honest = northTrack('V-1', 50, 12, 100);
    const flood: VigilEvent[] = Array.from({ length: 40 }, (_, i) => ev({ kind: 'bsm', vehicle: 'V-9', ts: T0 + 2_000 + i * 20, lat: 1.36 + i * M, lon: 103.83, speed: 10, heading: 0 }));
    const events = [...honest, ...flood].sort((a, b) => a.vigil.ts - b.vigil.ts);
    const labels = await readLabels(events.map((e) => JSON.stringify({ id: e.id, label: e.vigil.entity.id === 'V-9' ? 'attack' : 'normal', attack: e.vigil.entity.id === 'V-9' ? 'dos' : undefined })));
    const set = await scoreLabelled(null, [events], labels, { explain: true });
    expect(set.rules).toHaveLength(events.length);
    expect(set.entities).toHaveLength(events.length);
    const x = explainFlags(set, 100);
    expect(x.honestFlagged).toBe(0);
    const caught = Object.values(x.caughtBy).map((t) => t.dos ?? 0);
    expect(Math.max(...caught)).toBeGreaterThan(20);
  });
});
