/**
 * An incident's severity, from its evidence rather than from its loudest alert, in the
 * spirit of NIST SP 800-61r2 §3.2.6 (prioritise by impact and by how sure we are) and of
 * CVSS's environmental metrics (the asset's weight is applied last). Taking the highest alert
 * level made nearly every incident "high" (204 of 222 after 12 minutes of the demo); counting
 * only rules and the flag left 93 % "medium", since one Sybil flood makes hundreds of ghost
 * identities that all look alike to such a rule. Here the impact is the highest alert level
 * and the confidence is counted from independent evidence:
 *
 * | confidence | points |
 * |---|---|
 * | distinct rules that fired (rule ids; not the model, not reputation), counted up to 4 | +1 each |
 * | the entity flagged rogue (its trust stayed under the reputation book's `flagBelow` for `flagAfterMs`) and at least one rule | +1 |
 * | a transient identity: heard for less than the reputation's `flagAfterMs`, so its trust could not yet be judged (a glitch, or one ghost of a Sybil flood) | −1 |
 * | one finding: a single alert from at most one rule | −1 |
 *
 * severity = level (low 0, medium 1, high 2, critical 3) + confidence − 3, then −1 for a weak
 * finding (highest score < `weakScore`); at most "high" unless the entity is flagged (on the
 * evidence alone, critical needs the entity's own reputation to agree); then the asset's
 * criticality (per entity, else per entity kind: low −1, normal 0, high +1, critical +2),
 * clamped to low–critical.
 *
 * So for a rule at level high: one rule alone is "low", two agreeing rules "medium", three
 * "high"; a flagged entity that two rules agree on "high", three "critical"; a Sybil ghost
 * climbs one step later than an identity heard for longer; the outlier model alone stays
 * "low" (a fixed false-alarm rate by construction: at a city's volume it fires every minute).
 * Reputation and the model are not counted as rules: reputation sums the same findings over
 * time, and the model's outlier score is one more view of the same message. Trust alone is
 * not the flag: an identity heard once, with one bad message, has trust 1/3 by the Beta
 * estimate's prior and is a ghost or a glitch, not a distrusted vehicle.
 *
 * Measured on simulator traffic in test/severity.test.ts and in README.md ("Severity").
 * An incident's severity never drops as alerts join: evidence once seen stays evidence. Pure:
 * no clock, no state; `Detector` keeps the per-incident tally (`Incident.severityBasis`).
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
  /** Alerts joined to the incident so far. */
  alerts: number;
  /** Heard for less than the reputation's flag window: its trust could not yet be judged. */
  transient: boolean;
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

/** Distinct rules counted towards confidence: beyond four, more rules of the same plausibility family add little. */
const MAX_RULES_COUNTED = 4;

/** Severity of an incident from its evidence (see the table above). */
export function incidentSeverity(e: SeverityEvidence, options: ResolvedSeverityOptions): SeverityDecision {
  const reasons: string[] = [`highest alert level ${e.level}`];
  const rules = e.detectors.filter(isRuleDetector).length;
  let confidence = Math.min(rules, MAX_RULES_COUNTED);
  reasons.push(rules === 0 ? 'outlier model only, no rule (+0)' : `${rules} distinct rule(s) (+${confidence})`);
  if (e.flagged && rules > 0) {
    confidence += 1;
    reasons.push(`entity flagged rogue (trust ${e.trust.toFixed(2)}) (+1)`);
  } else if (e.flagged) reasons.push(`entity flagged rogue (trust ${e.trust.toFixed(2)}), but no rule agrees (+0)`);
  if (e.transient) {
    confidence -= 1;
    reasons.push('transient identity: heard too briefly for its reputation to judge (−1)');
  }
  if (e.alerts <= 1 && rules <= 1) {
    confidence -= 1;
    reasons.push('one finding: a single alert (−1)');
  }
  let points = SEVERITIES.indexOf(e.level) + confidence - 3;
  if (e.score < options.weakScore) {
    points -= 1;
    reasons.push(`weak: highest score ${e.score} < ${options.weakScore} (−1)`);
  }
  if (!e.flagged && points > 2) {
    points = 2;
    reasons.push('at most high: the entity is not flagged rogue');
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
