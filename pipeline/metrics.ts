/**
 * Prometheus metrics (prom-client), one registry per node so that tests running several
 * nodes in one process do not share counters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  /** Inputs that reached Vigil, per source: received = accepted + rejected + dropped. */
  received: Counter<'source'>;
  /** Inputs stored as events (including redeliveries of an already stored event). */
  accepted: Counter<'source'>;
  /** Accepted inputs that were redeliveries of an already stored event. */
  duplicates: Counter<'source'>;
  /** Inputs stored as dead letters. */
  rejected: Counter<'source'>;
  rejectedByCode: Counter<'source' | 'code'>;
  /** Inputs a collector could not keep (UDP overflow), or that the kernel dropped before it read them (`where`). */
  dropped: Counter<'source' | 'reason' | 'where'>;
  /** Requests, connections and subscriptions a collector refused (no or a wrong credential, cross-origin, caps, idle). */
  refused: Counter<'source' | 'reason'>;
  queueDepth: Gauge;
  commitSeconds: Histogram;
  /** Detector output writes that failed and were queued for a retry (`busy`: the database stayed locked). */
  detectorOutputRetries: Counter<'reason'>;
  /** Alerts, incidents and reputation points waiting for such a retry. */
  detectorOutputQueued: Gauge;
  /** Alerts folded into an earlier one of the same origin and entity (an alert storm, pipeline/alert-fold.ts). */
  alertsFolded: Counter;
  /** Entities whose detector state was forgotten after `detector.entityIdleMs` without an event. */
  entitiesEvicted: Counter;
  /** Entities whose reputation the detector keeps. */
  detectorEntities: Gauge;
  /** Make a source's counters appear at 0 before its first input, so dashboards and alerts see it. */
  initSource(source: string): void;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  const registers = [registry];
  const metrics: Omit<Metrics, 'initSource'> = {
    registry,
    received: new Counter({ name: 'vigil_events_received_total', help: 'Inputs received, per source', labelNames: ['source'], registers }),
    accepted: new Counter({ name: 'vigil_events_accepted_total', help: 'Inputs durably stored as events', labelNames: ['source'], registers }),
    duplicates: new Counter({ name: 'vigil_events_duplicate_total', help: 'Accepted inputs that repeated a stored event', labelNames: ['source'], registers }),
    rejected: new Counter({ name: 'vigil_events_rejected_total', help: 'Inputs stored as dead letters', labelNames: ['source'], registers }),
    rejectedByCode: new Counter({ name: 'vigil_events_rejected_by_reason_total', help: 'Dead letters by rejection code', labelNames: ['source', 'code'], registers }),
    dropped: new Counter({ name: 'vigil_events_dropped_total', help: 'Inputs dropped before they could be stored (UDP overflow in Vigil or in the kernel)', labelNames: ['source', 'reason', 'where'], registers }),
    refused: new Counter({ name: 'vigil_ingest_refused_total', help: 'Requests, connections and subscriptions a collector refused', labelNames: ['source', 'reason'], registers }),
    queueDepth: new Gauge({ name: 'vigil_ingest_queue_depth', help: 'Inputs waiting to be stored', registers }),
    commitSeconds: new Histogram({
      name: 'vigil_store_commit_seconds',
      help: 'Duration of one durable store transaction',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    detectorOutputRetries: new Counter({ name: 'vigil_detector_output_retries_total', help: 'Detector output writes retried (the database was locked, or another failure)', labelNames: ['reason'], registers }),
    detectorOutputQueued: new Gauge({ name: 'vigil_detector_output_queued', help: 'Detector decisions waiting for a retried write', registers }),
    alertsFolded: new Counter({ name: 'vigil_alerts_folded_total', help: 'Alerts folded into an earlier alert of the same origin and entity', registers }),
    entitiesEvicted: new Counter({ name: 'vigil_detector_entities_evicted_total', help: 'Entities whose detector state was forgotten after an idle time', registers }),
    detectorEntities: new Gauge({ name: 'vigil_detector_entities', help: 'Entities whose reputation the detector keeps', registers }),
  };
  metrics.detectorOutputRetries.inc({ reason: 'busy' }, 0);
  return {
    ...metrics,
    initSource(source: string) {
      for (const c of [metrics.received, metrics.accepted, metrics.duplicates, metrics.rejected]) c.inc({ source }, 0);
      metrics.dropped.inc({ source, reason: 'overflow', where: 'collector' }, 0);
      if (source === 'syslog-udp') metrics.dropped.inc({ source, reason: 'receive-buffer', where: 'kernel' }, 0);
    },
  };
}
