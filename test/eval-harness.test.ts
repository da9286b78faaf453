import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CityLearner, Detector, LearntCityIndex, PlausibilityBaseline, readLabels, saveModel, seededRandom, trainDetectorModel, type ModelBundle } from '../detector/index.js';
import type { VigilEvent } from '../events/index.js';
import { ev, M, northTrack, T0 } from './detector-fixtures.js';
import { tempDir, vigilBin } from './helpers.js';

function vigil(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [vigilBin, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** An honest vehicle driving north at 12 m/s with Gaussian position noise of `sigma` metres per axis. */
function noisyTrack(vehicle: string, n: number, sigma: number, periodMs: number, seed: number, withAccuracy: boolean): VigilEvent[] {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: n }, (_, i) =>
    ev({
      kind: 'bsm',
      vehicle,
      ts: T0 + i * periodMs,
      lat: 1.35 + (12 * ((i * periodMs) / 1000) + sigma * gauss()) * M,
      lon: 103.82 + sigma * gauss() * M,
      speed: Math.max(0, 12 + 0.2 * gauss()),
      heading: 0,
      seq: i,
      ...(withAccuracy ? { pos_accuracy: sigma } : {}),
    }),
  );
}

const flagged = (events: VigilEvent[]) => {
  const b = new PlausibilityBaseline();
  return events.map((e) => b.check(e) ?? []);
};

describe('the plausibility baseline', () => {
  it('passes honest tracks at 0.3 m and at 5 m GNSS noise, with and without pos_accuracy', () => {
    for (const [sigma, acc] of [[0.3, false], [5, true], [4, false]] as const) {
      const f = flagged(noisyTrack('V-1', 300, sigma, 100, 7, acc));
      expect(f.filter((x) => x.length > 0)).toEqual([]);
    }
  });

  it('flags a teleport against the reported speed', () => {
    const track = northTrack('V-2', 40, 12);
    track[30] = ev({ kind: 'bsm', vehicle: 'V-2', ts: T0 + 3_000, lat: 1.35 + 500 * M, lon: 103.82, speed: 12, heading: 0, seq: 30 });
    const f = flagged(track);
    expect(f[30]).toContain('position');
    expect(f.slice(0, 30).flat()).toEqual([]);
  });

  it('flags a vehicle sending faster than J2945/1 allows', () => {
    const f = flagged(northTrack('V-3', 60, 12, 40));
    expect(f.slice(0, 15).flat()).toEqual([]);
    expect(f.slice(20).every((x) => x.includes('rate'))).toBe(true);
  });

  it('flags an exact kinematic state sent again under another identity (replay)', () => {
    const honest = northTrack('V-4', 20, 12);
    const v = honest[5]!.vigil.vehicle!;
    const replay = ev({ kind: 'bsm', vehicle: 'V-99', ts: T0 + 1_950, lat: v.lat, lon: v.lon, speed: v.speed, heading: v.heading, seq: 1 });
    const f = flagged([...honest, replay]);
    expect(f.at(-1)).toContain('repeat');
  });

  it('flags a speed beyond a road vehicle and an acceleration beyond tyre friction', () => {
    const f = flagged([ev({ kind: 'bsm', vehicle: 'V-5', ts: T0, lat: 1.35, lon: 103.82, speed: 90, heading: 0, accel: 15 })]);
    expect(f[0]).toEqual(expect.arrayContaining(['speed', 'accel']));
  });
});

