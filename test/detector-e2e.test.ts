import { describe, expect, it } from 'vitest';
import { Detector, MemoryIncidentBook } from '../detector/index.js';
import { ev, M, miraiScan, northTrack, T0, telemetry } from './detector-fixtures.js';

describe('end to end: a rogue vehicle and a Mirai-style device', () => {
  it('each raise an incident; resolved incidents stop collecting alerts', async () => {
    const incidents = new MemoryIncidentBook();
    const d = await Detector.create({ model: null, incidents, limits: { evidenceLimit: 10 } });
    const honest = northTrack('V-OK', 100, 12);
    // The rogue vehicle teleports: a random position offset every message.
    const rogue = northTrack('V-BAD', 100, 12, 100, { lon: 103.83 }).map((e, i) =>
      ev({ kind: 'bsm', vehicle: 'V-BAD', ts: e.vigil.ts, lat: 1.35 + ((i * 7919) % 2000) * M, lon: 103.83, speed: 12, heading: 0, seq: i }),
    );
    const events = [...honest, ...rogue, ...miraiScan('D-CAM', 60, T0), ...telemetry('D-OK', 10)].sort((a, b) => a.vigil.ts - b.vigil.ts);
    const out = d.process(events);
    const byEntity = new Map(out.incidents.map((i) => [i.entity.id, i]));
    expect([...byEntity.keys()].sort()).toEqual(['D-CAM', 'V-BAD']);
    expect(byEntity.get('D-CAM')!.categories).toContain('mirai_scan');
    expect(byEntity.get('V-BAD')!.categories).toContain('position_falsification');
    expect(d.reputation.get('V-BAD')!.flagged).toBe(true);
    expect(d.reputation.get('V-OK')!.flagged).toBe(false);
    // the per-probe rule (telnet to a public address) names every probe; the correlation the 20 in its window
    const probes = out.alerts.find((a) => a.category === 'mirai_scan' && a.title === 'Telnet to a public address from a device')!;
    expect(probes.evidenceTruncated).toEqual({ total: 60, kept: 10 });
    const scan = out.alerts.find((a) => a.category === 'mirai_scan' && a.title === 'Mirai-style telnet scanning')!;
    expect(scan.origin.type).toBe('rule');
    expect(scan.tags).toContain('attack.t1046');
    expect(scan.evidence.length).toBe(10);
    expect(scan.evidenceTruncated).toEqual({ total: 20, kept: 10 });
    expect(scan.incidentId).toBe(byEntity.get('D-CAM')!.id);

    // an analyst resolves the device's incident: the next scan opens a new one
    incidents.setStatus(byEntity.get('D-CAM')!.id, 'resolved', { reason: 'true_positive', by: 'analyst', at: T0 });
    const again = d.process(miraiScan('D-CAM', 40, T0 + 400_000));
    expect(again.incidents).toHaveLength(1);
    expect(again.incidents[0]!.id).not.toBe(byEntity.get('D-CAM')!.id);
  });

  it('a device gone silent raises an alert from tick', async () => {
    const d = await Detector.create({ model: null });
    d.process(telemetry('D-S', 10, 10_000));
    expect(d.tick(T0 + 9 * 10_000 + 20_000).alerts).toEqual([]);
    const alerts = d.tick(T0 + 9 * 10_000 + 45_000).alerts;
    expect(alerts.map((a) => [a.entity.id, a.category])).toEqual([['D-S', 'silent_device']]);
  });
});
