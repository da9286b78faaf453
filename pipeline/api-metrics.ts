/**
 * The analysts' side of /metrics (issue 18): GraphQL latency per operation type, what the
 * detector decided (alerts by origin and severity, incidents by severity), the ledger's and
 * its witnesses' state, and the open GraphQL WebSockets. Notification deliveries are counted
 * in pipeline/notify.ts.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { OperationReport, VigilApi } from '../api/index.js';
import type { Ledger } from '../ledger/index.js';

export interface ApiMetrics {
  /** Pass to `createApi` as `onOperation`. */
  onOperation(op: OperationReport): void;
  /** Count the detector's output and read the ledger's state, once the analysis half runs. */
  attach(api: Pick<VigilApi, 'onDetectorOutput' | 'ws'>, ledger: Ledger, now: () => number): void;
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  const registers = [registry];
  const latency = new Histogram({
    name: 'vigil_api_operation_seconds',
    help: 'GraphQL operation execution time, by operation type and outcome (the operation name is the client’s, so not a label)',
    labelNames: ['type', 'outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const alerts = new Counter({ name: 'vigil_detector_alerts_total', help: 'Alerts the detector raised (its decisions), by origin (rule, model, reputation) and severity', labelNames: ['origin', 'severity'], registers });
  const incidents = new Counter({ name: 'vigil_detector_incident_updates_total', help: 'Incidents opened or grown by new alerts, by severity after the update', labelNames: ['severity'], registers });
  let attached: { api: Pick<VigilApi, 'ws'>; ledger: Ledger; now: () => number } | undefined;
  const gauge = (name: string, help: string, read: (a: NonNullable<typeof attached>) => number | undefined): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const v = attached ? read(attached) : undefined;
        if (v !== undefined) this.set(v);
      },
    });
  };
  gauge('vigil_ledger_entries', 'Entries appended to the ledger', (a) => a.ledger.size);
  gauge('vigil_ledger_checkpoint_size', 'Entries covered by the latest signed checkpoint', (a) => a.ledger.latestCheckpoint?.size ?? 0);
  gauge('vigil_ledger_checkpoint_age_seconds', 'Seconds since the latest signed checkpoint', (a) => (a.ledger.latestCheckpoint ? (a.now() - a.ledger.latestCheckpoint.ts) / 1000 : undefined));
  gauge('vigil_ledger_published_size', 'Entries covered by the latest checkpoint enough witnesses co-signed (0: none yet, or no witnesses)', (a) => a.ledger.latestPublished?.size ?? 0);
  gauge('vigil_ledger_unwitnessed_entries', 'Checkpointed entries not yet covered by a witnessed checkpoint', (a) => (a.ledger.latestCheckpoint?.size ?? 0) - (a.ledger.latestPublished?.size ?? 0));
  gauge('vigil_api_ws_connections', 'Open graphql-ws WebSockets', (a) => a.api.ws.connections);
  return {
    onOperation(op) {
      latency.observe({ type: op.type, outcome: op.ok ? 'ok' : 'error' }, op.seconds);
    },
    attach(api, ledger, now) {
      attached = { api, ledger, now };
      api.onDetectorOutput((saved) => {
        for (const a of saved.newAlerts) alerts.inc({ origin: a.origin.type, severity: a.severity });
        for (const i of saved.incidents) incidents.inc({ severity: i.incident.severity });
      });
    },
  };
}
