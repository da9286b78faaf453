/**
 * Notifications wired (notify/): the API's published detector output becomes incident
 * notices, routed per rule and severity; each delivery is counted in /metrics, logged
 * without secrets, kept in the incident's history and appended to the ledger as an
 * `incident.notify` action (actor `vigil-notify`, role `system`), so an auditor can prove who
 * was told what and when, beside the analysts' triage steps.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Counter, type Registry } from 'prom-client';
import type { AuditLog, PublishedOutput, VigilApi } from '../api/index.js';
import { createNotifier, NOTICE_SEVERITIES, type DeliveryRecord, type Notice, type NoticeSeverity, type NotifyConfig, type Notifier, type Observable } from '../notify/index.js';
import type { ActionRecord, Alert, SqliteStore, StoredIncident } from '../store/index.js';
import type { Logger } from './logger.js';

export interface NotificationDeps {
  config: NotifyConfig;
  dataDir: string;
  api: Pick<VigilApi, 'onDetectorOutput'>;
  audit: AuditLog;
  store: SqliteStore;
  registry: Registry;
  logger: Logger;
  now: () => number;
}

export interface Notifications {
  notifier: Notifier;
  stop(): Promise<void>;
}

/** Nothing to start without connectors. */
export function startNotifications(deps: NotificationDeps): Notifications | undefined {
  if (deps.config.connectors.length === 0) return undefined;
  const deliveries = new Counter({ name: 'vigil_notify_deliveries_total', help: 'Notification deliveries, per connector and outcome (delivered, dead-letter)', labelNames: ['connector', 'type', 'outcome'], registers: [deps.registry] });
  for (const c of deps.config.connectors) for (const outcome of ['delivered', 'dead-letter']) deliveries.inc({ connector: c.name, type: c.type, outcome }, 0);
  const recording = new Set<Promise<void>>();
  const notifier = createNotifier(deps.config, {
    deadLetterDir: join(deps.dataDir, 'notify', 'dead-letters'),
    now: deps.now,
    onDelivery: (record) => {
      deliveries.inc({ connector: record.connector, type: record.type, outcome: record.outcome });
      const log = record.outcome === 'delivered' ? deps.logger.info.bind(deps.logger) : deps.logger.warn.bind(deps.logger);
      log({ connector: record.connector, incident: record.incidentId, attempts: record.attempts, ...(record.error ? { error: record.error } : {}) }, `notification ${record.outcome}`);
      const pending = recordDelivery(deps, record)
        .catch((err: unknown) => deps.logger.error({ err, incident: record.incidentId }, 'a notification delivery could not be recorded'))
        .finally(() => recording.delete(pending));
      recording.add(pending);
    },
  });
  // Which severity each connector was last told of per incident: a notice goes again only when it rises.
  const told = new Map<string, Map<string, number>>();
  const unsubscribe = deps.api.onDetectorOutput((saved) => {
    for (const { notice, incidentId } of noticesOf(saved, deps.store)) {
      const rank = NOTICE_SEVERITIES.indexOf(notice.incident.severity);
      const seen = told.get(incidentId) ?? toldBefore(deps.store, incidentId);
      const targets = notifier.route(notice).filter((c) => (seen.get(c) ?? -1) < rank);
      if (targets.length === 0) continue;
      for (const c of targets) seen.set(c, rank);
      told.delete(incidentId);
      told.set(incidentId, seen);
      if (told.size > 100_000) told.delete(told.keys().next().value!);
      notifier.enqueue(notice, targets);
    }
  });
  return {
    notifier,
    async stop() {
      unsubscribe();
      await notifier.stop();
      // Before the ledger closes: the last deliveries' actions are appended and committed.
      await Promise.all([...recording]);
    },
  };
}

/** What the incident's history says connectors were told (after a restart, so nobody is told twice). */
function toldBefore(store: SqliteStore, incidentId: string): Map<string, number> {
  const seen = new Map<string, number>();
  for (const a of store.actionsFor({ type: 'incident', id: incidentId })) {
    const after = a.after as { connector?: unknown; severity?: unknown; outcome?: unknown } | null;
    if (a.action !== 'incident.notify' || after?.outcome !== 'delivered' || typeof after.connector !== 'string') continue;
    const rank = NOTICE_SEVERITIES.indexOf(after.severity as NoticeSeverity);
    seen.set(after.connector, Math.max(seen.get(after.connector) ?? -1, rank));
  }
  return seen;
}

function* noticesOf(saved: PublishedOutput, store: SqliteStore): Generator<{ notice: Notice; incidentId: string }> {
  for (const stored of saved.incidents) {
    const alerts = saved.newAlerts.filter((a) => a.incidentId === stored.incident.id);
    if (alerts.length > 0) yield { notice: toNotice(stored, alerts, store), incidentId: stored.incident.id };
  }
}

function toNotice({ incident: i }: StoredIncident, alerts: readonly Alert[], store: SqliteStore): Notice {
  return {
    incident: { id: i.id, title: i.title, severity: i.severity, status: i.status, entity: i.entity, firstSeen: i.firstSeen, lastSeen: i.lastSeen, alertCount: i.alertCount, categories: i.categories },
    alerts: alerts.map((a) => ({ id: a.id, ts: a.ts, title: a.title, description: a.description, severity: a.severity, rule: a.origin.type === 'rule' ? a.origin.id : a.origin.type, tags: a.tags })),
    observables: observablesOf(i.entity, alerts, store),
  };
}

/** The entity, and the addresses its evidence events name (at most 20, for a case). */
function observablesOf(entity: { id: string; type: string }, alerts: readonly Alert[], store: SqliteStore): Observable[] {
  const out: Observable[] = [{ dataType: 'other', data: `${entity.type}:${entity.id}`, message: `the ${entity.type} the incident is about` }];
  const ips = new Set<string>();
  for (const id of alerts.flatMap((a) => a.evidence).slice(0, 200)) {
    const e = store.getEvent(id)?.event;
    for (const ip of [e?.source?.ip, e?.destination?.ip]) if (ip && ips.size < 20) ips.add(ip);
  }
  for (const ip of ips) out.push({ dataType: 'ip', data: ip, message: 'an address in the evidence' });
  return out;
}

async function recordDelivery(deps: NotificationDeps, r: DeliveryRecord): Promise<void> {
  const after = { connector: r.connector, type: r.type, outcome: r.outcome, severity: r.severity, attempts: r.attempts, ...(r.reference ? { reference: r.reference } : {}), ...(r.error ? { error: r.error } : {}) };
  const rec: ActionRecord = { id: randomUUID(), ts: r.ts, actor: 'vigil-notify', role: 'system', action: 'incident.notify', target: { type: 'incident', id: r.incidentId }, before: null, after };
  const receipt = await deps.audit.appendAction({ ts: rec.ts, body: { ...rec } });
  rec.ledgerIndex = receipt.index;
  await deps.store.recordAction(rec);
}
