/**
 * Vigil's events and alerts as Elastic Common Schema documents, for an Elasticsearch index a
 * SOC's tools read (Kibana, Elastic Security). The stored event keeps its own shape — its id
 * is the hash of exactly that shape, so nothing constant or derived is added to it — and
 * this is the view written out: `ecs.version`, `event.id`, `event.original` (the input as
 * received), `observer.type` from ECS's list, categories and types from ECS's allowed values.
 *
 * Alerts become `event.kind: alert` documents with `rule.*`, `threat.*` (from ATT&CK tags)
 * and `event.severity` / `event.risk_score`: the form Elastic Security lists as external
 * alerts when they are bulk-indexed into a `logs-*` data stream.
 *
 * ECS reference: https://www.elastic.co/guide/en/ecs/current/ecs-allowed-values-event-category.html
 */
import type { VigilEvent } from './model.js';

/** The ECS version these documents follow. */
export const ECS_VERSION = '8.17.0';

/** ECS event.category allowed values. */
export const ECS_CATEGORIES = new Set(['api', 'authentication', 'configuration', 'database', 'driver', 'email', 'file', 'host', 'iam', 'intrusion_detection', 'library', 'malware', 'network', 'package', 'process', 'registry', 'session', 'threat', 'vulnerability', 'web']);
/** ECS event.type allowed values. */
export const ECS_TYPES = new Set(['access', 'admin', 'allowed', 'change', 'connection', 'creation', 'deletion', 'denied', 'end', 'error', 'group', 'indicator', 'info', 'installation', 'protocol', 'start', 'user']);
/** ECS observer.type examples the schema lists. */
export const ECS_OBSERVER_TYPES = new Set(['forwarder', 'firewall', 'ids', 'ips', 'proxy', 'poller', 'sensor', 'apm-server']);

/** A roadside unit receives vehicles' messages over the air: a sensor in ECS's terms. */
const OBSERVER_TYPE: Record<string, string> = { rsu: 'sensor', gateway: 'forwarder' };

export interface EcsOptions {
  /** The input as received (the syslog line, the JSON record), when the event does not carry its own `event.original`. */
  original?: string | Uint8Array;
  /** When Vigil received it, epoch milliseconds: ECS `event.ingested`. */
  receivedAt?: number;
}

/**
 * One event as an ECS document. Nothing of the event is lost: values outside ECS's allowed
 * lists keep their whole list under `vigil.non_ecs` and a non-ECS observer role under
 * `vigil.observer.role`, so `fromEcsDocument` gives back the event its id is the hash of.
 */
export function toEcsDocument(e: VigilEvent, o: EcsOptions = {}): Record<string, unknown> {
  const { id, ...rest } = e;
  const category = e.event.category.filter((c) => ECS_CATEGORIES.has(c));
  const type = e.event.type.filter((t) => ECS_TYPES.has(t));
  const event: Record<string, unknown> = { ...rest.event, id, category, type };
  if (o.original !== undefined && e.event.original === undefined) event.original = typeof o.original === 'string' ? o.original : new TextDecoder().decode(o.original);
  if (o.receivedAt !== undefined) event.ingested = new Date(o.receivedAt).toISOString();
  const vigil: Record<string, unknown> = { ...e.vigil };
  const nonEcs = { ...(category.length < e.event.category.length ? { category: e.event.category } : {}), ...(type.length < e.event.type.length ? { type: e.event.type } : {}) };
  if (Object.keys(nonEcs).length > 0) vigil.non_ecs = nonEcs;
  const doc: Record<string, unknown> = { ...rest, ecs: { version: ECS_VERSION }, event, vigil };
  if (e.observer) {
    const role = e.observer.type;
    const ecsType = role === undefined ? undefined : ECS_OBSERVER_TYPES.has(role) ? role : OBSERVER_TYPE[role] ?? 'sensor';
    doc.observer = { name: e.observer.name, ...(ecsType !== undefined ? { type: ecsType } : {}) };
    // Vigil's own word for it stays searchable beside ECS's.
    if (role !== undefined && role !== ecsType) vigil.observer = { role };
  }
  const ips = [e.source?.ip, e.destination?.ip].filter((x): x is string => x !== undefined);
  const related: Record<string, string[]> = {};
  if (ips.length > 0) related.ip = [...new Set(ips)];
  if (e.user) related.user = [e.user.name];
  if (Object.keys(related).length > 0) doc.related = related;
  return doc;
}

