/**
 * The demo's traffic through the real detector: a model trained from the simulator's
 * attack-free traffic (as `vigil start --demo` does) and the simulator's city, then a run
 * with or without attacks. Used to measure the incident severity distribution.
 */
import { describeNetwork, roadNetwork, simulate } from '../collectors/index.js';
import { Detector, MemoryIncidentBook, trainDemoModel, type Alert, type Incident, type ModelBundle } from '../detector/index.js';
import { parseJsonRecord, resolveValidationOptions, type VigilEvent } from '../events/index.js';
import { cityFromDescription } from '../pipeline/demo.js';

export interface TrafficRun {
  incidents: Incident[];
  alerts: Alert[];
  events: number;
}

const validation = resolveValidationOptions({ now: () => Number.MAX_SAFE_INTEGER / 2 });

function* batches(opts: { seed: number; vehicles: number; devices: number; duration: number; attackRate: number; start?: number }): Generator<VigilEvent[]> {
  for (const chunk of simulate(opts)) {
    const events: VigilEvent[] = [];
    for (const line of chunk.events) {
      const r = parseJsonRecord(line, validation);
      if (r.ok) events.push(r.event);
    }
    if (events.length > 0) yield events;
  }
}

export const demoCity = () => cityFromDescription(describeNetwork(roadNetwork()));

/** The demo's model, trained from attack-free traffic of another seed (labels never read). */
export async function demoModel(seconds = 40): Promise<ModelBundle> {
  return trainDemoModel(batches({ seed: 1, vehicles: 100, devices: 50, duration: seconds, attackRate: 0 }), { features: { city: demoCity() } });
}

/** Runs `seconds` of the demo's traffic (seed, attack rate) through a detector with `model`. */
export async function runTraffic(model: ModelBundle | null, o: { seed: number; seconds: number; attackRate: number; vehicles?: number; devices?: number }): Promise<TrafficRun> {
  const book = new MemoryIncidentBook();
  const d = await Detector.create({ model, city: demoCity(), incidents: book });
  const alerts: Alert[] = [];
  let events = 0;
  let last = 0;
  for (const b of batches({ seed: o.seed, vehicles: o.vehicles ?? 100, devices: o.devices ?? 50, duration: o.seconds, attackRate: o.attackRate, start: Date.parse('2026-03-02T00:00:00Z') })) {
    events += b.length;
    alerts.push(...d.process(b).alerts);
    const ts = b.at(-1)!.vigil.ts;
    if (ts - last >= 5_000) {
      alerts.push(...d.tick(ts).alerts);
      last = ts;
    }
  }
  return { incidents: book.all(), alerts, events };
}

/** Share of incidents per severity, in the order low, medium, high, critical. */
export function distribution(incidents: readonly Incident[]): Record<string, number> {
  const out: Record<string, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  for (const i of incidents) out[i.severity]!++;
  return out;
}
