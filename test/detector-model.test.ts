import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Detector, DetectorError, loadModel, saveModel, scoreWindows, trainDetectorModel, type ModelBundle } from '../detector/index.js';
import { northTrack, T0 } from './detector-fixtures.js';

/** A few honest vehicles: the unlabelled training traffic. */
function traffic(offsetMs = 0) {
  const out = [];
  for (let v = 0; v < 6; v++) out.push(...northTrack(`V-${v}`, 150, 8 + v, 100, { lon: 103.82 + v * 0.001, t0: T0 + offsetMs }));
  return out.sort((a, b) => a.vigil.ts - b.vigil.ts);
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function train(seed: number): Promise<ModelBundle> {
  return trainDetectorModel([traffic()], { epochs: 3, seed, backend: 'cpu', clock: () => 0 });
}

describe('the outlier model', () => {
  it('is deterministic for a seed, and a save and load give identical scores', async () => {
    const a = await train(7);
    const b = await train(7);
    expect(a.hash).toBe(b.hash);
    const dir = await mkdtemp(join(tmpdir(), 'vigil-model-'));
    dirs.push(dir);
    await saveModel(dir, a);
    const loaded = (await loadModel(dir))!;
    expect(loaded.hash).toBe(a.hash);
    const test = traffic(60_000);
    const s1 = (await Detector.create({ model: a, rules: [] })).process(test).scores;
    const s2 = (await Detector.create({ model: loaded, rules: [] })).process(test).scores;
    expect(Array.from(s2)).toEqual(Array.from(s1));
    expect(s1.every((x) => x >= 0 && x <= 100)).toBe(true);
  });

  it('scores a lying vehicle above honest ones', async () => {
    const model = await train(3);
    const d = await Detector.create({ model, rules: [] });
    const honest = d.process(traffic(60_000)).scores;
    const liar = northTrack('V-L', 50, 12, 100, { t0: T0 + 80_000 }).map((e, i) => ({ ...e, vigil: { ...e.vigil, vehicle: { ...e.vigil.vehicle!, speed: i % 2 ? 40 : 2 } } }));
    const lies = d.process(liar).scores;
    const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(lies.slice(5))).toBeGreaterThan(mean(honest) + 20);
  });

  it('a model trained on other features than this version computes is refused, naming the difference', async () => {
    const model = await train(6);
    const vehicle = model.families['vehicle']!;
    const renamed = [...vehicle.inputs];
    renamed[2] = 'an_old_feature';
    const stale: ModelBundle = { ...model, families: { ...model.families, vehicle: { ...vehicle, inputs: renamed } } };
    await expect(Detector.create({ model: stale, rules: [] })).rejects.toThrow(/other vehicle features .*input 2 is an_old_feature/);
    const longer: ModelBundle = { ...model, families: { ...model.families, vehicle: { ...vehicle, inputs: [...vehicle.inputs, 'a_newer_feature'] } } };
    const d = await Detector.create({ model, rules: [] });
    expect(() => d.setModel(longer)).toThrow(/has \d+ inputs, this version computes/);
    expect(d.modelInfo?.hash).toBe(model.hash); // the old model still scores
  });

  it('an altered model file is refused', async () => {
    const model = await train(5);
    const dir = await mkdtemp(join(tmpdir(), 'vigil-model-'));
    dirs.push(dir);
    const path = await saveModel(dir, model);
    const text = await readFile(path, 'utf8');
    expect(text).toMatch(/"threshold":99/);
    await writeFile(path, text.replace(/"threshold":99/, '"threshold":50'));
    await expect(loadModel(dir)).rejects.toThrow(DetectorError);
    await expect(loadModel(dir)).rejects.toThrow(/altered/);
  });
});

describe('average precision (AUPRC)', () => {
  it('matches a hand-computed answer with tied scores', async () => {
    const { auprc, auroc } = await import('../detector/index.js');
    // Thresholds 0.9 (1 positive), 0.5 (tie: 1 positive, 1 negative), 0.1 (1 positive, 1 negative).
    const scores = [0.9, 0.5, 0.5, 0.1, 0.1];
    const labels = [1, 1, 0, 1, 0];
    // Recall steps of 1/3 at precisions 1, 2/3 and 3/5.
    expect(auprc(scores, labels)).toBeCloseTo((1 + 2 / 3 + 3 / 5) / 3, 12);
    expect(auprc([0.2, 0.8], [0, 0])).toBe(0);
    expect(auroc([0.1, 0.9], [0, 1])).toBe(1);
  });
});

describe('silence windows (scoreWindows)', () => {
  const w = (entity: string, start: number, end: number) => ({ entity, start, end });
  it('finds a window by an alert inside it or within the slack after it; other alerts are false', () => {
    const r = scoreWindows([w('a', 0, 60_000), w('b', 0, 60_000)], [{ entity: 'a', ts: 200_000 }, { entity: 'b', ts: 30_000 }, { entity: 'c', ts: 30_000 }], 1_000_000, 180_000);
    expect(r).toMatchObject({ windows: 2, detected: 2, falseAlerts: 1, censored: 0 });
    expect(r.precision).toBeCloseTo(2 / 3);
    const late = scoreWindows([w('a', 0, 60_000)], [{ entity: 'a', ts: 240_001 }], 1_000_000, 180_000);
    expect(late).toMatchObject({ detected: 0, falseAlerts: 1, recall: 0 });
  });
  it('leaves a window cut by the end of the data out, found or not, and does not call its alert false', () => {
    const missed = scoreWindows([w('a', 0, 60_000), w('b', 280_000, 300_000)], [{ entity: 'a', ts: 50_000 }], 300_000);
    expect(missed).toMatchObject({ windows: 1, detected: 1, censored: 1, censoredDetected: 0, recall: 1 });
    const found = scoreWindows([w('a', 0, 60_000), w('b', 250_000, 300_000)], [{ entity: 'a', ts: 50_000 }, { entity: 'b', ts: 290_000 }], 299_990);
    expect(found).toMatchObject({ windows: 1, detected: 1, censored: 1, censoredDetected: 1, falseAlerts: 0, precision: 1 });
  });
});
