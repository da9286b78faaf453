/** Shared fixtures of the simulator tests: a run's messages with their ground truth. */
import { CitySimulator, toLocal, type AttackType, type Kinematics, type SimulatorOptions } from '../collectors/simulator/index.js';

export interface Bsm {
  kind: 'bsm';
  vehicle: string;
  ts: number;
  lat: number;
  lon: number;
  speed: number;
  heading: number;
  accel: number;
  seq: number;
  rsu: string;
  pos_accuracy?: number;
  heading_accuracy?: number;
}

export interface Message {
  bsm: Bsm;
  /** Position in the city's local metres. */
  x: number;
  y: number;
  attack: AttackType | undefined;
  truth: Kinematics | undefined;
  /** Position in arrival order among all outputs. */
  index: number;
}

export interface SimRun {
  sim: CitySimulator;
  /** BSMs in arrival order. */
  bsms: Message[];
  lines: string[];
}

/** Run the simulator directly (not through `simulate`) to keep each message's ground truth. */
export function runSim(options: SimulatorOptions, seconds: number): SimRun {
  const sim = new CitySimulator(options);
  const outputs = [...sim.advance(sim.time + seconds * 1000), ...sim.finish()];
  const bsms: Message[] = [];
  const lines: string[] = [];
  outputs.forEach((o, index) => {
    if (o.type !== 'event') return;
    lines.push(o.line);
    const e = JSON.parse(o.line) as Bsm;
    if (e.kind !== 'bsm') return;
    const p = toLocal(sim.network, e.lat, e.lon);
    bsms.push({ bsm: e, x: p.x, y: p.y, attack: o.attack, truth: o.truth, index });
  });
  return { sim, bsms, lines };
}

export function byVehicle(messages: readonly Message[]): Map<string, Message[]> {
  const out = new Map<string, Message[]>();
  for (const m of messages) {
    const list = out.get(m.bsm.vehicle) ?? [];
    list.push(m);
    out.set(m.bsm.vehicle, list);
  }
  return out;
}

/** Signed smallest difference of two headings, degrees. */
export function headingDiff(a: number, b: number): number {
  return ((a - b + 540) % 360) - 180;
}

/** Lag-1 autocorrelation of a vehicle's consecutive position errors (east axis), pooled over vehicles. */
export function lag1(tracks: Iterable<Message[]>, maxGapMs: number): number {
  let num = 0;
  let den = 0;
  for (const track of tracks) {
    for (let i = 1; i < track.length; i++) {
      const a = track[i - 1] as Message;
      const b = track[i] as Message;
      if (!a.truth || !b.truth || b.bsm.ts - a.bsm.ts > maxGapMs) continue;
      num += (a.x - a.truth.x) * (b.x - b.truth.x);
      den += ((a.x - a.truth.x) ** 2 + (b.x - b.truth.x) ** 2) / 2;
    }
  }
  return num / den;
}

/** The data fields of a BSM, as a key: equal for a copy of the same message. */
export function dataKey(b: Bsm): string {
  return `${b.lat},${b.lon},${b.speed},${b.heading},${b.accel}`;
}
