import { CitySimulator, toLocal } from './collectors/simulator/index.js';
const name = process.argv[2] ?? 'default';
const t0 = performance.now();
const sim = new CitySimulator({ seed: 1, profile: name, duration: undefined } as never);
const out = [...sim.advance(sim.time + 60_000), ...sim.finish()];
const ms = performance.now() - t0;
let n = 0, sx = 0, sxx = 0; const byV = new Map<string, number[]>();
const types = new Map<string, number>();
for (const o of out) {
  if (o.type !== 'event') continue;
  if (o.attack) types.set(o.attack, (types.get(o.attack) ?? 0) + 1);
  if (!o.truth || o.attack) continue;
  const e = JSON.parse(o.line);
  const p = toLocal(sim.network, e.lat, e.lon);
  const dx = p.x - o.truth.x, dy = p.y - o.truth.y;
  n++; sxx += dx * dx + dy * dy;
  const arr = byV.get(e.vehicle) ?? []; arr.push(dx); byV.set(e.vehicle, arr);
}
let num = 0, den = 0;
for (const a of byV.values()) { for (let i = 1; i < a.length; i++) { num += a[i]! * a[i - 1]!; } for (const x of a) den += x * x; }
console.log(name, 'events', out.length, 'ms', ms.toFixed(0), 'honest bsm', n, 'rms per axis', Math.sqrt(sxx / (2 * n)).toFixed(3), 'lag1 x', (num / den).toFixed(3), 'rsus', sim.network.rsus.length, 'roads', sim.network.roads.length, 'lost', sim.counts.lostOutOfRange, sim.counts.lostPacketLoss);
console.log([...types].map(([k, v]) => `${k}:${v}`).join(' '));
