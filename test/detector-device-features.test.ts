/**
 * The device extractors (detector/features/device/) held to the rows the single-file
 * extractor they were split from computed on the same traffic: 2,777 simulator events and 6 of a device whose metrics change
 * (seed 7, 12 devices, 900 s, every IoT attack at rate 0.3), every feature of every row
 * equal as float32 bits. The fixture was computed by detector/features/device.ts at commit
 * aa11e9f; regenerate it only for a deliberate change of a feature.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FeatureExtractor, FEATURE_NAMES, type Family } from '../detector/index.js';
import { parseJsonRecord, resolveValidationOptions } from '../events/index.js';

const dir = new URL('./fixtures/device-features/', import.meta.url);
const lines = gunzipSync(readFileSync(new URL('events.ndjson.gz', dir))).toString('utf8').trim().split('\n');
const fixture = JSON.parse(gunzipSync(readFileSync(new URL('rows.json.gz', dir))).toString('utf8')) as { batch: number; rows: Record<string, string> };
const expected = (family: string): Float32Array => {
  const b = Buffer.from(fixture.rows[family]!, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

function extract(batchSize: number): Record<string, Float32Array> {
  const opts = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });
  const events = lines.map((l) => parseJsonRecord(l, opts)).flatMap((r) => (r.ok ? [r.event] : []));
  expect(events.length).toBe(lines.length);
  const fx = new FeatureExtractor();
  const parts: Record<string, Float32Array[]> = {};
  for (let i = 0; i < events.length; i += batchSize) for (const b of fx.batch(events.slice(i, i + batchSize))) (parts[b.family] ??= []).push(b.rows);
  const out: Record<string, Float32Array> = {};
  for (const [f, p] of Object.entries(parts)) {
    out[f] = new Float32Array(p.reduce((n, a) => n + a.length, 0));
    p.reduce((at, a) => (out[f]!.set(a, at), at + a.length), 0);
  }
  return out;
}

/** The first differing value as "row r, feature name: got x, expected y". */
function firstDifference(family: Family, got: Float32Array, want: Float32Array): string | undefined {
  const names = FEATURE_NAMES[family];
  const gb = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const wb = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (gb[i] !== wb[i]) return `row ${Math.floor(i / names.length)}, ${names[i % names.length]}: got ${got[i]}, expected ${want[i]}`;
  }
  return undefined;
}

describe('the device features, split by check family', () => {
  const rows = extract(fixture.batch);

  for (const family of ['telemetry', 'net', 'auth'] as const) {
    it(`computes every ${family} row exactly as the extractor they were split from`, () => {
      const want = expected(family);
      expect(rows[family]!.length).toBe(want.length);
      expect(firstDifference(family, rows[family]!, want)).toBeUndefined();
    });
  }

  it('the fixture exercises the features: each is non-zero on some row', () => {
    const silent: string[] = [];
    for (const family of ['telemetry', 'net', 'auth'] as const) {
      const names = FEATURE_NAMES[family];
      const r = rows[family]!;
      names.forEach((name, j) => {
        let any = false;
        for (let i = j; i < r.length && !any; i += names.length) any = r[i] !== 0;
        if (!any) silent.push(`${family}.${name}`);
      });
    }
    expect(silent).toEqual([]);
  });

  it('gives the same rows whatever the batch size (state carries across batches)', () => {
    const ones = extract(97);
    for (const family of ['telemetry', 'net', 'auth'] as const) expect(firstDifference(family, ones[family]!, rows[family]!)).toBeUndefined();
  });
});
