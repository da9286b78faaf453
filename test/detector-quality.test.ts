import { describe, expect, it } from 'vitest';
import {
  auroc,
  chooseThreshold,
  Detector,
  scoreFamily,
  scoreForest,
  seededRandom,
  thresholdFor,
  trainDemoModel,
  trainFamily,
  trainForest,
  type ModelBundle,
} from '../detector/index.js';
import { ev, M, northTrack, T0 } from './detector-fixtures.js';
import { envelopeOf } from '../detector/model/autoencoder.js';

/** Honest vehicles driving north: the unlabelled training traffic. */
function traffic(offsetMs = 0) {
  const out = [];
  for (let v = 0; v < 6; v++) out.push(...northTrack(`V-${v}`, 150, 8 + v, 100, { lon: 103.82 + v * 0.001, t0: T0 + offsetMs }));
  return out.sort((a, b) => a.vigil.ts - b.vigil.ts);
}

/** n rows of d features, each uniform in [0, 1) (seeded). */
function uniformRows(n: number, d: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n * d }, () => r());
}

describe('the plausibility envelope', () => {
  it('scores a row with one feature far outside everything seen in training above every in-range row', async () => {
    const d = 6;
    const model = await trainFamily('t', ['a', 'b', 'c', 'd', 'e', 'f'], { rows: uniformRows(500, d, 1), n: 500, d }, { epochs: 2, seed: 1, backend: 'cpu' });
    expect(model.envelope?.hi).toHaveLength(d);
    const inRange = scoreFamily(model, { rows: uniformRows(200, d, 2), n: 200, d });
    const odd = uniformRows(1, d, 3);
    odd[4] = 40; // one implausible feature among five ordinary ones
    const [outlier] = scoreFamily(model, { rows: odd, n: 1, d });
    expect(outlier).toBeGreaterThanOrEqual(99);
    expect(outlier).toBeGreaterThan(Math.max(...inRange));
  });

  it('the robust envelope is not set by attacks hidden in the training traffic', () => {
    // 3 % of the rows carry an attack's value (500) in feature 0; feature 1 is 0/1 with 1 in 0.5 %
    const n = 2000;
    const r = seededRandom(7);
    const x = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      x[i * 2] = i % 33 === 0 ? 500 : r();
      x[i * 2 + 1] = i % 200 === 0 ? 1 : 0;
    }
    const plain = envelopeOf(x, n, 2, 0.999);
    expect(plain.hi[0]).toBe(500); // the 0.999 quantile is the attack
    const robust = envelopeOf(x, n, 2, 0.999, { trim: 0.95, fence: 2, floor: 0.25 }, ['a', 'b']);
    expect(robust.hi[0]).toBeLessThan(3); // 0.95 quantile (< 1) + 2 × its spread (< 1)
    expect(robust.hi[0]).toBeGreaterThan(1); // above every honest value
    expect(robust.hi[1]).toBe(0.5); // a rare 1 lies outside …
    expect(envelopeOf(x, n, 2, 0.999, { trim: 0.95, fence: 2, floor: 0.25, floors: { b: 0.5 } }, ['a', 'b']).hi[1]).toBe(1); // … unless its floor says 1 is ordinary
    expect(robust.hi[1]).toBeLessThanOrEqual(plain.hi[1]!); // never wider than the plain bound
  });

  it('is left out when its quantile is 0, so only the reconstruction error scores', async () => {
    const model = await trainFamily('t', ['a', 'b'], { rows: uniformRows(100, 2, 1), n: 100, d: 2 }, { epochs: 1, seed: 1, backend: 'cpu', envelopeQuantile: 0 });
    expect(model.envelope).toBeUndefined();
    // a model of fewer features than the rows now carry is refused, not read misaligned
    expect(() => scoreFamily(model, { rows: uniformRows(4, 3, 2), n: 4, d: 3 })).toThrow(/retrain/);
  });
});

