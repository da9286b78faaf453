/**
 * What the detector produces. `store/` persists these types and `api/` serves them, so
 * they change only with care.
 */
import type { EntityType } from '../events/index.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** What raised an alert: a rule (Sigma detection or correlation) or the outlier model. */
export type AlertOrigin =
  | { type: 'rule'; id: string; title: string; /** hex SHA-256 of the rule's source */ hash: string }
  | { type: 'model'; id: string; /** hex SHA-256 of the saved model (weights, normalisation, threshold) */ hash: string }
  | { type: 'reputation'; id: string; hash: string };

export interface Alert {
  /** Stable id: hex SHA-256 of the canonical encoding of the alert without id and incidentId. */
  id: string;
  /** Epoch milliseconds: the time of the last evidence event. */
  ts: number;
  entity: { id: string; type: EntityType };
  severity: Severity;
  /** 0–100, calibrated against the training distribution (model) or set by the rule. */
  score: number;
  title: string;
  description: string;
  origin: AlertOrigin;
  /** MITRE ATT&CK (and ATT&CK for ICS) technique ids and tactic tags, as in Sigma `tags`. */
  tags: string[];
  /** Ids of the events that are its evidence (at most `evidenceLimit`). */
  evidence: string[];
  /** Present when the evidence was capped: nothing is lost silently. */
  evidenceTruncated?: { total: number; kept: number };
  /** Attack type the detector believes it is (`dos`, `sybil`, `mirai_scan`, …), when it can tell. */
  category?: string;
  /** The roadside unit that received the message the alert fired on (its `observer.name`, BSM `rsu`), when one did. */
  rsu?: string;
  incidentId?: string;
  /**
   * Alerts of the same origin on the same entity that were folded into this one in an alert
   * storm (pipeline/alert-fold.ts). Like `incidentId`, not covered by `id`: each folded
   * alert keeps its own deterministic id and its own ledger entry.
   */
  folded?: AlertFold;
}

export interface AlertFold {
  /** Alerts folded in, this one not counted. */
  count: number;
  /** Epoch milliseconds of the last one folded in. */
  lastTs: number;
  /** Their ids, the newest `kept`; `truncated` says how many there were. */
  alertIds: string[];
  /** Their evidence event ids not already in `evidence`, the newest kept. */
  evidence: string[];
  /** Present when a list was capped: nothing is lost silently (the ledger holds every folded alert). */
  truncated?: { alertIds: number; evidence: number; kept: number };
}

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';
export type Resolution = 'true_positive' | 'false_positive' | 'benign' | 'duplicate';

export interface Incident {
  id: string;
  entity: { id: string; type: EntityType };
  title: string;
  status: IncidentStatus;
  /** From the evidence of its alerts, the entity's reputation and the asset's criticality (detector/severity.ts); never drops as alerts join. */
  severity: Severity;
  /** What the severity was computed from, and why (detector/severity.ts); absent on incidents stored before it existed. */
  severityBasis?: { level: Severity; score: number; detectors: string[]; reasons: string[] };
  /** Epoch milliseconds. */
  firstSeen: number;
  lastSeen: number;
  alertCount: number;
  /** The alert ids, at most `alertLimit`; `alertsTruncated` says when more were joined. */
  alertIds: string[];
  alertsTruncated?: { total: number; kept: number };
  /** Distinct `category` values of its alerts. */
  categories: string[];
  /**
   * The roadside unit that received most of its alerting messages (ties: the one heard
   * first), the place the authority sends a patrol to; absent when no alerting message came
   * through a roadside unit.
   */
  rsu?: string;
  /** Each roadside unit that received an alerting message and how many, in the order first heard (at most 16). */
  rsus?: Array<{ id: string; alerts: number }>;
  assignee?: string;
  resolution?: { reason: Resolution; comment?: string; by: string; at: number };
}

export interface ReputationPoint {
  entity: { id: string; type: EntityType };
  /** Epoch milliseconds. */
  ts: number;
  /** Trust in [0, 1]. */
  value: number;
  /** Flagged rogue: the value stayed under the threshold. */
  flagged: boolean;
}
