/**
 * Resolvers. Reads are open to every role; each mutation first checks the caller's
 * permission, then writes an `action` entry to the ledger (who, what, when, before, after)
 * and only then changes the store, so no change is ever visible without its trace.
 */
import { randomUUID } from 'node:crypto';
import type { PubSub } from 'graphql-yoga';
import { filter, pipe } from 'graphql-yoga';
import type { InputKind, EntityType } from '../events/index.js';
import {
  StoreError,
  triageOf,
  type ActionRecord,
  type AlertQuery,
  type EntityFlag,
  type EntitySummary,
  type EventQuery,
  type IncidentQuery,
  type IncidentTriage,
  type Page,
  type Store,
  type StoredEvent,
  type StoredIncident,
  type TimeRange,
  type TokenRepository,
  type TokenRecord,
  type DeadLetterRecord,
  type Alert,
  type Incident,
  type Resolution,
  type Severity,
} from '../store/index.js';
import { createToken, parseLifetime, requirePermission, revokeToken, type Principal } from './auth.js';
import { heavy } from './heavy.js';
import { ApiError } from './errors.js';
import { pageSize, type Limits } from './limits.js';
import type { AuditLog, EvidenceBundleView, RuleAdmin, RuleItem, RuleItemKind } from './ports.js';
import { JsonScalar, TimestampScalar } from './scalars.js';

export interface ApiContext {
  principal: Principal;
  /** Fires when the operation's wall-clock budget runs out (guards.ts). */
  signal?: AbortSignal;
}

/** What subscribers receive. */
export interface PubSubTopics {
  [key: string]: [unknown];
  alert: [Alert];
  incident: [{ incident: StoredIncident; action: ActionRecord | null }];
}

export interface ResolverDeps {
  store: Store;
  tokens: TokenRepository;
  audit: AuditLog | undefined;
  rules: RuleAdmin | undefined;
  limits: Limits;
  now: () => number;
  pubsub: PubSub<PubSubTopics>;
}

interface EntityParent {
  id: string;
  type: EntityType;
  summary: EntitySummary | undefined;
}

