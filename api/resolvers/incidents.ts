/** Incidents and their triage: each step is a ledger entry first, then a versioned store update. */
import { filter, pipe } from 'graphql-yoga';
import { StoreError, triageOf, type ActionRecord, type AlertQuery, type Incident, type IncidentTriage, type StoredIncident } from '../../store/index.js';
import { requirePermission } from '../auth.js';
import { ApiError } from '../errors.js';
import type { Resolvers } from '../generated/schema-types.js';
import { connection, incidentQuery, orNull, pageRequest } from './args.js';
import { comment, text, type ApiContext, type IncidentChange, type Kit } from './context.js';

export function incidentResolvers(kit: Kit): Resolvers {
  const { store, limits, now, pubsub } = kit;

  async function triage(ctx: ApiContext, id: string, action: string, change: (cur: Incident) => IncidentTriage, note?: string): Promise<{ incident: StoredIncident; action: ActionRecord }> {
    requirePermission(ctx.principal, 'triage');
    return kit.serialised(`incident:${id}`, async () => {
      const cur = await store.getIncident(id);
      if (!cur) throw new ApiError('NOT_FOUND', `no incident ${id}`);
      const before = triageOf(cur.incident);
      const after = change(cur.incident);
      const rec = await kit.recordToLedger(ctx, action, { type: 'incident', id }, before, after, note);
      let version = cur.version;
      let incident: StoredIncident;
      for (let attempt = 0; ; attempt++) {
        try {
          incident = await store.updateIncidentTriage(id, version, after, rec);
          break;
        } catch (err) {
          // The detector updated the incident (alerts, times) since we read it. It never
          // touches triage fields, so the recorded before/after still hold: apply again.
          if (!(err instanceof StoreError && err.code === 'CONFLICT') || attempt >= 3) throw err;
          const now = await store.getIncident(id);
          if (!now || JSON.stringify(triageOf(now.incident)) !== JSON.stringify(before)) throw err;
          version = now.version;
        }
      }
      pubsub.publish('incident', { incident, action: rec });
      return { incident, action: rec };
    });
  }

  return {
    Query: {
      incident: (_, a) => orNull(store.getIncident(a.id)),
      incidents: async (_, a) => {
        const q = incidentQuery(a.filter, a.sort);
        return connection(await store.searchIncidents(q, pageRequest(a, limits)), () => store.countIncidentsMatching(q));
      },
    },

    Mutation: {
      acknowledgeIncident: (_, a, ctx) =>
        triage(ctx, a.id, 'incident.acknowledge', (i) => {
          notResolved(i, 'acknowledge');
          if (i.status === 'acknowledged') throw new ApiError('BAD_INPUT', `incident ${i.id} is already acknowledged`);
          return { ...triageOf(i), status: 'acknowledged' };
        }, comment(a.comment)),
      assignIncident: (_, a, ctx) => {
        const assignee = text('assignee', a.assignee, 100);
        return triage(ctx, a.id, 'incident.assign', (i) => {
          notResolved(i, 'assign');
          return { ...triageOf(i), assignee };
        }, comment(a.comment));
      },
      commentIncident: (_, a, ctx) => {
        const note = comment(a.comment);
        if (!note) throw new ApiError('BAD_INPUT', 'comment: must not be empty');
        return triage(ctx, a.id, 'incident.comment', (i) => triageOf(i), note);
      },
      resolveIncident: (_, a, ctx) => {
        const note = comment(a.comment);
        return triage(ctx, a.id, 'incident.resolve', (i) => {
          if (i.status === 'resolved') throw new ApiError('BAD_INPUT', `incident ${i.id} is already resolved`);
          const resolution: NonNullable<IncidentTriage['resolution']> = { reason: a.reason, by: ctx.principal.name, at: now() };
          if (note) resolution.comment = note;
          return { ...triageOf(i), status: 'resolved', resolution };
        }, note);
      },
      reopenIncident: (_, a, ctx) =>
        triage(ctx, a.id, 'incident.reopen', (i) => {
          if (i.status !== 'resolved') throw new ApiError('BAD_INPUT', `incident ${i.id} is not resolved`);
          return { ...triageOf(i), status: 'open', resolution: null };
        }, comment(a.comment)),
    },

    Subscription: {
      incidentChanged: {
        subscribe: (_, a) => {
          const id = a.id ?? undefined;
          return pipe(
            pubsub.subscribe('incident'),
            filter((c: IncidentChange) => id === undefined || c.incident.incident.id === id),
          );
        },
        resolve: (change: IncidentChange) => change,
      },
    },

    Incident: {
      id: (p) => p.incident.id,
      entity: (p) => p.incident.entity,
      title: (p) => p.incident.title,
      status: (p) => p.incident.status,
      severity: (p) => p.incident.severity,
      firstSeen: (p) => p.incident.firstSeen,
      lastSeen: (p) => p.incident.lastSeen,
      alertCount: (p) => p.incident.alertCount,
      alertsTruncated: (p) => p.incident.alertsTruncated ?? null,
      categories: (p) => p.incident.categories,
      rules: (p) => p.incident.severityBasis?.detectors ?? [],
      rsu: (p) => p.incident.rsu ?? null,
      rsus: (p) => p.incident.rsus ?? [],
      assignee: (p) => p.incident.assignee ?? null,
      resolution: (p) => p.incident.resolution ?? null,
      alerts: async (p, a) => {
        const q: AlertQuery = { incidentId: p.incident.id };
        return connection(await store.searchAlerts(q, pageRequest(a, limits)), () => store.countAlertsMatching(q));
      },
      history: (p) => store.actionsFor({ type: 'incident', id: p.incident.id }),
    },

    IncidentResolution: {
      comment: (p) => p.comment ?? null,
    },
  };
}

function notResolved(i: Incident, verb: string): void {
  if (i.status === 'resolved') throw new ApiError('BAD_INPUT', `incident ${i.id} is resolved; reopen it before you ${verb} it`);
}