/**
 * The event an ECS document of `toEcsDocument` was made from (what ECS adds — `ecs`,
 * `related`, `event.id`, `event.ingested` — taken off again; `event.original` is the
 * event's own and stays). A document read back from a store is untrusted: the caller
 * checks the result's id if it must.
 */
export function fromEcsDocument(doc: Record<string, unknown>): VigilEvent {
  const { ecs: _ecs, related: _related, event, vigil, observer, ...rest } = doc as Record<string, any>;
  const { id, ingested: _i, ...ev } = event as Record<string, unknown>;
  const { non_ecs: nonEcs, observer: vigilObserver, ...ownVigil } = vigil as Record<string, any>;
  const out: Record<string, unknown> = {
    ...rest,
    id,
    event: { ...ev, ...(nonEcs?.category ? { category: nonEcs.category } : {}), ...(nonEcs?.type ? { type: nonEcs.type } : {}) },
    vigil: ownVigil,
  };
  if (observer) {
    const role = (vigilObserver?.role as string | undefined) ?? (observer.type as string | undefined);
    out.observer = { name: observer.name, ...(role !== undefined ? { type: role } : {}) };
  }
  return out as unknown as VigilEvent;
}

/** What an alert export needs of an alert (the detector's `Alert`, structurally). */
export interface EcsAlertInput {
  id: string;
  ts: number;
  entity: { id: string; type: string };
  severity: 'low' | 'medium' | 'high' | 'critical';
  score: number;
  title: string;
  description: string;
  origin: { type: string; id: string; hash: string; title?: string };
  tags: string[];
  evidence: string[];
  category?: string;
  incidentId?: string;
}

/** ECS event.severity for Vigil's severities (Elastic Security's 21 / 47 / 73 / 99 scale). */
const SEVERITY: Record<EcsAlertInput['severity'], number> = { low: 21, medium: 47, high: 73, critical: 99 };

/** An alert as an ECS `event.kind: alert` document. */
export function toEcsAlert(a: EcsAlertInput): Record<string, unknown> {
  const techniques = a.tags.filter((t) => /^attack\.t\d{4}(\.\d{3})?$/i.test(t)).map((t) => t.slice('attack.'.length).toUpperCase());
  const tactics = a.tags.filter((t) => /^attack\.[a-z_]+$/i.test(t) && !/^attack\.(t|g|s)\d/i.test(t)).map((t) => t.slice('attack.'.length));
  const doc: Record<string, unknown> = {
    '@timestamp': new Date(a.ts).toISOString(),
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'alert',
      id: a.id,
      category: ['intrusion_detection'],
      type: ['info'],
      severity: SEVERITY[a.severity],
      risk_score: a.score,
      dataset: 'vigil.alerts',
      module: 'vigil',
      ...(a.category !== undefined ? { action: a.category } : {}),
    },
    message: a.title,
    rule: { id: a.origin.id, name: a.origin.title ?? a.title, description: a.description, ruleset: a.origin.type, version: a.origin.hash.slice(0, 12), ...(a.category !== undefined ? { category: a.category } : {}) },
    tags: a.tags,
    vigil: { entity: a.entity, evidence: a.evidence, ...(a.incidentId !== undefined ? { incident: { id: a.incidentId } } : {}) },
  };
  if (a.entity.type === 'host') doc.host = { name: a.entity.id };
  else doc.device = { id: a.entity.id };
  if (techniques.length > 0 || tactics.length > 0) {
    doc.threat = {
      framework: 'MITRE ATT&CK',
      ...(techniques.length > 0 ? { technique: { id: techniques.map((t) => t.split('.')[0]!) }, ...(techniques.some((t) => t.includes('.')) ? { subtechnique: { id: techniques.filter((t) => t.includes('.')) } } : {}) } : {}),
      ...(tactics.length > 0 ? { tactic: { name: tactics.map((t) => t.replace(/_/g, ' ')) } } : {}),
    };
  }
  return doc;
}

/**
 * Alerts as an Elasticsearch `_bulk` body (NDJSON) creating documents in a data stream —
 * by default `logs-vigil.alerts-default`, which Elastic Security's default `logs-*` pattern reads.
 */
export function ecsAlertsBulk(alerts: readonly EcsAlertInput[], dataStream = 'logs-vigil.alerts-default'): string {
  let out = '';
  for (const a of alerts) out += `${JSON.stringify({ create: { _index: dataStream, _id: a.id } })}\n${JSON.stringify(toEcsAlert(a))}\n`;
  return out;
}
