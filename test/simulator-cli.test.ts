import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil } from './vigil-cli.js';
import { parseJsonRecord, resolveValidationOptions } from '../events/index.js';
import { PROFILE_NAMES } from '../collectors/simulator/index.js';

const vigil = (args: string[], cwd: string) => runVigil(args, { cwd });

describe('vigil simulate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-simulate-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes an events file and a labels file with one label per event, and the city as JSON', async () => {
    const args = ['simulate', '--seed', '9', '--vehicles', '20', '--devices', '8', '--duration', '10', '--attack-rate', '0.1', '--out', 'e.ndjson', '--labels', 'l.ndjson', '--network', 'city.json'];
    const result = await vigil(args, dir);
    expect(result.stderr).toMatch(/wrote \d+ events/);
    expect(result.code).toBe(0);
    const events = (await readFile(join(dir, 'e.ndjson'), 'utf8')).trimEnd().split('\n');
    const labels = (await readFile(join(dir, 'l.ndjson'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; label: string });
    const perEvent = labels.filter((l) => !l.id.startsWith('silence:'));
    expect(perEvent).toHaveLength(events.length);
    const validation = resolveValidationOptions();
    events.forEach((line, i) => {
      const r = parseJsonRecord(line, validation);
      expect(r.ok && r.event.id).toBe(perEvent[i]?.id);
    });
    expect(labels.some((l) => l.label === 'attack')).toBe(true);
    const city = JSON.parse(await readFile(join(dir, 'city.json'), 'utf8')) as { type: string; features: Array<{ properties: { kind: string } }> };
    expect(city.type).toBe('FeatureCollection');
    const kinds = city.features.map((f) => f.properties.kind);
    expect(kinds.filter((k) => k === 'road').length).toBeGreaterThan(0);
    expect(kinds.filter((k) => k === 'rsu').length).toBeGreaterThan(0);
    expect(kinds.filter((k) => k === 'service_area')).toHaveLength(1);

    // The same command again: byte-identical files.
    const first = await readFile(join(dir, 'e.ndjson'));
    expect((await vigil(args, dir)).code).toBe(0);
    expect((await readFile(join(dir, 'e.ndjson'))).equals(first)).toBe(true);
  });

  it.each([
    ['--vehicles', '-3'],
    ['--attack-rate', '1.5'],
    ['--attacks', 'dos,meteor_strike'],
    ['--duration', 'soon'],
    ['--start', 'yesterday'],
    ['--seed', '1.5'],
  ])('exits non-zero with a one-line error naming %s when it is %s', async (option, value) => {
    const result = await vigil(['simulate', option, value, '--out', 'bad.ndjson', '--labels', 'bad-labels.ndjson'], dir);
    expect(result.code).not.toBe(0);
    const [first] = result.stderr.split('\n');
    expect(first).toMatch(/^error: /);
    expect(first).toContain(option);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits non-zero with one line when the output cannot be written', async () => {
    const result = await vigil(['simulate', '--duration', '1', '--out', join(dir, 'missing', 'e.ndjson'), '--labels', 'l2.ndjson'], dir);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/ENOENT|no such file/);
  });

  it('explains its options with --help', async () => {
    const result = await vigil(['simulate', '--help'], dir);
    expect(result.code).toBe(0);
    for (const option of ['--seed', '--vehicles', '--devices', '--duration', '--attack-rate', '--out', '--labels', '--start', '--profile', '--network']) {
      expect(result.stdout).toContain(option);
    }
    for (const profile of PROFILE_NAMES) expect(result.stdout.replace(/\s+/g, ' ')).toContain(profile);
    expect(result.stdout).toContain('random:N');
  });

  it('refuses an unknown profile, naming --profile', async () => {
    const result = await vigil(['simulate', '--profile', 'gotham', '--out', 'bad.ndjson', '--labels', 'bad-labels.ndjson'], dir);
    expect(result.code).not.toBe(0);
    expect(result.stderr.split('\n')[0]).toMatch(/^error: .*--profile.*dev-grid/);
  });

  it('writes the chosen profile\'s traffic and city file', async () => {
    const args = ['simulate', '--profile', 'dev-ring', '--seed', '2', '--vehicles', '15', '--devices', '3', '--duration', '5', '--out', 'ring.ndjson', '--labels', 'ring-labels.ndjson', '--network', 'ring.geojson', '--quiet'];
    const result = await vigil(args, dir);
    expect(result.code).toBe(0);
    const city = JSON.parse(await readFile(join(dir, 'ring.geojson'), 'utf8')) as { name: string; features: Array<{ geometry: { type: string; coordinates: unknown }; properties: { kind: string } }> };
    expect(city.name).toBe('dev-ring');
    const point = city.features.find((f) => f.properties.kind === 'rsu')?.geometry.coordinates as [number, number];
    // [lon, lat] around Moscow.
    expect(Math.abs(point[0] - 37.62)).toBeLessThan(0.1);
    expect(Math.abs(point[1] - 55.76)).toBeLessThan(0.1);
    const first = JSON.parse((await readFile(join(dir, 'ring.ndjson'), 'utf8')).split('\n')[0] as string) as { lat?: number; lon?: number };
    expect(Math.abs((first.lat ?? 0) - 55.76)).toBeLessThan(0.1);
  });
});
