/** Events, alerts and dead letters: what came in, what the detector raised, and what was refused. */
import { filter, pipe } from 'graphql-yoga';
import type { Alert, Severity, StoredEvent } from '../../store/index.js';
import type { Resolvers } from '../generated/schema-types.js';
import { pageSize } from '../limits.js';
import { alertQuery, connection, eventQuery, orNull, pageRequest, range } from './args.js';
import type { Kit } from './context.js';

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function eventResolvers(kit: Kit): Resolvers {
  const { store, limits, pubsub } = kit;
  return {
    Query: {
      event: (_, a) => orNull(store.getEvent(a.id)),
      events: async (_, a) => {
        const q = eventQuery(a.filter, a.direction);
        const page = await store.searchEvents(q, pageRequest(a, limits));
        return connection(page, () => store.countEventsMatching(q));
      },
      alert: (_, a) => orNull(store.getAlert(a.id)),
      alerts: async (_, a) => {
        const q = alertQuery(a.filter, a.sort);
        return connection(await store.searchAlerts(q, pageRequest(a, limits)), () => store.countAlertsMatching(q));
      },
      deadLetters: async (_, a) => {
        const f = a.filter ?? {};
        const q = { time: range(f.time), ...(f.code ? { code: f.code } : {}), ...(f.source ? { source: f.source } : {}) };
        return connection(await store.searchDeadLetters(q, pageRequest(a, limits)), () => 0);
      },
    },

    Subscription: {
      alertRaised: {
        subscribe: (_, a) => {
          const min = a.minSeverity ?? undefined;
          const entityId = a.entity ?? undefined;
          return pipe(
            pubsub.subscribe('alert'),
            filter((alert: Alert) => (min === undefined || SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[min]) && (entityId === undefined || alert.entity.id === entityId)),
          );
        },
        resolve: (alert: Alert) => alert,
      },
    },

    Event: {
      id: (p) => p.event.id,
      timestamp: (p) => p.event.vigil.ts,
      kind: (p) => p.event.vigil.kind,
      entity: (p) => p.event.vigil.entity,
      action: (p) => p.event.event.action,
      message: (p) => p.event.message ?? null,
      vehicle: (p) => p.event.vigil.vehicle ?? null,
      metrics: (p) => p.event.vigil.metrics ?? null,
      document: (p) => p.event,
    },

    Alert: {
      timestamp: (p) => p.ts,
      category: (p) => p.category ?? null,
      evidenceIds: (p) => p.evidence,
      evidenceTruncated: (p) => p.evidenceTruncated ?? null,
      origin: (p) => ({ ...p.origin, title: p.origin.type === 'rule' ? p.origin.title : null }),
      evidence: async (p, a) => {
        const n = pageSize(a.first, limits);
        const out: StoredEvent[] = [];
        for (const id of p.evidence.slice(0, n)) {
          const e = await store.getEvent(id);
          if (e) out.push(e);
        }
        return out;
      },
      incident: (p) => (p.incidentId ? orNull(store.getIncident(p.incidentId)) : null),
    },

    DeadLetter: {
      raw: (p) => p.raw.toString('utf8'),
      rawBase64: (p) => p.raw.toString('base64'),
    },
  };
}
