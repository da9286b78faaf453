/**
 * Incidents: alerts on one entity within a window join one incident. Analysts change an
 * incident's status through the API, so the detector does not own incidents: it asks an
 * `IncidentBook` (a port; the store implements it in the pipeline, `MemoryIncidentBook`
 * is the default) for the incident that is still collecting alerts for an entity.
 *
 * An incident collects alerts while it is `open` or `acknowledged` and its last alert is
 * within `windowMs`. Once an analyst resolves it, `openIncidentFor` no longer returns it,
 * so the entity's next alert opens a new incident — a resolved case is never reopened
 * silently under the analyst's decision.
 */
import type { Incident, IncidentStatus, Resolution } from './types.js';

export interface IncidentBook {
  /** The incident collecting alerts for `entityId` at `ts`: not resolved, last seen within `windowMs`. */
  openIncidentFor(entityId: string, ts: number, windowMs: number): Incident | undefined;
  /** Stores a new or changed incident (the detector calls this after every change). */
  save(incident: Incident): void;
}

export class MemoryIncidentBook implements IncidentBook {
  private readonly byId = new Map<string, Incident>();
  private readonly latest = new Map<string, string>();

  openIncidentFor(entityId: string, ts: number, windowMs: number): Incident | undefined {
    const id = this.latest.get(entityId);
    const inc = id === undefined ? undefined : this.byId.get(id);
    if (!inc || inc.status === 'resolved' || ts - inc.lastSeen > windowMs) return undefined;
    return inc;
  }

  save(incident: Incident): void {
    this.byId.set(incident.id, incident);
    this.latest.set(incident.entity.id, incident.id);
  }

  get(id: string): Incident | undefined {
    return this.byId.get(id);
  }

  all(): Incident[] {
    return [...this.byId.values()];
  }

  /** What the API does when an analyst acts on an incident. */
  setStatus(id: string, status: IncidentStatus, resolution?: { reason: Resolution; by: string; at: number; comment?: string }): void {
    const inc = this.byId.get(id);
    if (!inc) return;
    inc.status = status;
    if (resolution) inc.resolution = resolution;
  }
}
