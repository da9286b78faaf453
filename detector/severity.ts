/**
 * An incident's severity, from its evidence rather than from its loudest alert. Taking the
 * highest alert level made nearly every incident "high" (one range or replay hit is
 * enough: 204 of 222 after 12 minutes of the demo), so severity ranked nothing. Here a
 * finding stays a step below its own level until two independent kinds of evidence back it
 * up: a second rule, and the entity's own reputation (flagged rogue: its trust stayed under
 * the reputation book's `flagBelow` for `flagAfterMs`, so its traffic as a whole is distrusted),
 * in the spirit of NIST SP 800-61r2 §3.2.6 (prioritise by impact and by how sure we are) and
 * of CVSS's environmental metrics (the asset's weight is applied last):
 *
 * | evidence | points |
 * |---|---|
 * | the highest alert level (rule `level`; the model's own grading; the rogue alert) | low 0, medium 1, high 2, critical 3 |
 * | always | −1 |
 * | no rule at all, only the outlier model (a fixed false-alarm rate by construction: at a city's volume it fires every minute) | −1 |
 * | two or more distinct rules **and** the entity flagged rogue | +1 |
 * | three or more distinct rules and the entity flagged rogue | +1 |
 * | a weak finding: highest score < `weakScore` | −1 |
 * | asset criticality (per entity, else per entity kind): low −1, normal 0, high +1, critical +2 | |
 *
 * Reputation and the model are not counted as "rules": reputation sums the same findings
 * over time, and the model's outlier score is one more view of the same message, so neither
 * is independent of a rule that fired on it. Trust alone is not the flag: an identity heard
 * once, with one bad message, has trust 1/3 by the Beta estimate's prior and is a ghost or a
 * glitch, not a distrusted vehicle. A replay or range finding on an entity whose
 * traffic is otherwise honest (a replayed victim identity, or a false alarm) lands at
 * medium; a distrusted entity that several rules agree on at high or critical.
 *
 * The points, clamped to 0–3, are the severity (low, medium, high, critical). An incident's
 * severity never drops as alerts join: evidence once seen stays evidence. Pure: no clock,
 * no state; `Detector` keeps the per-incident tally (`Incident.severityBasis`).
 */
import { SEVERITIES, type Severity } from './types.js';
import type { EntityType } from '../events/index.js';

export type Criticality = 'low' | 'normal' | 'high' | 'critical';

export interface SeverityOptions {
  /** Criticality of an entity kind when the entity has none of its own. @default { vehicle: 'normal', device: 'normal', host: 'normal' } */
  byKind?: Partial<Record<EntityType, Criticality>>;
  /** Criticality of named assets (a traffic-light controller, the city's SCADA gateway). @default {} */
  byEntity?: Record<string, Criticality>;
  /** A finding whose highest score (0–100) is under this is weak. @default 50 */
  weakScore?: number;
}

export type ResolvedSeverityOptions = Required<SeverityOptions> & { byKind: Record<EntityType, Criticality> };

export function resolveSeverityOptions(o: SeverityOptions = {}): ResolvedSeverityOptions {
  const byKind: Record<EntityType, Criticality> = { vehicle: 'normal', device: 'normal', host: 'normal', ...o.byKind };
  const r = { byKind, byEntity: { ...o.byEntity }, weakScore: o.weakScore ?? 50 };
  if (!(r.weakScore >= 0 && r.weakScore <= 100)) throw new RangeError(`severity.weakScore: expected 0–100, got ${String(o.weakScore)}`);
  for (const [k, v] of Object.entries({ ...r.byKind, ...r.byEntity })) {
    if (!(v in CRITICALITY_POINTS)) throw new RangeError(`severity criticality of ${k}: expected low, normal, high or critical, got ${String(v)}`);
  }
  return r;
}

/** What the detector has seen of one incident so far. */
export interface SeverityTally {
  /** Highest alert level. */
  level: Severity;
  /** Highest alert score, 0–100. */
  score: number;
  /** Distinct detectors that raised its alerts (rule ids, `model:<family>`, `reputation:rogue`). */
  detectors: string[];
}

export interface SeverityEvidence extends SeverityTally {
  entity: { id: string; type: EntityType };
  /** The entity's trust 0–1 now (NaN when unknown), shown in the reasons. */
  trust: number;
  /** Flagged rogue by the reputation book now. */
  flagged: boolean;
}

export interface SeverityDecision {
  severity: Severity;
  points: number;
  /** One phrase per contribution, for the analyst ("why is this high?"). */
  reasons: string[];
}

const CRITICALITY_POINTS: Record<Criticality, number> = { low: -1, normal: 0, high: 1, critical: 2 };

/** Rule findings, as opposed to the model's outlier score and the reputation summary. */
export function isRuleDetector(id: string): boolean {
  return !id.startsWith('model:') && !id.startsWith('reputation:');
}

/** Severity of an incident from its evidence (see the table above). */
export function incidentSeverity(e: SeverityEvidence, options: ResolvedSeverityOptions): SeverityDecision {
  const reasons: string[] = [`highest alert level ${e.level}`];
  let points = SEVERITIES.indexOf(e.level) - 1;
  const rules = e.detectors.filter(isRuleDetector).length;
  const distrusted = e.flagged;
  if (rules === 0) {
    points -= 1;
    reasons.push('outlier model only, no rule (−2)');
  } else if (rules >= 2 && distrusted) {
    points += rules >= 3 ? 2 : 1;
    reasons.push(`${rules} rules agree on a flagged entity (${rules >= 3 ? '+1' : '±0'})`);
  } else reasons.push(`${rules} rule(s)${distrusted ? '' : ' on an entity not flagged'}, not corroborated (−1)`);
  if (distrusted) reasons.push(`entity flagged rogue (trust ${e.trust.toFixed(2)})`);
  if (e.score < options.weakScore) {
    points -= 1;
    reasons.push(`weak: highest score ${e.score} < ${options.weakScore} (−1)`);
  }
  const crit = options.byEntity[e.entity.id] ?? options.byKind[e.entity.type];
  if (crit !== 'normal') {
    points += CRITICALITY_POINTS[crit];
    reasons.push(`${crit}-criticality asset (${CRITICALITY_POINTS[crit] > 0 ? '+' : ''}${CRITICALITY_POINTS[crit]})`);
  }
  const clamped = Math.max(0, Math.min(3, points));
  return { severity: SEVERITIES[clamped]!, points, reasons };
}

/** Folds one more alert into a tally (a new tally when `tally` is undefined). */
export function tallyAlert(tally: SeverityTally | undefined, alert: { severity: Severity; score: number; origin: { id: string } }): SeverityTally {
  const t = tally ?? { level: alert.severity, score: alert.score, detectors: [] };
  if (SEVERITIES.indexOf(alert.severity) > SEVERITIES.indexOf(t.level)) t.level = alert.severity;
  t.score = Math.max(t.score, alert.score);
  if (!t.detectors.includes(alert.origin.id) && t.detectors.length < 32) t.detectors.push(alert.origin.id);
  return t;
}