describe('the isolation forest', () => {
  it('gives rows far from the training cloud higher scores, the same for the same seed', () => {
    const d = 3;
    const train = uniformRows(1000, d, 4);
    const test = new Float32Array([0.5, 0.5, 0.5, 0.4, 0.6, 0.5, 3, 0.5, 0.5, -2, -2, 0.5]);
    const a = scoreForest(trainForest(train, 1000, d, seededRandom(9), { trees: 50 }), test, 4);
    const b = scoreForest(trainForest(train, 1000, d, seededRandom(9), { trees: 50 }), test, 4);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.min(a[2]!, a[3]!)).toBeGreaterThan(Math.max(a[0]!, a[1]!));
    expect(auroc(a, [0, 0, 1, 1])).toBe(1);
  });
});

describe('validation thresholds', () => {
  const bundle = { threshold: 99, thresholds: undefined } as unknown as ModelBundle;
  it('are chosen per family when families are given, and each event is judged by its own', async () => {
    const base = await trainDemoModel([traffic()], { epochs: 1, backend: 'cpu', clock: () => 0 });
    // vehicles separate at 80, devices at 30: one pooled threshold cannot serve both
    const scores = [70, 75, 85, 90, 20, 25, 35, 40];
    const labels = [0, 0, 1, 1, 0, 0, 1, 1];
    const families = ['vehicle', 'vehicle', 'vehicle', 'vehicle', 'telemetry', 'telemetry', 'telemetry', 'telemetry'];
    const chosen = chooseThreshold(base, scores, labels, 'test', families);
    expect(chosen.thresholds).toEqual({ telemetry: 35, vehicle: 85 });
    expect(thresholdFor(chosen, 'vehicle')).toBe(85);
    expect(thresholdFor(chosen, 'net')).toBe(chosen.threshold);
    expect(chosen.hash).not.toBe(base.hash);
    expect(thresholdFor(bundle, 'vehicle')).toBe(99);
  });
});

describe('a running detector', () => {
  it('takes a new model with setModel, and its scores and modelInfo follow', async () => {
    const model = await trainDemoModel([traffic()], { epochs: 2, backend: 'cpu', clock: () => 0 });
    expect(model.thresholdSource).toMatch(/demo/);
    const d = await Detector.create({ model: null, rules: [] });
    expect(d.modelInfo).toBeUndefined();
    const before = d.process(traffic(60_000)).scores;
    expect(before.every((s) => s === 0)).toBe(true);
    d.setModel(model);
    expect(d.modelInfo).toEqual({ hash: model.hash, backend: model.backend, threshold: model.threshold });
    const liar = northTrack('V-L', 50, 12, 100, { t0: T0 + 80_000 }).map((e, i) => ({ ...e, vigil: { ...e.vigil, vehicle: { ...e.vigil.vehicle!, speed: i % 2 ? 40 : 2 } } }));
    const lies = d.process(liar).scores;
    expect(Math.max(...lies.slice(5))).toBeGreaterThanOrEqual(99);
    d.setModel(null);
    expect(d.modelInfo).toBeUndefined();
  });

  it('does not raise the score of a flagged entity\'s truthful messages', async () => {
    // it teleports for 10 s (a random position offset every message: rule hits that flag
    // it), then drives on truthfully
    const full = northTrack('V-X', 200, 12, 100, { lon: 103.83 });
    const lying = full.slice(0, 100).map((e, i) => ev({ kind: 'bsm', vehicle: 'V-X', ts: e.vigil.ts, lat: 1.35 + ((i * 7919) % 2000) * M, lon: 103.83, speed: 12, heading: 0, seq: i }));
    const d = await Detector.create({ model: null });
    expect(Math.max(...d.process(lying).scores)).toBe(100);
    expect(d.reputation.get('V-X')?.flagged).toBe(true);
    const truthful = full.slice(130).map((e, i) => ev({ kind: 'bsm', vehicle: 'V-X', ts: e.vigil.ts, lat: e.vigil.vehicle!.lat, lon: 103.83, speed: 12, heading: 0, seq: 130 + i }));
    const s = d.process(truthful).scores;
    expect(d.reputation.get('V-X')?.flagged).toBe(true);
    expect(Math.max(...s.slice(20))).toBe(0);
  });
});
