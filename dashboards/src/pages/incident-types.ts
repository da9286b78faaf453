/** What the incident page reads (its GraphQL query's shape). */
import type { ActionRecord, IncidentSummary, Kinematics, Resolution, Severity } from '../api.js';

export interface EvidenceEvent {
  id: string;
  timestamp: string;
  kind: string;
  action: string;
  message: string | null;
  source: string;
  vehicle: Kinematics | null;
  metrics: unknown;
  /** The normalised (ECS) event, for the fields the summary line shows. */
  document: Record<string, unknown> | null;
}

export interface AlertDetail {
  id: string;
  timestamp: string;
  severity: Severity;
  score: number;
  title: string;
  description: string;
  category: string | null;
  tags: string[];
  origin: { type: string; id: string; title: string | null };
  evidenceIds: string[];
  evidenceTruncated: { total: number; kept: number } | null;
  evidence: EvidenceEvent[];
}

export interface IncidentDetail extends IncidentSummary {
  resolution: { reason: Resolution; comment: string | null; by: string; at: string } | null;
  alertsTruncated: { total: number; kept: number } | null;
  severityReasons: string[];
  alerts: { totalCount: number; edges: { node: AlertDetail }[] };
  history: ActionRecord[];
}

