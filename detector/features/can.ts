/**
 * CAN (SAE J1939) frame features per bus: timing of each arbitration id against its own
 * rhythm, how much the payload changed since that id's previous frame, the payload bytes,
 * and how many source addresses command the same parameter group at once (a rogue ECU
 * injecting TSC1 torque requests competes with the legitimate one). Whether an id was ever
 * seen in normal traffic is the model's job (its vocabulary, learnt in training).
 */
import type { VigilEvent } from '../../events/index.js';
import { RobustBaseline } from './robust.js';

export const CAN_FEATURES = [
  /** |log(interval / usual interval)| of this arbitration id. */
  'rhythm',
  /** Bits changed since this id's previous frame, / 64. */
  'bit_change',
  /** Distinct source addresses sending this PGN in the last second. */
  'pgn_sources',
  'dlc',
  'priority',
  'b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7',
] as const;

interface IdState {
  lastTs: number;
  data: string;
  interval: RobustBaseline;
}

export class CanFeatures {
  private readonly ids = new Map<string, IdState>();
  /** bus → pgn → source address → last ts */
  private readonly sources = new Map<string, Map<number, Map<number, number>>>();

  extract(event: VigilEvent, out: Float32Array, offset: number): void {
    for (let i = 0; i < CAN_FEATURES.length; i++) out[offset + i] = 0;
    const f = event.vigil.can;
    if (!f) return;
    const bus = event.vigil.entity.id;
    const ts = event.vigil.ts;
    const key = `${bus}/${f.id}`;
    let s = this.ids.get(key);
    if (!s) {
      s = { lastTs: -1, data: f.data, interval: new RobustBaseline(0.05) };
      this.ids.set(key, s);
    }
    if (s.lastTs >= 0) {
      const dt = Math.max(0, ts - s.lastTs);
      if (s.interval.n >= 3) out[offset] = Math.abs(Math.log((dt + 1) / (s.interval.center + 1)));
      s.interval.update(dt);
      out[offset + 1] = hamming(s.data, f.data) / 64;
    }
    s.lastTs = ts;
    s.data = f.data;
    if (f.pgn !== undefined && f.sa !== undefined) {
      let pgns = this.sources.get(bus);
      if (!pgns) this.sources.set(bus, (pgns = new Map()));
      let sas = pgns.get(f.pgn);
      if (!sas) pgns.set(f.pgn, (sas = new Map()));
      sas.set(f.sa, ts);
      let n = 0;
      for (const [sa, last] of sas) {
        if (ts - last <= 1000) n++;
        else if (ts - last > 10_000) sas.delete(sa);
      }
      out[offset + 2] = n;
    }
    out[offset + 3] = f.dlc;
    out[offset + 4] = f.priority ?? 0;
    for (let i = 0; i < 8; i++) {
      const byte = i * 2 < f.data.length ? Number.parseInt(f.data.slice(i * 2, i * 2 + 2), 16) : 0;
      out[offset + 5 + i] = byte / 255;
    }
  }
}

function hamming(a: string, b: string): number {
  let bits = 0;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i += 2) {
    let x = (Number.parseInt(a.slice(i, i + 2) || '0', 16) ^ Number.parseInt(b.slice(i, i + 2) || '0', 16)) & 0xff;
    while (x) {
      bits += x & 1;
      x >>= 1;
    }
  }
  return bits;
}
