/** Hand-made events for the detector tests: tracks and devices with known answers. */
import { parseJsonRecord, resolveValidationOptions, type VigilEvent } from '../events/index.js';
import { seededRandom } from '../detector/index.js';

const opts = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });
export const T0 = 1_767_225_600_000;

export function ev(input: Record<string, unknown>): VigilEvent {
  const r = parseJsonRecord(JSON.stringify(input), opts);
  if (!r.ok) throw new Error(`fixture rejected: ${r.rejection.message}`);
  return r.event;
}

/** Metres north → degrees of latitude. */
export const M = 1 / 111_195;

/** A vehicle driving north at `speed` m/s, one message every `periodMs`. */
export function northTrack(vehicle: string, n: number, speed: number, periodMs = 100, opts2: { lat0?: number; lon?: number; t0?: number; rsu?: string; seq0?: number } = {}): VigilEvent[] {
  const lat0 = opts2.lat0 ?? 1.35;
  const out: VigilEvent[] = [];
  for (let i = 0; i < n; i++) {
    const t = (i * periodMs) / 1000;
    out.push(
      ev({
        kind: 'bsm',
        vehicle,
        ts: (opts2.t0 ?? T0) + i * periodMs,
        lat: lat0 + speed * t * M,
        lon: opts2.lon ?? 103.82,
        speed,
        heading: 0,
        accel: 0,
        seq: (opts2.seq0 ?? 0) + i,
        ...(opts2.rsu ? { rsu: opts2.rsu } : {}),
      }),
    );
  }
  return out;
}

export function miraiScan(device: string, n: number, t0 = T0, gapMs = 50): VigilEvent[] {
  return Array.from({ length: n }, (_, i) =>
    ev({ kind: 'net', device, ts: t0 + i * gapMs, src: '10.1.0.7', dst: `203.0.${(i >> 8) & 255}.${i & 255}`, dport: i % 10 === 0 ? 2323 : 23, proto: 'tcp', bytes: 60, packets: 1 }),
  );
}

export function telemetry(device: string, n: number, periodMs = 10_000, t0 = T0, value = (i: number) => 20 + Math.sin(i / 5)): VigilEvent[] {
  return Array.from({ length: n }, (_, i) => ev({ kind: 'telemetry', device, ts: t0 + i * periodMs, metrics: { temperature: Math.round(value(i) * 1000) / 1000 } }));
}

/** Seeded GPS-like noise: metres uniform in ±0.3 per call (a consumer receiver's error per axis). */
export function gpsNoise(seed: number): () => number {
  const random = seededRandom(seed);
  return () => (random() - 0.5) * 0.6;
}
