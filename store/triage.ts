import type { Incident } from '../detector/index.js';
import type { IncidentTriage } from './types.js';

export function triageOf(i: Incident): IncidentTriage {
  return { status: i.status, assignee: i.assignee ?? null, resolution: i.resolution ?? null };
}

/** The incident with these triage fields (absent optional fields stay absent). */
export function withTriage(i: Incident, t: IncidentTriage): Incident {
  const { assignee: _a, resolution: _r, ...rest } = i;
  const out: Incident = { ...rest, status: t.status };
  if (t.assignee !== null) out.assignee = t.assignee;
  if (t.resolution !== null) out.resolution = t.resolution;
  return out;
}