type Args = Record<string, unknown>;
const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function createResolvers(deps: ResolverDeps) {
  const { store, limits, now, pubsub } = deps;
  const locks = new Map<string, Promise<unknown>>();

  /** Mutations of one target run one at a time: read, ledger, write must not interleave. */
  function serialised<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(key, tail);
    void tail.then(() => {
      if (locks.get(key) === tail) locks.delete(key);
    });
    return run;
  }

  function audit(): AuditLog {
    // Refusing is safer than changing state with no trace: the audit trail is the point.
    if (!deps.audit) throw new ApiError('UNAVAILABLE', 'no ledger is configured on this node, so actions cannot be recorded');
    return deps.audit;
  }

  async function recordToLedger(ctx: ApiContext, action: string, target: ActionRecord['target'], before: unknown, after: unknown, comment?: string | null): Promise<ActionRecord> {
    const rec: ActionRecord = { id: randomUUID(), ts: now(), actor: ctx.principal.name, role: ctx.principal.role, action, target, before: before ?? null, after: after ?? null };
    if (comment) rec.comment = comment;
    const { ledgerIndex: _omit, ...body } = rec;
    const receipt = await audit().appendAction({ ts: rec.ts, body: { ...body, tokenId: ctx.principal.tokenId } });
    rec.ledgerIndex = receipt.index;
    return rec;
  }

  function comment(value: unknown): string | undefined {
    if (value === undefined || value === null) return undefined;
    const s = String(value);
    if (s.length > 4000) throw new ApiError('BAD_INPUT', `comment: at most 4000 characters, got ${s.length}`);
    return s;
  }

  function text(name: string, value: unknown, max = 200): string {
    const s = String(value ?? '').trim();
    if (s === '' || s.length > max) throw new ApiError('BAD_INPUT', `${name}: expected 1 to ${max} characters`);
    return s;
  }

  async function triage(
    ctx: ApiContext,
    id: string,
    action: string,
    change: (cur: Incident) => IncidentTriage,
    note?: string,
  ): Promise<{ incident: StoredIncident; action: ActionRecord }> {
    requirePermission(ctx.principal, 'triage');
    return serialised(`incident:${id}`, async () => {
      const cur = await store.getIncident(id);
      if (!cur) throw new ApiError('NOT_FOUND', `no incident ${id}`);
      const before = triageOf(cur.incident);
      const after = change(cur.incident);
      const rec = await recordToLedger(ctx, action, { type: 'incident', id }, before, after, note);
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

  function notResolved(i: Incident, verb: string): void {
    if (i.status === 'resolved') throw new ApiError('BAD_INPUT', `incident ${i.id} is resolved; reopen it before you ${verb} it`);
  }

  async function entityFlag(ctx: ApiContext, id: string, flagged: boolean, reason: string) {
    requirePermission(ctx.principal, 'vehicles');
    return serialised(`vehicle:${id}`, async () => {
      const before = (await store.getEntity(id, 'vehicle'))?.flag ?? null;
      const flag: EntityFlag = { flagged, reason, by: ctx.principal.name, at: now() };
      const rec = await recordToLedger(ctx, flagged ? 'vehicle.flag' : 'vehicle.clear', { type: 'vehicle', id }, before, flag);
      const summary = await store.setEntityFlag(id, 'vehicle', flag, rec);
      return { vehicle: { id, type: 'vehicle', summary } satisfies EntityParent, action: rec };
    });
  }

  function rules(ctx: ApiContext): RuleAdmin {
    requirePermission(ctx.principal, 'rules');
    if (!deps.rules) throw new ApiError('UNAVAILABLE', 'no rule book is configured on this node');
    return deps.rules;
  }

  async function ruleChange(ctx: ApiContext, kind: RuleItemKind, action: string, fn: (r: RuleAdmin) => Promise<{ before: RuleItem | null; after: RuleItem }>) {
    const admin = rules(ctx);
    return serialised(`rules`, async () => {
      // The rule book assigns ids and validates the rule, so it changes first; the action
      // is in the ledger before the mutation reports success.
      const { before, after } = await fn(admin);
      const rec = await recordToLedger(ctx, action, { type: 'rule', id: `${kind}:${after.id}` }, before, after);
      await store.recordAction(rec);
      return { item: after, action: rec };
    });
  }

  const entityResolvers = {
    reputation: (p: EntityParent) => p.summary?.reputation ?? null,
    detectorFlagged: (p: EntityParent) => p.summary?.detectorFlagged ?? false,
    flag: (p: EntityParent) => p.summary?.flag ?? null,
    flagged: (p: EntityParent) => (p.summary?.detectorFlagged ?? false) || (p.summary?.flag?.flagged ?? false),
    lastSeen: (p: EntityParent) => p.summary?.lastSeen ?? null,
    alertCount: (p: EntityParent) => p.summary?.alertCount ?? 0,
    reputationHistory: (p: EntityParent, a: Args) => {
      const limit = Number(a['limit'] ?? 500);
      if (!Number.isInteger(limit) || limit < 0 || limit > 10_000) throw new ApiError('BAD_INPUT', 'limit: expected 0 to 10000');
      return store.reputationHistory(p.id, range(a['time']), limit);
    },
    recentAlerts: async (p: EntityParent, a: Args) =>
      (await store.searchAlerts({ entity: p.id, entityType: p.type }, { first: pageSize(a['first'] as number, limits, 10) })).edges.map((e) => e.node),
    recentEvents: async (p: EntityParent, a: Args) =>
      (await store.searchEvents({ entity: p.id }, { first: pageSize(a['first'] as number, limits, 10) })).edges.map((e) => e.node),
    history: (p: EntityParent) => store.actionsFor({ type: p.type === 'vehicle' ? 'vehicle' : 'device', id: p.id }),
  };

  async function entity(id: string, type: EntityType): Promise<EntityParent> {
    return { id, type, summary: await store.getEntity(id, type) };
  }

  return {
    Timestamp: TimestampScalar,
    JSON: JsonScalar,
    Role: { ANALYST: 'analyst', AUTHORITY: 'authority', AUDITOR: 'auditor', ADMIN: 'admin' },
    Severity: { LOW: 'low', MEDIUM: 'medium', HIGH: 'high', CRITICAL: 'critical' },
    IncidentStatus: { OPEN: 'open', ACKNOWLEDGED: 'acknowledged', RESOLVED: 'resolved' },
    Resolution: { TRUE_POSITIVE: 'true_positive', FALSE_POSITIVE: 'false_positive', BENIGN: 'benign', DUPLICATE: 'duplicate' },
    EventKind: { BSM: 'bsm', TELEMETRY: 'telemetry', NET: 'net', AUTH: 'auth', LOG: 'log', CAN: 'can' },
    EntityType: { VEHICLE: 'vehicle', DEVICE: 'device', HOST: 'host' },
    SortDirection: { ASC: 'asc', DESC: 'desc' },
    AlertSortField: { TIMESTAMP: 'ts', SEVERITY: 'severity', SCORE: 'score' },
    IncidentSortField: { LAST_SEEN: 'lastSeen', FIRST_SEEN: 'firstSeen', SEVERITY: 'severity', ALERT_COUNT: 'alertCount' },
    OriginType: { RULE: 'rule', MODEL: 'model', REPUTATION: 'reputation' },
    RuleItemKind: { RULE: 'rule', EXCEPTION: 'exception', SUPPRESSION: 'suppression' },

    Query: {
      me: (_: unknown, __: Args, ctx: ApiContext) => ctx.principal,
      event: (_: unknown, a: Args) => store.getEvent(String(a['id'])),
      events: async (_: unknown, a: Args) => {
        const q = eventQuery(a['filter'] as Args | undefined, a['direction'] as 'asc' | 'desc' | undefined);
        const page = await store.searchEvents(q, pageRequest(a, limits));
        return connection(page, () => store.countEventsMatching(q));
      },
      alert: (_: unknown, a: Args) => store.getAlert(String(a['id'])),
      alerts: async (_: unknown, a: Args) => {
        const q = alertQuery(a['filter'] as Args | undefined, a['sort'] as Args | undefined);
        return connection(await store.searchAlerts(q, pageRequest(a, limits)), () => store.countAlertsMatching(q));
      },
      incident: (_: unknown, a: Args) => store.getIncident(String(a['id'])),
      incidents: async (_: unknown, a: Args) => {
        const q = incidentQuery(a['filter'] as Args | undefined, a['sort'] as Args | undefined);
        return connection(await store.searchIncidents(q, pageRequest(a, limits)), () => store.countIncidentsMatching(q));
      },
      vehicle: (_: unknown, a: Args) => entity(String(a['id']), 'vehicle'),
      device: (_: unknown, a: Args) => entity(String(a['id']), 'device'),
      vehicles: async (_: unknown, a: Args) => entityConnection(await store.searchEntities({ type: 'vehicle', ...entityFilter(a['filter'] as Args | undefined) }, pageRequest(a, limits))),
      devices: async (_: unknown, a: Args) => entityConnection(await store.searchEntities({ type: 'device', ...entityFilter(a['filter'] as Args | undefined) }, pageRequest(a, limits))),
      deadLetters: async (_: unknown, a: Args) => {
        const f = (a['filter'] as Args | undefined) ?? {};
        const q = { time: range(f['time']), ...(f['code'] ? { code: String(f['code']) } : {}), ...(f['source'] ? { source: String(f['source']) } : {}) };
        return connection(await store.searchDeadLetters(q, pageRequest(a, limits)), () => 0);
      },
      evidence: (_: unknown, a: Args, ctx: ApiContext) => heavy(ctx, () => audit().proveById(String(a['id']))),
      verifyEvidence: (_: unknown, a: Args, ctx: ApiContext) => heavy(ctx, () => {
        let bundle = a['bundle'];
        if (typeof bundle === 'string') {
          try {
            bundle = JSON.parse(bundle) as unknown;
          } catch {
            throw new ApiError('BAD_INPUT', 'bundle: expected an evidence bundle as JSON');
          }
        }
        return audit().verify(bundle);
      }),
      ledgerStatus: () => {
        const s = audit().status();
        return { origin: s.origin, size: s.size, publicKey: s.publicKeyPem, latestCheckpoint: s.latestCheckpoint ?? null, latestPublished: s.latestPublished ?? null };
      },
      rules: (_: unknown, a: Args) => {
        if (!deps.rules) throw new ApiError('UNAVAILABLE', 'no rule book is configured on this node');
        return deps.rules.list((a['kind'] as RuleItemKind | undefined) ?? undefined);
      },
      tokens: (_: unknown, __: Args, ctx: ApiContext) => {
        requirePermission(ctx.principal, 'tokens');
        return deps.tokens.listTokens();
      },
    },

    Mutation: {
      acknowledgeIncident: (_: unknown, a: Args, ctx: ApiContext) =>
        triage(ctx, String(a['id']), 'incident.acknowledge', (i) => {
          notResolved(i, 'acknowledge');
          if (i.status === 'acknowledged') throw new ApiError('BAD_INPUT', `incident ${i.id} is already acknowledged`);
          return { ...triageOf(i), status: 'acknowledged' };
        }, comment(a['comment'])),
      assignIncident: (_: unknown, a: Args, ctx: ApiContext) => {
        const assignee = text('assignee', a['assignee'], 100);
        return triage(ctx, String(a['id']), 'incident.assign', (i) => {
          notResolved(i, 'assign');
          return { ...triageOf(i), assignee };
        }, comment(a['comment']));
      },
      commentIncident: (_: unknown, a: Args, ctx: ApiContext) => {
        const note = comment(a['comment']);
        if (!note) throw new ApiError('BAD_INPUT', 'comment: must not be empty');
        return triage(ctx, String(a['id']), 'incident.comment', (i) => triageOf(i), note);
      },
      resolveIncident: (_: unknown, a: Args, ctx: ApiContext) => {
        const note = comment(a['comment']);
        return triage(ctx, String(a['id']), 'incident.resolve', (i) => {
          if (i.status === 'resolved') throw new ApiError('BAD_INPUT', `incident ${i.id} is already resolved`);
          const resolution: NonNullable<IncidentTriage['resolution']> = { reason: a['reason'] as Resolution, by: ctx.principal.name, at: now() };
          if (note) resolution.comment = note;
          return { ...triageOf(i), status: 'resolved', resolution };
        }, note);
      },
      reopenIncident: (_: unknown, a: Args, ctx: ApiContext) =>
        triage(ctx, String(a['id']), 'incident.reopen', (i) => {
          if (i.status !== 'resolved') throw new ApiError('BAD_INPUT', `incident ${i.id} is not resolved`);
          return { ...triageOf(i), status: 'open', resolution: null };
        }, comment(a['comment'])),

      flagVehicle: (_: unknown, a: Args, ctx: ApiContext) => entityFlag(ctx, text('id', a['id']), true, text('reason', a['reason'], 1000)),
      clearVehicle: (_: unknown, a: Args, ctx: ApiContext) => entityFlag(ctx, text('id', a['id']), false, text('reason', a['reason'], 1000)),

      addRule: (_: unknown, a: Args, ctx: ApiContext) => {
        const source = String(a['source'] ?? '');
        if (source.trim() === '' || source.length > 200_000) throw new ApiError('BAD_INPUT', 'source: expected a Sigma rule of at most 200000 characters');
        return ruleChange(ctx, 'rule', 'rule.add', async (r) => ({ before: null, after: await r.addRule(source, ctx.principal.name) }));
      },
      addException: (_: unknown, a: Args, ctx: ApiContext) => {
        const i = a['input'] as Args;
        const selection = i['selection'];
        if (selection !== undefined && selection !== null && (typeof selection !== 'object' || Array.isArray(selection))) {
          throw new ApiError('BAD_INPUT', 'selection: expected a JSON object (a Sigma selection)');
        }
        const spec = {
          rule: text('rule', i['rule']),
          reason: text('reason', i['reason'], 1000),
          ...(i['entity'] ? { entity: String(i['entity']) } : {}),
          ...(i['field'] ? { field: String(i['field']) } : {}),
          ...(i['value'] !== undefined && i['value'] !== null ? { value: String(i['value']) } : {}),
          ...(selection ? { selection: selection as Record<string, unknown> } : {}),
        };
        return ruleChange(ctx, 'exception', 'exception.add', async (r) => ({ before: null, after: await r.addException(spec, ctx.principal.name) }));
      },
      addSuppression: (_: unknown, a: Args, ctx: ApiContext) => {
        const i = a['input'] as Args;
        const seconds = Number(i['timespanSeconds']);
        if (!Number.isInteger(seconds) || seconds < 0 || seconds > 30 * 86_400) throw new ApiError('BAD_INPUT', 'timespanSeconds: expected 0 to 2592000 (30 days)');
        const groupBy = i['groupBy'] as string[] | null | undefined;
        const spec = {
          rule: text('rule', i['rule']),
          timespanMs: seconds * 1000,
          reason: text('reason', i['reason'], 1000),
          ...(groupBy ? { groupBy } : {}),
        };
        return ruleChange(ctx, 'suppression', 'suppression.add', async (r) => {
          const before = (await r.list('suppression')).find((s) => s.id === spec.rule && s.enabled) ?? null;
          return { before, after: await r.addSuppression(spec, ctx.principal.name) };
        });
      },
      disableRule: (_: unknown, a: Args, ctx: ApiContext) => disable(ctx, 'rule', a),
      disableException: (_: unknown, a: Args, ctx: ApiContext) => disable(ctx, 'exception', a),
      disableSuppression: (_: unknown, a: Args, ctx: ApiContext) => disable(ctx, 'suppression', a),

      createToken: (_: unknown, a: Args, ctx: ApiContext) => {
        requirePermission(ctx.principal, 'tokens');
        return serialised('tokens', async () => {
          const lifetime = a['expires'] === undefined || a['expires'] === null ? {} : { lifetimeMs: parseLifetime(String(a['expires'])) };
          const { token, record } = createToken(deps.tokens, { name: String(a['name']), role: String(a['role']), createdBy: ctx.principal.name, ...lifetime }, now);
          // The secret never enters the ledger or the store; only who got which role.
          const rec = await recordToLedger(ctx, 'token.create', { type: 'token', id: record.id }, null, record);
          await store.recordAction(rec);
          return { token, info: record, action: rec };
        });
      },
      revokeToken: (_: unknown, a: Args, ctx: ApiContext) => {
        requirePermission(ctx.principal, 'tokens');
        return serialised('tokens', async () => {
          const id = String(a['id']);
          const before = deps.tokens.listTokens().find((t) => t.id === id);
          if (!before) throw new ApiError('NOT_FOUND', `no token ${id}`);
          const after: TokenRecord = { ...before, revokedAt: before.revokedAt ?? now() };
          const rec = await recordToLedger(ctx, 'token.revoke', { type: 'token', id }, before, after);
          const info = revokeToken(deps.tokens, id, now);
          await store.recordAction(rec);
          return { info, action: rec };
        });
      },
    },

    Subscription: {
      alertRaised: {
        subscribe: (_: unknown, a: Args) => {
          const min = a['minSeverity'] as Severity | undefined;
          const entityId = a['entity'] as string | undefined;
          return pipe(
            pubsub.subscribe('alert'),
            filter((alert: Alert) => (min === undefined || SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[min]) && (entityId === undefined || alert.entity.id === entityId)),
          );
        },
        resolve: (alert: Alert) => alert,
      },
      incidentChanged: {
        subscribe: (_: unknown, a: Args) => {
          const id = a['id'] as string | undefined;
          return pipe(
            pubsub.subscribe('incident'),
            filter((c: { incident: StoredIncident }) => id === undefined || c.incident.incident.id === id),
          );
        },
        resolve: (change: unknown) => change,
      },
    },

    Event: {
      id: (p: StoredEvent) => p.event.id,
      timestamp: (p: StoredEvent) => p.event.vigil.ts,
      kind: (p: StoredEvent) => p.event.vigil.kind,
      entity: (p: StoredEvent) => p.event.vigil.entity,
      action: (p: StoredEvent) => p.event.event.action,
      message: (p: StoredEvent) => p.event.message ?? null,
      vehicle: (p: StoredEvent) => p.event.vigil.vehicle ?? null,
      metrics: (p: StoredEvent) => p.event.vigil.metrics ?? null,
      document: (p: StoredEvent) => p.event,
    },

    Alert: {
      timestamp: (p: Alert) => p.ts,
      category: (p: Alert) => p.category ?? null,
      evidenceIds: (p: Alert) => p.evidence,
      evidenceTruncated: (p: Alert) => p.evidenceTruncated ?? null,
      origin: (p: Alert) => ({ ...p.origin, title: p.origin.type === 'rule' ? p.origin.title : null }),
      evidence: async (p: Alert, a: Args) => {
        const n = pageSize(a['first'] as number, limits);
        const out: StoredEvent[] = [];
        for (const id of p.evidence.slice(0, n)) {
          const e = await store.getEvent(id);
          if (e) out.push(e);
        }
        return out;
      },
      incident: (p: Alert) => (p.incidentId ? store.getIncident(p.incidentId) : null),
    },

    Incident: {
      id: (p: StoredIncident) => p.incident.id,
      entity: (p: StoredIncident) => p.incident.entity,
      title: (p: StoredIncident) => p.incident.title,
      status: (p: StoredIncident) => p.incident.status,
      severity: (p: StoredIncident) => p.incident.severity,
      firstSeen: (p: StoredIncident) => p.incident.firstSeen,
      lastSeen: (p: StoredIncident) => p.incident.lastSeen,
      alertCount: (p: StoredIncident) => p.incident.alertCount,
      alertsTruncated: (p: StoredIncident) => p.incident.alertsTruncated ?? null,
      categories: (p: StoredIncident) => p.incident.categories,
      assignee: (p: StoredIncident) => p.incident.assignee ?? null,
      resolution: (p: StoredIncident) => p.incident.resolution ?? null,
      alerts: async (p: StoredIncident, a: Args) => {
        const q: AlertQuery = { incidentId: p.incident.id };
        return connection(await store.searchAlerts(q, pageRequest(a, limits)), () => store.countAlertsMatching(q));
      },
      history: (p: StoredIncident) => store.actionsFor({ type: 'incident', id: p.incident.id }),
    },

    IncidentResolution: {
      comment: (p: NonNullable<Incident['resolution']>) => p.comment ?? null,
    },

    Action: {
      timestamp: (p: ActionRecord) => p.ts,
      comment: (p: ActionRecord) => p.comment ?? null,
      ledgerIndex: (p: ActionRecord) => p.ledgerIndex ?? null,
      evidence: (p: ActionRecord, _: Args, ctx: ApiContext) => heavy(ctx, () => audit().proveById(p.id)),
    },

    ReputationPoint: { timestamp: (p: { ts: number }) => p.ts },
    Checkpoint: { timestamp: (p: { ts: number }) => p.ts },
    EvidenceBundle: { json: (p: EvidenceBundleView) => p },

    Vehicle: entityResolvers,
    Device: entityResolvers,

    DeadLetter: {
      raw: (p: DeadLetterRecord) => p.raw.toString('utf8'),
      rawBase64: (p: DeadLetterRecord) => p.raw.toString('base64'),
    },

    ApiToken: {},
  };

  async function disable(ctx: ApiContext, kind: RuleItemKind, a: Args) {
    const id = text('id', a['id']);
    const reason = text('reason', a['reason'], 1000);
    const result = await ruleChange(ctx, kind, `${kind}.disable`, async (r) => r.disable(kind, id, ctx.principal.name));
    if (reason) result.action.comment = reason;
    return result;
  }
}

// ------------------------------------------------------------------ argument mapping

function range(value: unknown): TimeRange {
  const r = (value as { from?: number | null; to?: number | null } | null | undefined) ?? {};
  const out: TimeRange = {};
  if (typeof r.from === 'number') out.from = r.from;
  if (typeof r.to === 'number') out.to = r.to;
  return out;
}

function pageRequest(a: Args, limits: Limits): { first: number; after?: string } {
  const first = pageSize(a['first'] as number | null | undefined, limits);
  const after = a['after'];
  return typeof after === 'string' && after !== '' ? { first, after } : { first };
}

function opt<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === undefined || value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

function eventQuery(f: Args | undefined, direction: 'asc' | 'desc' | undefined): EventQuery {
  const q: EventQuery = { time: range(f?.['time']), ...opt('direction', direction) };
  if (!f) return q;
  return {
    ...q,
    ...opt('kinds', f['kinds'] as InputKind[] | null),
    ...opt('entity', f['entity'] as string | null),
    ...opt('entityType', f['entityType'] as EntityType | null),
    ...opt('source', f['source'] as string | null),
    ...opt('text', f['text'] as string | null),
  };
}

function alertQuery(f: Args | undefined, sort: Args | undefined): AlertQuery {
  const q: AlertQuery = sort ? { sort: { field: sort['field'] as 'ts', direction: sort['direction'] as 'desc' } } : {};
  if (!f) return q;
  return {
    ...q,
    time: range(f['time']),
    ...opt('severities', f['severities'] as Severity[] | null),
    ...opt('entity', f['entity'] as string | null),
    ...opt('entityType', f['entityType'] as EntityType | null),
    ...opt('rule', f['rule'] as string | null),
    ...opt('originType', f['originType'] as 'rule' | null),
    ...opt('incidentId', f['incident'] as string | null),
    ...opt('category', f['category'] as string | null),
    ...opt('text', f['text'] as string | null),
  };
}

function incidentQuery(f: Args | undefined, sort: Args | undefined): IncidentQuery {
  const q: IncidentQuery = sort ? { sort: { field: sort['field'] as 'lastSeen', direction: sort['direction'] as 'desc' } } : {};
  if (!f) return q;
  return {
    ...q,
    time: range(f['time']),
    ...opt('statuses', f['statuses'] as Incident['status'][] | null),
    ...opt('severities', f['severities'] as Severity[] | null),
    ...opt('entity', f['entity'] as string | null),
    ...opt('entityType', f['entityType'] as EntityType | null),
    ...opt('rule', f['rule'] as string | null),
    ...opt('assignee', f['assignee'] as string | null),
    ...opt('category', f['category'] as string | null),
    ...opt('text', f['text'] as string | null),
  };
}

function entityFilter(f: Args | undefined): { flagged?: boolean; idPrefix?: string } {
  return { ...opt('flagged', f?.['flagged'] as boolean | null), ...opt('idPrefix', f?.['idPrefix'] as string | null) };
}

function connection<T>(page: Page<T>, count: () => unknown) {
  return {
    edges: page.edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: false,
      startCursor: page.edges[0]?.cursor ?? null,
      endCursor: page.edges.at(-1)?.cursor ?? null,
    },
    // graphql-js calls a function-valued property, so the count runs only when asked for.
    totalCount: count,
  };
}

function entityConnection(page: Page<EntitySummary>) {
  return connection({ hasNextPage: page.hasNextPage, edges: page.edges.map((e) => ({ cursor: e.cursor, node: { id: e.node.id, type: e.node.type, summary: e.node } })) }, () => 0);
}

