import { describe, expect, it } from 'vitest';
import { incidentSeverity, resolveSeverityOptions, type SeverityEvidence } from '../detector/severity.js';
import { demoModel, distribution, runTraffic } from './severity-fixtures.js';

const opts = resolveSeverityOptions();
const base: SeverityEvidence = { level: 'high', score: 80, detectors: ['rule-a'], entity: { id: 'V-1', type: 'vehicle' }, trust: 0.9, flagged: false, alerts: 3, transient: false };
const sev = (e: Partial<SeverityEvidence>, o = opts) => incidentSeverity({ ...base, ...e }, o).severity;

describe('incident severity from the evidence', () => {
  it('counts agreeing rules as confidence: one rule low, two medium, three high', () => {
    expect(sev({})).toBe('low');
    expect(sev({ detectors: ['rule-a', 'rule-b'] })).toBe('medium');
    expect(sev({ detectors: ['rule-a', 'rule-b', 'rule-c'] })).toBe('high');
    // a rule of lower level needs more agreement; a critical one less
    expect(sev({ level: 'medium', detectors: ['rule-a', 'rule-b'] })).toBe('low');
    expect(sev({ level: 'critical' })).toBe('medium');
    // the outlier model and reputation are not independent of the rule that fired
    expect(sev({ detectors: ['model:vehicle'] })).toBe('low');
    expect(sev({ detectors: ['rule-a', 'model:vehicle', 'reputation:rogue'] })).toBe('low');
  });

  it('needs the entity flagged rogue for critical; the flag adds a step', () => {
    expect(sev({ detectors: ['rule-a', 'rule-b'], flagged: true })).toBe('high');
    expect(sev({ detectors: ['rule-a', 'rule-b', 'rule-c'], flagged: true })).toBe('critical');
    expect(sev({ detectors: ['a', 'b', 'c', 'd', 'e', 'f'] })).toBe('high');
    expect(sev({ detectors: ['rule-a'], flagged: true })).toBe('medium');
    // low trust without the flag is a new identity heard once (Beta prior), not a verdict
    expect(sev({ detectors: ['rule-a', 'rule-b'], trust: 0.33 })).toBe('medium');
    // flagged, but only the model speaks: nothing to corroborate
    expect(sev({ detectors: ['model:vehicle', 'reputation:rogue'], flagged: true })).toBe('low');
  });

  it('puts a transient identity (a Sybil ghost) and a single alert a step lower', () => {
    expect(sev({ detectors: ['rule-a', 'rule-b', 'rule-c'], transient: true })).toBe('medium');
    expect(sev({ detectors: ['rule-a', 'rule-b', 'rule-c', 'rule-d'], transient: true })).toBe('high');
    expect(sev({ detectors: ['rule-a', 'rule-b'], transient: true })).toBe('low');
    expect(sev({ level: 'critical', alerts: 1 })).toBe('low');
    expect(sev({ level: 'critical', alerts: 2 })).toBe('medium');
  });

  it('weighs weak scores and the asset last', () => {
    expect(sev({ detectors: ['rule-a', 'rule-b'], score: 20 })).toBe('low');
    expect(sev({ detectors: ['rule-a', 'rule-b'] }, resolveSeverityOptions({ byEntity: { 'V-1': 'critical' } }))).toBe('critical');
    expect(sev({ detectors: ['rule-a', 'rule-b'] }, resolveSeverityOptions({ byKind: { vehicle: 'high' } }))).toBe('high');
    expect(sev({ detectors: ['rule-a', 'rule-b'] }, resolveSeverityOptions({ byKind: { vehicle: 'high' }, byEntity: { 'V-1': 'low' } }))).toBe('low');
    const d = incidentSeverity({ ...base, detectors: ['a', 'b', 'c'], flagged: true, transient: true }, opts);
    expect(d.reasons.join('; ')).toMatch(/3 distinct rule\(s\).*flagged rogue.*transient identity/);
  });

  it('refuses options out of range, naming them', () => {
    expect(() => resolveSeverityOptions({ weakScore: 200 })).toThrow(/weakScore/);
    expect(() => resolveSeverityOptions({ byEntity: { X: 'huge' as never } })).toThrow(/criticality of X/);
  });
});

/**
 * Seeds 7 and 8 are the ones the table above was chosen on; 31 and 32 were not looked at
 * before the table was fixed, and hold it to the same targets.
 */
describe.each([
  { attackSeed: 7, quietSeed: 8, what: 'the seeds the table was chosen on' },
  { attackSeed: 31, quietSeed: 32, what: 'seeds not used to choose it' },
])("on the demo's traffic, $what (a model trained from attack-free traffic of another seed)", ({ attackSeed, quietSeed }) => {
  it('keeps high and critical under 30 % with attacks, spreads the rest, and an attack-free run low or medium', async () => {
    const model = await demoModel(30);
    const attack = await runTraffic(model, { seed: attackSeed, seconds: 120, attackRate: 0.05 });
    const quiet = await runTraffic(model, { seed: quietSeed, seconds: 120, attackRate: 0 });
    const a = distribution(attack.incidents);
    const q = distribution(quiet.incidents);
    const share = (d: Record<string, number>, n: number) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, `${v} (${((100 * v) / Math.max(1, n)).toFixed(1)} %)`]));
    console.log(`severity, attack rate 0.05, seed ${attackSeed}, 120 s, ${attack.events} events, ${attack.incidents.length} incidents:`, share(a, attack.incidents.length));
    console.log(`severity, attack-free, seed ${quietSeed}, 120 s, ${quiet.events} events, ${quiet.incidents.length} incidents:`, share(q, quiet.incidents.length));
    expect(attack.incidents.length).toBeGreaterThan(50);
    expect((a['high']! + a['critical']!) / attack.incidents.length).toBeLessThan(0.3);
    // the ranking still ranks: some incidents at high or above, not everything at one level
    expect(a['high']! + a['critical']!).toBeGreaterThan(0);
    expect(Object.values(a).filter((v) => v > 0).length).toBeGreaterThanOrEqual(3);
    // no single level holds the queue (it was 93 % medium before confidence was counted)
    for (const v of Object.values(a)) expect(v / attack.incidents.length).toBeLessThan(0.75);
    expect(q['high']! + q['critical']!).toBe(0);
    // a flagged rogue entity that several rules agree on ranks above a lone finding
    const rogue = attack.incidents.filter((i) => i.severityBasis?.reasons.some((r) => r.includes('flagged rogue')) && i.severityBasis.detectors.filter((d) => !d.includes(':')).length >= 2);
    expect(rogue.length).toBeGreaterThan(0);
    for (const i of rogue) expect(['high', 'critical']).toContain(i.severity);
  }, 600_000);
});
