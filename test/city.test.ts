import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cityMapFromFile, RoadIndex, ServiceArea } from '../detector/index.js';
import { EventError, importOsm, parseCityFile, parseMaxspeed, parseJsonRecord, resolveValidationOptions } from '../events/index.js';
import { repoRoot, tempDir, vigilBin } from './helpers.js';

const FIXTURE = join(repoRoot, 'test', 'fixtures', 'city-small.osm');

function vigil(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [vigilBin, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const feature = (properties: Record<string, unknown>, geometry: Record<string, unknown>) => ({ type: 'Feature', properties, geometry });
const collection = (...features: unknown[]) => JSON.stringify({ type: 'FeatureCollection', name: 'test', features });
const road = (id: string, coordinates: unknown) => feature({ kind: 'road', id, speed_limit: 13.9 }, { type: 'LineString', coordinates });

describe('vigil city import of an OpenStreetMap extract', () => {
  const tmp = tempDir('vigil-city-');
  afterAll(() => tmp.cleanup());

  it('keeps the drivable highways with their speed limits in m/s and names', async () => {
    const { city, stats } = await importOsm(createReadStream(FIXTURE, { encoding: 'utf8' }) as AsyncIterable<string>, 'fixture');
    const byId = new Map(city.roads.map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual(['way/100', 'way/101', 'way/102', 'way/103']);
    expect(byId.get('way/100')).toMatchObject({ name: 'George & King Street', lanes: 2, speedLimit: 13.889 });
    expect(byId.get('way/101')!.speedLimit).toBeCloseTo(30 * 0.44704, 3);
    // oneway=-1: the line runs against the way's node order.
    expect(byId.get('way/101')).toMatchObject({ oneway: true });
    expect(byId.get('way/101')!.lines[0]![0]).toEqual([151.205, -33.861]);
    expect(byId.get('way/102')!.speedLimit).toBeUndefined();
    expect(byId.get('way/103')!.lines[0]).toHaveLength(2);
    expect(stats).toMatchObject({ missingNodes: 1, unparsedMaxspeed: 1, badNodes: 1 });
  });

  it('writes a city file the detector reads back through the CLI', async () => {
    const out = join(tmp.dir, 'city.geojson');
    const r = await vigil(['city', 'import', FIXTURE, '--out', out, '--name', 'Fixture']);
    expect(r.stderr).toMatch(/4 roads \(2 with a speed limit\)/);
    expect(r.code).toBe(0);
    const file = parseCityFile(await readFile(out, 'utf8'));
    expect(file.name).toBe('Fixture');
    const map = cityMapFromFile(file);
    const index = RoadIndex.fromCity(map)!;
    // On George Street (way 100), 50 km/h; 100 m north of it nothing is near within 50 m.
    expect(index.speedLimit(-33.869, 151.203)).toBeCloseTo(50 / 3.6, 2);
    expect(index.speedLimit(-33.8681, 151.203)).toBeUndefined();
    expect(index.distance(-33.8681, 151.203)).toBeGreaterThan(90);
  });

  it('refuses malformed XML with where it broke, and a DOCTYPE', async () => {
    await expect(importOsm(['<osm><node id="1" lat="1" lon="2"></osm>'])).rejects.toThrow(/OSM XML: .*\d+:\d+/);
    await expect(importOsm(['<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY a "aaaa">]><osm/>'])).rejects.toThrow(/DOCTYPE/);
    const r = await vigil(['city', 'import', join(tmp.dir, 'missing.osm'), '--out', join(tmp.dir, 'x.geojson')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/does not exist/);
  });

  it('reads maxspeed in km/h, mph and knots, and leaves zone codes out', () => {
    expect(parseMaxspeed('50')).toBeCloseTo(13.889, 3);
    expect(parseMaxspeed('50 km/h')).toBeCloseTo(13.889, 3);
    expect(parseMaxspeed('30 mph')).toBeCloseTo(13.411, 3);
    expect(parseMaxspeed('RU:urban')).toBeUndefined();
    expect(parseMaxspeed('none')).toBeUndefined();
    expect(parseMaxspeed('50;30')).toBeUndefined();
  });
});

describe('the GeoJSON city file parser', () => {
  it('reads roads, roadside units and the service area', () => {
    const text = collection(
      road('R-1', [[10, 50], [10.01, 50]]),
      feature({ kind: 'rsu', id: 'RSU-1', range_m: 300 }, { type: 'Point', coordinates: [10.005, 50] }),
      feature({ kind: 'service_area' }, { type: 'Polygon', coordinates: [[[9.99, 49.99], [10.02, 49.99], [10.02, 50.01], [9.99, 50.01], [9.99, 49.99]]] }),
      feature({ kind: 'bus_stop' }, { type: 'Point', coordinates: [10, 50] }),
    );
    const file = parseCityFile(text);
    expect(file.roads).toHaveLength(1);
    expect(file.warnings[0]).toMatch(/bus_stop/);
    const map = cityMapFromFile(file);
    expect(map.rsus!['RSU-1']).toEqual({ lat: 50, lon: 10.005, rangeM: 300 });
    expect(map.speedLimits).toEqual([13.9]);
    const area = new ServiceArea(map.area!);
    expect(area.contains(50, 10.005)).toBe(true);
    expect(area.contains(50.02, 10.005)).toBe(false);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['a latitude out of range', road('R-7', [[10, 50], [10, 91]]), /feature 1 \(id "R-7"\): latitude/],
    ['a one-point road', road('R-7', [[10, 50]]), /feature 1 \(id "R-7"\): LineString: expected at least 2 positions/],
    ['a speed limit in km/h', feature({ kind: 'road', id: 'R-7', speed_limit: 120 }, { type: 'LineString', coordinates: [[10, 50], [10.1, 50]] }), /feature 1 \(id "R-7"\): "speed_limit" must be m\/s/],
    ['a roadside unit without range', feature({ kind: 'rsu', id: 'RSU-9' }, { type: 'Point', coordinates: [10, 50] }), /feature 1 \(id "RSU-9"\): "range_m"/],
    ['an open polygon', feature({ kind: 'service_area' }, { type: 'Polygon', coordinates: [[[10, 50], [11, 50], [11, 51], [10, 51]]] }), /feature 1: a Polygon ring must end where it starts/],
    ['a feature without geometry', { type: 'Feature', properties: { kind: 'road', id: 'R-7' } }, /feature 1 \(id "R-7"\): expected a "geometry"/],
  ];
  for (const [what, f, message] of bad) {
    it(`refuses ${what}, naming the feature`, () => {
      const text = collection(road('R-0', [[10, 50], [10.01, 50]]), f);
      expect(() => parseCityFile(text)).toThrow(EventError);
      expect(() => parseCityFile(text)).toThrow(message);
    });
  }

  it('refuses what is not a FeatureCollection', () => {
    expect(() => parseCityFile('{"roads":[]}')).toThrow(/FeatureCollection/);
    expect(() => parseCityFile('{')).toThrow(/not JSON/);
  });
});

describe('the BSM accuracy fields and heading 360', () => {
  const opts = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });
  const base = { kind: 'bsm', vehicle: 'V-1', ts: 1_767_225_600_000, lat: 1.35, lon: 103.8, speed: 10, heading: 90 };
  // An ISO timestamp takes the schema's path; epoch milliseconds the hand-written fast path.
  const both = (extra: Record<string, unknown>) => [
    parseJsonRecord(JSON.stringify({ ...base, ...extra }), opts),
    parseJsonRecord(JSON.stringify({ ...base, ...extra, ts: new Date(base.ts).toISOString() }), opts),
  ];

  it('keeps pos_accuracy and heading_accuracy on both paths, identically', () => {
    const [fast, slow] = both({ pos_accuracy: 2.5, heading_accuracy: 4 });
    for (const r of [fast, slow]) {
      expect(r!.ok).toBe(true);
      if (r!.ok) expect(r!.event.vigil.vehicle).toMatchObject({ pos_accuracy: 2.5, heading_accuracy: 4 });
    }
    expect(fast!.ok && slow!.ok && fast!.event.id === slow!.event.id).toBe(true);
  });

  for (const [field, value] of [['pos_accuracy', 0], ['pos_accuracy', 1001], ['pos_accuracy', -1], ['heading_accuracy', 181], ['heading_accuracy', '3']] as const) {
    it(`rejects ${field} ${JSON.stringify(value)}`, () => {
      for (const r of both({ [field]: value })) {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(['OUT_OF_RANGE', 'WRONG_TYPE']).toContain(r.rejection.code);
      }
    });
  }

  it('accepts heading 360 as 0 (the same event as 0) and rejects 360.5', () => {
    const [fast, slow] = both({ heading: 360 });
    const [zero] = both({ heading: 0 });
    for (const r of [fast, slow]) {
      expect(r!.ok).toBe(true);
      if (r!.ok) expect(r!.event.vigil.vehicle!.heading).toBe(0);
    }
    expect(fast!.ok && zero!.ok && fast!.event.id === zero!.event.id).toBe(true);
    for (const r of both({ heading: 360.5 })) expect(r.ok).toBe(false);
  });
});
