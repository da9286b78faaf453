/**
 * An incident's roadside unit: the one that received most of its alerting messages, the
 * first heard on a tie; every unit is listed with its count, and an incident whose messages
 * came through no unit has none.
 */
import { describe, expect, it } from 'vitest';
import { Detector, MemoryIncidentBook, type Incident } from '../detector/index.js';
import { ev, M, northTrack } from './detector-fixtures.js';

/** A vehicle teleporting every message; `rsuOf(i)` names the unit that received message i (undefined: none). */
async function teleporting(id: string, rsuOf: (i: number) => string | undefined): Promise<{ incident: Incident; alerting: Map<string, number> }> {
  const d = await Detector.create({ model: null, incidents: new MemoryIncidentBook() });
  const events = northTrack(id, 60, 12, 100, { lon: 103.83 }).map((e, i) => {
    const rsu = rsuOf(i);
    return ev({ kind: 'bsm', vehicle: id, ts: e.vigil.ts, lat: 1.35 + ((i * 7919) % 2000) * M, lon: 103.83, speed: 12, heading: 0, seq: i, ...(rsu ? { rsu } : {}) });
  });
  const out = d.process(events);
  const rsuById = new Map(events.map((e) => [e.id, e.observer?.name]));
  // What the detector alerted on, counted per unit from the messages themselves.
  const alerting = new Map<string, number>();
  for (const a of out.alerts) {
    const unit = a.rsu;
    expect(unit).toBe(rsuById.get(a.evidence.at(-1)!) ?? undefined);
    if (unit) alerting.set(unit, (alerting.get(unit) ?? 0) + 1);
  }
  expect(out.incidents).toHaveLength(1);
  return { incident: out.incidents[0]!, alerting };
}

describe("an incident's roadside unit", () => {
  it('is the unit that received most of its alerting messages, each unit listed with its count', async () => {
    // RSU-N hears one message in four, RSU-S the rest.
    const { incident, alerting } = await teleporting('V-RSU1', (i) => (i % 4 === 0 ? 'RSU-N' : 'RSU-S'));
    expect(alerting.get('RSU-S')!).toBeGreaterThan(alerting.get('RSU-N') ?? 0);
    expect(incident.rsu).toBe('RSU-S');
    expect(Object.fromEntries(incident.rsus!.map((r) => [r.id, r.alerts]))).toEqual(Object.fromEntries(alerting));
  });

  it('is absent when no alerting message came through a unit', async () => {
    const { incident } = await teleporting('V-RSU2', () => undefined);
    expect(incident.rsu).toBeUndefined();
    expect(incident.rsus).toBeUndefined();
  });

  it('on a tie, is the unit heard first (held to a naive reference over several reception patterns)', async () => {
    let ties = 0;
    const patterns: Array<(i: number) => string> = [(i) => (i % 2 === 0 ? 'RSU-E' : 'RSU-W'), (i) => (i % 2 === 1 ? 'RSU-E' : 'RSU-W'), (i) => ['RSU-A', 'RSU-B', 'RSU-C'][i % 3]!, (i) => (i < 30 ? 'RSU-E' : 'RSU-W')];
    for (const [n, pattern] of patterns.entries()) {
      const { incident, alerting } = await teleporting(`V-TIE${n}`, pattern);
      // Map keeps insertion order: the first alert through each unit.
      const top = Math.max(...alerting.values());
      const leaders = [...alerting].filter(([, c]) => c === top).map(([u]) => u);
      if (leaders.length > 1) ties++;
      expect(incident.rsu).toBe(leaders[0]);
      expect(incident.rsus!.map((r) => r.id)).toEqual([...alerting.keys()]);
    }
    expect(ties).toBeGreaterThan(0);
  });
});