describe('the learnt city', () => {
  // Five vehicles up and down one street 2 km long, and one liar alone far east.
  const street = (vehicle: string, t0: number) => northTrack(vehicle, 1_600, 12.5, 100, { t0, lon: 103.82 });
  const traffic = () => [...street('V-1', T0), ...street('V-2', T0 + 5_000), ...street('V-3', T0 + 10_000), ...street('V-4', T0 + 20_000)].sort((a, b) => a.vigil.ts - b.vigil.ts);
  const liar = northTrack('V-LIAR', 200, 12.5, 100, { lon: 103.9 });

  it('marks a position far from all traffic, and a lone liar does not make its place part of the city', () => {
    const learner = new CityLearner();
    learner.add(traffic());
    learner.add(liar);
    const city = new LearntCityIndex(learner.finish()!);
    expect(city.offTrafficM(1.35 + 1_000 * M, 103.82)).toBeLessThan(40);
    expect(city.area.contains(1.35 + 1_000 * M, 103.82)).toBe(true);
    expect(city.area.contains(1.35 + 1_000 * M, 103.9)).toBe(false);
    expect(city.offTrafficM(1.35 + 1_000 * M, 103.9)).toBe(500);
    expect(city.speedsAt(1.35 + 1_000 * M, 103.82)?.median).toBeCloseTo(12.5, 1);
  });

  it('is not learnt from training traffic that did not cover the city, and says why', () => {
    // Identities split in two halves by their hash's parity (V-1, V-3, … and V-2, V-4, …):
    // both halves drive street A, but street B only the first half and street C only the
    // second, so each half's vehicles drive where none of the other half did.
    const on = (vehicle: string, lon: number, t0: number) => northTrack(vehicle, 800, 12.5, 100, { t0, lon });
    const learner = new CityLearner();
    learner.add([...on('V-1', 103.82, T0), ...on('V-2', 103.82, T0 + 3_000), ...on('V-3', 103.82, T0 + 6_000), ...on('V-4', 103.82, T0 + 9_000)].sort((a, b) => a.vigil.ts - b.vigil.ts));
    learner.add([...on('V-5', 103.87, T0), ...on('V-7', 103.87, T0 + 4_000), ...on('V-6', 103.92, T0), ...on('V-8', 103.92, T0 + 4_000)].sort((a, b) => a.vigil.ts - b.vigil.ts));
    expect(learner.finish()).toBeUndefined();
    expect(learner.reason).toMatch(/did not cover the city/);
    // the same streets driven by both halves: covered, learnt
    const both = new CityLearner();
    const a = ['V-1', 'V-2', 'V-3', 'V-4'].flatMap((v, i) => on(v, 103.82, T0 + i * 3_000));
    const b = ['V-5', 'V-6', 'V-7', 'V-8'].flatMap((v, i) => on(v, 103.87, T0 + i * 3_000));
    both.add([...a, ...b].sort((x, y) => x.vigil.ts - y.vigil.ts));
    expect(both.finish()).toBeDefined();
    expect(both.reason).toBeUndefined();
  });

  describe('in the detector, when no map is given', () => {
    let bundle: ModelBundle;
    beforeAll(async () => {
      bundle = await trainDetectorModel([traffic()], { epochs: 1, maxRows: 2_000, backend: 'cpu' });
    }, 120_000);

    it('is kept in the bundle; a position off it raises an alert, and the log says which checks run', async () => {
      expect(bundle.city?.cells.length).toBeGreaterThan(0);
      const lines: string[] = [];
      const detector = await Detector.create({ model: bundle, rules: [], logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m) } });
      expect(lines.join('\n')).toMatch(/checked against the city learnt in training/);
      const away = northTrack('V-GHOST', 30, 12.5, 100, { t0: T0 + 200_000, lon: 103.95 });
      const out = detector.process(away);
      expect(out.alerts.some((a) => a.origin.id === 'city:learnt')).toBe(true);
      expect(out.scores[0]).toBe(100);
      const onStreet = (await Detector.create({ model: bundle, rules: [] })).process(northTrack('V-9', 30, 12.5, 100, { t0: T0 + 200_000 }));
      expect(onStreet.alerts.filter((a) => a.origin.id === 'city:learnt')).toEqual([]);
      const off: string[] = [];
      await Detector.create({ model: bundle, rules: [], learntCity: false, logger: { info: (m) => off.push(m), warn: (m) => off.push(m) } });
      expect(off.join('\n')).toMatch(/checks are off/);
    });
  });
});

describe('vigil eval as a tool', () => {
  const tmp = tempDir('vigil-eval-');
  let events: VigilEvent[];
  beforeAll(async () => {
    events = [...northTrack('V-1', 400, 12), ...northTrack('V-2', 400, 10, 100, { lon: 103.8201 })].sort((a, b) => a.vigil.ts - b.vigil.ts);
    const bundle = await trainDetectorModel([events], { epochs: 1, maxRows: 2_000, backend: 'cpu' });
    await saveModel(join(tmp.dir, 'model'), bundle);
    const lift = (e: VigilEvent) => JSON.stringify({ kind: 'bsm', vehicle: e.vigil.entity.id, ts: e.vigil.ts, ...e.vigil.vehicle });
    await writeFile(join(tmp.dir, 'events.ndjson'), `${events.map(lift).join('\n')}\n`);
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('refuses a labels file that matches no event, with a non-zero exit', async () => {
    await writeFile(join(tmp.dir, 'wrong.ndjson'), `${JSON.stringify({ id: 'f'.repeat(64), label: 'normal' })}\n`);
    const r = await vigil(['eval', '--data-dir', tmp.dir, '--events', join(tmp.dir, 'events.ndjson'), '--labels', join(tmp.dir, 'wrong.ndjson'), '--json']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no label matches any of the 800 events/);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('writes one scores line per scored event with its decision and label', async () => {
    const labels = events.map((e, i) => JSON.stringify(i % 2 === 0 ? { id: e.id, label: 'normal' } : { id: e.id, label: 'attack', attack: 'normal' }));
    await writeFile(join(tmp.dir, 'labels.ndjson'), `${labels.join('\n')}\n`);
    const out = join(tmp.dir, 'scores.ndjson');
    const r = await vigil(['eval', '--data-dir', tmp.dir, '--events', join(tmp.dir, 'events.ndjson'), '--labels', join(tmp.dir, 'labels.ndjson'), '--scores-out', out, '--json']);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const rows = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(800);
    expect(new Set(rows.map((x) => x.id))).toEqual(new Set(events.map((e) => e.id)));
    for (const x of rows) {
      expect(Object.keys(x).sort()).toEqual(['attack', 'decision', 'family', 'id', 'label', 'score']);
      expect(x.decision === 'alert').toBe((x.score as number) >= 99);
      expect(x.label).toBe('normal');
    }
    // "attack":"normal" is normal: the report has no attacks at all.
    expect((JSON.parse(r.stdout) as { overall: { attacks: number; normals: number } }).overall).toMatchObject({ attacks: 0, normals: 800 });
  }, 60_000);

  it('reads a label line that is not a label as an error naming its line', async () => {
    await expect(readLabels(['{"id":"a","label":"normal"}', '{"id":"b","label":"maybe"}'], 'l.ndjson')).rejects.toThrow(/l\.ndjson:2/);
  });
});
